"""Reads of what-if scenarios, for managers and admins only: anyone else sees none (a 404).
Results come back as rows ready for a page, a CSV or the API."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from core.models import User
from core.roles import is_manager
from core.tickets.kinds import kind_named
from sla.models import SlaPolicy
from sla.models_whatif import Dimension, WhatIfAggregate, WhatIfFlip, WhatIfScenario


def scenario_list_for_user(user: User | AnonymousUser) -> QuerySet[WhatIfScenario]:
    """Every scenario for managers and admins (newest first), none for anyone else."""
    if not is_manager(user):
        return WhatIfScenario.objects.none()
    return WhatIfScenario.objects.select_related("created_by", "support_group", "service")


def scenario_get_for_user(user: User | AnonymousUser, pk: int) -> WhatIfScenario:
    """The scenario, or WhatIfScenario.DoesNotExist (a 404) if absent or not the user's to see."""
    return scenario_list_for_user(user).get(pk=pk)


def flips_of(scenario: WhatIfScenario) -> QuerySet[WhatIfFlip]:
    return WhatIfFlip.objects.filter(scenario=scenario).order_by("pk")


@dataclass(frozen=True)
class PolicyRow:
    """A current active policy as the draft form shows it beside its inputs."""

    kind: str
    kind_label: str
    priority: int
    service_id: int | None
    service_name: str
    response_minutes: int
    resolution_minutes: int
    calendar_id: int
    calendar_name: str
    thresholds: tuple[tuple[int, str], ...]

    @property
    def prefix(self) -> str:
        return f"p-{self.kind}-{self.priority}-{self.service_id or 0}"

    @property
    def key(self) -> tuple[str, int, int | None]:
        return (self.kind, self.priority, self.service_id)


def current_policy_rows(kind_names: list[str]) -> list[PolicyRow]:
    """The active policies of the kinds, by kind, priority and service (two queries)."""
    policies = (
        SlaPolicy.objects.filter(is_active=True, ticket_kind__in=kind_names)
        .select_related("calendar", "service")
        .prefetch_related("thresholds")
        .order_by("ticket_kind", "priority", "service__name", "pk")
    )
    return [
        PolicyRow(
            kind=p.ticket_kind,
            kind_label=kind_named(p.ticket_kind).label,
            priority=p.priority,
            service_id=p.service_id,
            service_name=p.service.name if p.service else "",
            response_minutes=int(p.response_target.total_seconds() // 60),
            resolution_minutes=int(p.resolution_target.total_seconds() // 60),
            calendar_id=p.calendar_id,
            calendar_name=p.calendar.name,
            thresholds=tuple((t.percent, t.action) for t in p.thresholds.all()),
        )
        for p in policies
    ]


def _rate(met: int, breached: int) -> float | None:
    counted = met + breached
    return round(100 * met / counted, 1) if counted else None


@dataclass
class Side:
    met: int = 0
    breached: int = 0
    escalations: int = 0

    @property
    def compliance(self) -> float | None:
        return _rate(self.met, self.breached)


@dataclass
class ResultRow:
    """One priority or group of one kind: per metric before/after, and both metrics summed."""

    label: str
    metrics: dict[str, tuple[Side, Side]] = field(default_factory=dict)

    @property
    def breaches(self) -> tuple[int, int]:
        return (
            sum(b.breached for b, _ in self.metrics.values()),
            sum(a.breached for _, a in self.metrics.values()),
        )

    @property
    def escalations(self) -> tuple[int, int]:
        return (
            sum(b.escalations for b, _ in self.metrics.values()),
            sum(a.escalations for _, a in self.metrics.values()),
        )

    @property
    def response(self) -> tuple[Side, Side]:
        return self.side("response")

    @property
    def resolution(self) -> tuple[Side, Side]:
        return self.side("resolution")

    def side(self, metric: str) -> tuple[Side, Side]:
        return self.metrics.get(metric, (Side(), Side()))


@dataclass
class KindResults:
    kind: str
    label: str
    by_priority: list[ResultRow]
    by_group: list[ResultRow]
    total: ResultRow


def results_of(scenario: WhatIfScenario) -> list[KindResults]:
    """The stored aggregates, per kind, as rows per priority and per group and a total (one
    query)."""
    rows: dict[tuple[str, str], dict[int, ResultRow]] = defaultdict(dict)
    totals: dict[str, ResultRow] = {}
    for agg in WhatIfAggregate.objects.filter(scenario=scenario).order_by(
        "kind", "dimension", "key", "metric"
    ):
        row = rows[(agg.kind, agg.dimension)].setdefault(agg.key, ResultRow(agg.label))
        before = Side(agg.before_met, agg.before_breached, agg.before_escalations)
        after = Side(agg.after_met, agg.after_breached, agg.after_escalations)
        row.metrics[agg.metric] = (before, after)
        if agg.dimension == Dimension.PRIORITY:
            total = totals.setdefault(agg.kind, ResultRow("All"))
            b, a = total.side(agg.metric)
            total.metrics[agg.metric] = (
                Side(
                    b.met + before.met,
                    b.breached + before.breached,
                    b.escalations + before.escalations,
                ),
                Side(
                    a.met + after.met,
                    a.breached + after.breached,
                    a.escalations + after.escalations,
                ),
            )
    found = []
    for kind in scenario.kinds:
        found.append(
            KindResults(
                kind=kind,
                label=kind_named(kind).label,
                by_priority=[r for _, r in sorted(rows[(kind, Dimension.PRIORITY)].items())],
                by_group=sorted(rows[(kind, Dimension.GROUP)].values(), key=lambda r: r.label),
                total=totals.get(kind, ResultRow("All")),
            )
        )
    return found


def agent_path(flip: WhatIfFlip) -> str:
    """Where an agent opens the flipped ticket (through the kind registry)."""
    return kind_named(flip.kind).agent_path(flip.number)
