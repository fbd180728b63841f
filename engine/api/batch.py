"""One step on many orders at once (``Engine.batch_page``, ``Engine.take_batch``): what they answer with."""

from engine.runtime.batch import MAX_BATCH, BatchOutcome, BatchPage, Selected

__all__ = ["MAX_BATCH", "BatchOutcome", "BatchPage", "Selected"]
