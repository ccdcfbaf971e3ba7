import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from incidents.alerts.choices import AlertStatus, IntegrationKind
from incidents.alerts.severity import severity_map_errors
from incidents.choices import Category

LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Integration(models.Model):
    """A monitoring tool allowed to raise and resolve incidents, through its own secret.

    Only the SHA-256 of the secret is stored (`token_hash`); the secret itself is shown once, when
    the integration is created or its secret rotated (incidents.alerts.services). Incidents it
    opens are requested by its `reporter`, a user created with it that cannot sign in.
    An inactive integration is revoked: its secret is refused like an unknown one.
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=IntegrationKind.choices)
    service = models.ForeignKey(
        "core.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alert_integrations",
        help_text="Service of the incidents it opens (needed to resolve them automatically).",
    )
    support_group = models.ForeignKey(
        "core.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alert_integrations",
        help_text="Group its incidents go to; empty: the service's first-line group.",
    )
    category = models.CharField(
        max_length=20,
        choices=Category.choices,
        default=Category.OTHER,
        help_text="Category of its incidents.",
    )
    auto_resolve = models.BooleanField(
        default=False,
        help_text="Resolve the incident when every alert on it has recovered.",
    )
    pages = models.BooleanField(
        default=False,
        help_text=(
            "Page the on-call of the incident's group for every new incident it opens, whatever "
            "its priority (the group's escalation policy)."
        ),
    )
    severity_label = models.CharField(
        max_length=100,
        default="severity",
        help_text="Label holding the severity (Alertmanager and Grafana).",
    )
    severity_map = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            'Overrides of the default severity mapping, e.g. {"sev1": {"impact": "high", '
            '"urgency": "high"}}.'
        ),
    )
    service_label = models.CharField(
        max_length=100,
        default="service",
        blank=True,
        help_text=(
            "Label naming the service of an alert (matched with the services' names, ignoring "
            "case); no match: the integration's service. Empty: always the integration's."
        ),
    )
    ci_label = models.CharField(
        max_length=100,
        default="instance",
        blank=True,
        help_text=(
            "Label naming the configuration item of an alert (matched with the CIs' names, "
            "ignoring case; it also gives the service when no service label matched). Empty: none."
        ),
    )
    max_new_incidents_per_minute = models.PositiveIntegerField(
        default=20,
        help_text=(
            "Storm protection: alerts above this many new incidents in the last minute join one "
            "storm incident instead. 0 turns the limit off."
        ),
    )
    # Storm protection's fixed one-minute window: when it started, how many new incidents it
    # has granted, and to which alerts (digests of their fingerprints: a duplicate delivery of
    # one alert, even a concurrent one, holds the slot its alert already has). Reserved from in
    # a short transaction of its own (incidents.alerts.rate).
    rate_window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    rate_window_used = models.PositiveIntegerField(default=0, editable=False)
    rate_window_alerts = models.JSONField(default=list, blank=True, editable=False)
    reporter = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="alert_integration",
        editable=False,
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(
        max_length=12, editable=False, help_text="The secret's first characters, to recognise it."
    )
    token_rotated_at = models.DateTimeField(editable=False)
    is_active = models.BooleanField(default=True, help_text="Clear to revoke the secret.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = severity_map_errors(self.severity_map)
        if errors:
            raise ValidationError({"severity_map": errors})
        for name in ("service_label", "ci_label"):
            value = getattr(self, name)
            if value and not LABEL_NAME.fullmatch(value):
                raise ValidationError(
                    {name: "A label name: letters, digits and underscores, not a digit first."}
                )
        if self.auto_resolve and self.service_id is None:
            raise ValidationError(
                {
                    "service": "Resolving automatically needs a service: an incident is classified "
                    "(with its service) before it can be resolved."
                }
            )


class AlertStorm(models.Model):
    """An open storm summary incident of one integration: where alerts go while it raises more
    new incidents per minute than it may. At most one open per integration (constraint), so
    concurrent deliveries share it. It stays open as long as its incident is open."""

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="storms")
    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.PROTECT, related_name="alert_storm"
    )
    is_open = models.BooleanField(default=True)
    alerts_count = models.PositiveIntegerField(default=0, help_text="Alerts that joined it.")
    pending_count = models.PositiveIntegerField(
        default=0, help_text="Alerts that joined since the last summary on the timeline."
    )
    pending_names = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField()
    last_event_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration"], condition=Q(is_open=True), name="alertstorm_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"Storm of {self.integration_id} on {self.incident_id}"


class AlertLink(models.Model):
    """One alert (by fingerprint or dedup key) of an integration and the incident it is on.

    An open link is the alert's one open incident: the partial unique constraint on (integration,
    fingerprint) among open links makes concurrent deliveries of a new alert open ONE incident.
    A link closes (is_open=False) when its incident is no longer open; the next firing of the
    fingerprint then opens a new incident, except right after auto-resolve: a link closed by it
    (`closed_by_auto_resolve`) whose incident is still resolved is reopened with its incident
    when the alert fires again within ALERTS_REOPEN_WINDOW_MINUTES (a flapping alert).
    `occurrences` counts firings (a new `startsAt`; a re-send of the same firing is not one;
    without `startsAt`, every firing delivery is one); the timeline gets an event per status
    change and at most one "fired again" summary per interval (`pending_occurrences` counts
    those since the last one).
    """

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="links")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="alert_links"
    )
    fingerprint = models.CharField(max_length=255)
    name = models.CharField(max_length=200, help_text="The alert's title at its latest firing.")
    is_open = models.BooleanField(default=True)
    opened_incident = models.BooleanField(
        default=True, help_text="It opened its own incident (not storm-joined or absorbed)."
    )
    alert_status = models.CharField(
        max_length=10, choices=AlertStatus.choices, default=AlertStatus.FIRING
    )
    occurrences = models.PositiveIntegerField(default=1)
    pending_occurrences = models.PositiveIntegerField(default=0)
    labels = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    last_event_at = models.DateTimeField()
    recovered_at = models.DateTimeField(null=True, blank=True)
    starts_at = models.DateTimeField(
        null=True, blank=True, help_text="When its latest firing started (the sender's startsAt)."
    )
    previous_incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The incident the same alert was on before this one (a repeat).",
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_auto_resolve = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "fingerprint"],
                condition=Q(is_open=True),
                name="alertlink_one_open_per_fingerprint",
            )
        ]
        indexes = [
            # Auto-resolve asks whether other alerts on the incident are still firing.
            models.Index(fields=["incident", "is_open"], name="alertlink_incident_open"),
            # A firing alert without an open link asks for a recent auto-resolve to reopen.
            models.Index(
                fields=["integration", "fingerprint", "-closed_at"],
                condition=Q(closed_by_auto_resolve=True),
                name="alertlink_auto_resolved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fingerprint} -> {self.incident_id}"


class IntakeLogEntry(models.Model):
    """A delivery the intake refused (malformed, too large), kept for the integration's admin.

    Only the newest ALERTS_INTAKE_LOG_KEEP entries per integration are kept, each with at most
    ALERTS_INTAKE_LOG_BODY_BYTES of the body. Written only by services; read-only in the admin.
    """

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="intake_log"
    )
    received_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40)
    message = models.TextField()
    fields = models.JSONField(default=dict, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body_size = models.PositiveIntegerField()
    body_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "intake log entry"
        verbose_name_plural = "intake log"
        indexes = [models.Index(fields=["integration", "-id"], name="intakelog_integration")]

    def __str__(self) -> str:
        return f"{self.status_code} {self.code} at {self.received_at:%Y-%m-%d %H:%M:%S}"
