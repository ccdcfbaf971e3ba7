from django.apps import AppConfig


class SloConfig(AppConfig):
    """Service level objectives: availability and response objectives per service, their error
    budgets and burn rates computed in the database, multiwindow burn-rate alerts (fast burn
    pages, slow burn notifies) and the "budget spent" rule that changes read."""

    name = "slo"
    label = "slo"
    verbose_name = "Service level objectives"

    def ready(self) -> None:
        # Registers the description of the SLO's timeline event.
        from slo import events  # noqa: F401
