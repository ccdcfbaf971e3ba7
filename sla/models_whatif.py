"""SLA what-if scenarios (issue 17): a manager's draft of policy changes, the past tickets it is
replayed over, the background run's progress and its results. Nothing here ever writes a stored
clock (sla.models.SlaClock); sla.whatif.run only reads them."""

import uuid

from django.conf import settings
from django.db import models


class WhatIfStatus(models.TextChoices):
    DRAFT = "draft", "Not run yet"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_RUN_STATUSES = (WhatIfStatus.QUEUED, WhatIfStatus.RUNNING)


class FlipDirection(models.TextChoices):
    MET_TO_BREACHED = "met_to_breached", "Met → breached"
    BREACHED_TO_MET = "breached_to_met", "Breached → met"


class Dimension(models.TextChoices):
    PRIORITY = "priority", "Priority"
    GROUP = "group", "Support group"


class WhatIfScenario(models.Model):
    """A draft of SLA policy changes and the past tickets to replay it over.

    `draft` holds the overrides (sla.whatif.draft validates it: never stored unvalidated). The
    run fields belong to the background job (sla.whatif.run): `run_token` names the current run,
    so a stale or duplicated delivery acts on nothing. A run is split into parts
    (WhatIfPart), replayed side by side; `done` is the sum of their progress (the progress bar).
    """

    name = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    since = models.DateTimeField(help_text="Tickets created from this instant.")
    until = models.DateTimeField(help_text="Tickets created before this instant.")
    kinds = models.JSONField(default=list, help_text="Ticket kinds (names) to replay.")
    support_group = models.ForeignKey(
        "core.SupportGroup", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        "core.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    draft = models.JSONField(default=dict)

    status = models.CharField(
        max_length=10, choices=WhatIfStatus.choices, default=WhatIfStatus.DRAFT
    )
    run_token = models.UUIDField(default=uuid.uuid4)
    as_of = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "SLA what-if scenario"
        indexes = [models.Index(fields=["-created_at", "-id"], name="sla_whatif_recent_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def percent(self) -> int:
        """Progress of the run in whole percent (100 once done)."""
        if self.status == WhatIfStatus.DONE:
            return 100
        return min(100, (100 * self.done) // self.total) if self.total else 0


class WhatIfPart(models.Model):
    """One part of a scenario's run: for each kind (by its index in the scenario's `kinds`), the
    tickets with a primary key in (after, last] (`bounds`, `last` null for no upper end), replayed
    by one job of its own (sla.whatif.run.scenario_part_job).

    The rows are made when the run starts and belong to that run: a part acts only while its
    scenario is running under the token the job carries. `cursor_kind` / `cursor_pk` say where
    the part resumes after a worker died; `partial` holds its running totals; `finished` is set
    once, and the part that finds every other part finished writes the results.
    """

    scenario = models.ForeignKey(WhatIfScenario, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveSmallIntegerField()
    bounds = models.JSONField(default=list)
    cursor_kind = models.PositiveSmallIntegerField(default=0)
    cursor_pk = models.BigIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    partial = models.JSONField(default=dict, blank=True)
    finished = models.BooleanField(default=False)

    class Meta:
        ordering = ["scenario", "index"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "index"], name="sla_whatif_part_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scenario_id} part {self.index}"


class WhatIfAggregate(models.Model):
    """One line of a run's results: for one kind, metric and priority (or support group), the
    clocks met and breached and the escalations, before (as stored) and after (replayed under
    the draft). Compliance is met / (met + breached)."""

    scenario = models.ForeignKey(WhatIfScenario, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    metric = models.CharField(max_length=12)
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    key = models.IntegerField(help_text="The priority, or the support group id (0: none).")
    label = models.CharField(max_length=150)
    before_met = models.PositiveIntegerField(default=0)
    before_breached = models.PositiveIntegerField(default=0)
    before_escalations = models.PositiveIntegerField(default=0)
    after_met = models.PositiveIntegerField(default=0)
    after_breached = models.PositiveIntegerField(default=0)
    after_escalations = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["scenario", "kind", "dimension", "key", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "kind", "dimension", "key", "metric"],
                name="sla_whatif_aggregate_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.metric} {self.label}"


class WhatIfFlip(models.Model):
    """A clock whose outcome the draft would change: met → breached or breached → met."""

    scenario = models.ForeignKey(WhatIfScenario, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    ticket_id = models.BigIntegerField()
    number = models.CharField(max_length=20)
    metric = models.CharField(max_length=12)
    priority = models.PositiveSmallIntegerField()
    group_id = models.BigIntegerField(null=True)
    direction = models.CharField(max_length=16, choices=FlipDirection.choices)
    due_before = models.DateTimeField(null=True)
    due_after = models.DateTimeField(null=True)

    class Meta:
        ordering = ["scenario", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "kind", "ticket_id", "metric"], name="sla_whatif_flip_unique"
            )
        ]
        indexes = [models.Index(fields=["scenario", "id"], name="sla_whatif_flip_page_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.metric}: {self.direction}"
