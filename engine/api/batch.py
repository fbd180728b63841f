"""Many at once (``Engine.batch_page``, ``Engine.take_batch``: one step on many orders;
``Engine.assign_batch``: orders assigned; ``Engine.sign_batch``: approval tasks signed): what they
answer with."""

from engine.runtime.batch import (
    MAX_BATCH,
    SIGNING,
    Assigned,
    BatchOutcome,
    BatchPage,
    Selected,
    SelectedTask,
    Signed,
)
from engine.runtime.row_summary import names_of

__all__ = [
    "MAX_BATCH",
    "SIGNING",
    "Assigned",
    "BatchOutcome",
    "BatchPage",
    "Selected",
    "SelectedTask",
    "Signed",
    "names_of",
]
