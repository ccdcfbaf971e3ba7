"""Celery entry points of the incidents app. Thin: they call the app's own functions."""

from celery import shared_task

from incidents.open_tally import compact_open_tally


@shared_task(name="incidents.compact_open_tally", acks_late=True, ignore_result=True)
def compact_open_tally_task() -> int:
    """Fold the open incidents' tally (incidents.open_tally): idempotent, each run sums what
    is there; returns the rows folded."""
    before, _ = compact_open_tally()
    return before
