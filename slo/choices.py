from django.db import models


class ObjectiveKind(models.TextChoices):
    AVAILABILITY = "availability", "Availability"
    RESPONSE = "response", "Response time"


class AlertRule(models.TextChoices):
    """The multiwindow, multi-burn-rate alerts of the SRE workbook (slo.budget.ALERT_POLICIES)
    and the budget running out."""

    PAGE_1H = "page_1h", "Fast burn (1 h and 5 min)"
    PAGE_6H = "page_6h", "Fast burn (6 h and 30 min)"
    NOTIFY_1D = "notify_1d", "Slow burn (1 day and 2 h)"
    NOTIFY_3D = "notify_3d", "Slow burn (3 days and 6 h)"
    EXHAUSTED = "exhausted", "Budget spent"
