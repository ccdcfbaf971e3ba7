from django.conf import settings
from django.db import models


class ChangeProblem(models.Model):
    """A problem this change fixes (its permanent fix): closing the change after it was
    implemented can resolve the problem and, through it, the problem's incidents."""

    change = models.ForeignKey(
        "changes.Change", on_delete=models.CASCADE, related_name="problem_links"
    )
    problem = models.ForeignKey(
        "problems.Problem", on_delete=models.PROTECT, related_name="change_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["change", "problem"], name="change_problem_unique")
        ]
        indexes = [models.Index(fields=["problem"], name="change_problem_problem")]

    def __str__(self) -> str:
        return f"{self.change_id} fixes {self.problem_id}"


class ChangeIncident(models.Model):
    """An incident caused by this change (change failure rate, time to restore)."""

    change = models.ForeignKey(
        "changes.Change", on_delete=models.CASCADE, related_name="incident_links"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="change_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["change", "incident"], name="change_incident_unique"),
            # An incident has one cause.
            models.UniqueConstraint(fields=["incident"], name="change_incident_one_cause"),
        ]

    def __str__(self) -> str:
        return f"{self.change_id} caused {self.incident_id}"
