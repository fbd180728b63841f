"""Replay before publishing (``/studio/<department>/replay/<path>``): the draft of a workflow or rule
file replayed over the department's recent orders, and the orders that would go another way, with what
the published rules and the draft's decided and why; then the publish form (docs/web.md, "Replay
before publishing").

``?last=N`` is how many recent orders of each workflow are replayed (default 500, at most 10,000); any
other value is a 400 naming it. The page only reads: replaying writes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from engine.api import translate
from engine.api.studio import DEFAULT_REPLAY_LIMIT, MAX_REPLAY_LIMIT, DefinitionKind, DraftReplay
from engine.errors import EngineError
from web.i18n import current_lang
from web.params import whole_number
from web.studio_common import administered

studio_replay = Blueprint("studio_replay", __name__, url_prefix="/studio")

REPLAYED = (DefinitionKind.WORKFLOW, DefinitionKind.RULES)  # the kinds of file whose rules decide


@studio_replay.get("/<department>/replay/<path:path>")
def replay(department: str, path: str) -> Any:
    found, actor = administered(department)
    view = found.file(department, path)
    if view is None or view.kind not in REPLAYED:
        abort(404)
    lang = current_lang()
    asked = request.args.get("last", "").strip()
    limit = _limit(asked)
    shown: dict[str, Any] = {"view": view, "limit": DEFAULT_REPLAY_LIMIT if limit is None else limit}
    if limit is None:
        failed = translate("studio.replay.bad_limit", lang).format(max=MAX_REPLAY_LIMIT, value=asked)
        return render_template("studio/replay.html", failed=failed, **shown), 400
    try:
        replayed: DraftReplay | None = found.replay(department, path, actor, limit)
    except EngineError as error:
        failed = translate("studio.replay.failed", lang).format(reason=error.message(lang))
        return render_template("studio/replay.html", failed=failed, **shown), 409
    return render_template(
        "studio/replay.html", replayed=replayed, four_eyes=found.four_eyes(department), **shown
    )


def _limit(asked: str) -> int | None:
    """The number of recent orders asked for (the default when none is); None when it is not one."""
    if not asked:
        return DEFAULT_REPLAY_LIMIT
    number = whole_number(asked, len(str(MAX_REPLAY_LIMIT)))
    return number if number is not None and 1 <= number <= MAX_REPLAY_LIMIT else None
