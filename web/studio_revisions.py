"""One revision of a draft, read (``/studio/<department>/revisions/<id>/<path>``): every row of a file's
draft history links here, a save refused as a conflict included, so no text an admin typed is out of
reach (docs/web.md, "The studio"). Read only: what is wanted from it is copied into the editor."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template

from web.formdata import local_time
from web.studio_common import administered

studio_revisions = Blueprint("studio_revisions", __name__, url_prefix="/studio")


@studio_revisions.get("/<department>/revisions/<int:revision_id>/<path:path>")
def revision(department: str, revision_id: int, path: str) -> Any:
    found, _ = administered(department)
    view = found.file(department, path)
    row = found.revision(department, path, revision_id) if view is not None else None
    if view is None or row is None:
        abort(404)
    return render_template(
        "studio/revision.html",
        view=view,
        row=row,
        conflict_number=view.conflict_numbers.get(row.id),
        lines=row.text.removesuffix("\n").split("\n"),  # each line numbered; the last one ends the text
        when=local_time,
    )
