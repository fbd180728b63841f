"""What every blueprint of the studio (``/studio``) shares: the studio itself, the department a request
is about when the user administers it (a 404 otherwise, whoever asks), and a posted text as stored.

The studio's views (``web.studio``, ``web.studio_console``, ``web.studio_migrate``, ``web.studio_replay``,
``web.studio_users``) take these from here, so none reaches into another's private names.
"""

from __future__ import annotations

from flask import abort, current_app

from engine.api import Actor
from engine.api.studio import Studio
from web.auth import current_actor

__all__ = ["administered", "normalised", "studio_of_app"]


def studio_of_app() -> Studio:
    """The app's studio (``wiring.services``)."""
    found: Studio = current_app.extensions["orderloom"].studio
    return found


def administered(department: str) -> tuple[Studio, Actor]:
    """The studio and the actor, when the actor administers ``department``; a 404 otherwise (the
    studio of another department is not there for them)."""
    found = studio_of_app()
    actor = current_actor()
    if not found.administers(actor, department):
        abort(404)
    return found, actor


def normalised(text: str) -> str:
    """The text as stored: line ends as ``\\n`` (a browser posts a text area's with ``\\r\\n``)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
