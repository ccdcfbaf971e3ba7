"""First-contact resolution and escalation rate per tier (from the timeline's tier moves)."""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from core.choices import EventKind, Tier
from core.models import TimelineEvent
from reporting.filters import ReportFilter
from reporting.metrics.flow import RateReport
from reporting.scope import resolved_in_period, spec_for, tickets_in_scope
from reporting.sql import compiled, fetch_all, tuned

MOVES = (EventKind.ESCALATED, EventKind.DEESCALATED)


def _moves(report: ReportFilter) -> QuerySet[TimelineEvent]:
    return TimelineEvent.objects.filter(
        ticket_type_id=spec_for(report).content_type_id, kind__in=MOVES
    ).order_by()


@dataclass(frozen=True)
class TierRate:
    tier: int
    whole: int
    part: int

    @property
    def rate(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class FirstContactReport:
    """Tickets resolved in the period without ever changing tier (no escalation or
    de-escalation): resolved by the tier that logged them. Overall and per resolving tier."""

    total: RateReport
    by_tier: dict[int, RateReport]

    @property
    def tiers(self) -> list[TierRate]:
        return [TierRate(t, r.whole, r.part) for t, r in sorted(self.by_tier.items())]


@tuned
def first_contact(report: ReportFilter) -> FirstContactReport:
    resolved_sql, resolved_params = compiled(resolved_in_period(report).values("id", "tier"))
    moved_sql, moved_params = compiled(_moves(report).values("ticket_id").distinct())
    # One pass: a hash left join to the distinct moved tickets. (NOT IN inside an aggregate's
    # FILTER is a per-row subplan, quadratic once the moved ids outgrow work_mem.)
    sql = f"""
        SELECT t.tier, COUNT(*), COUNT(m.ticket_id)
        FROM ({resolved_sql}) t LEFT JOIN ({moved_sql}) m ON m.ticket_id = t.id
        GROUP BY t.tier
    """  # noqa: S608 — only compiled SQL is interpolated
    by_tier = {
        int(tier): RateReport(whole=int(whole), part=int(whole) - int(moved))
        for tier, whole, moved in sorted(fetch_all(sql, (*resolved_params, *moved_params)))
    }
    total = RateReport(
        whole=sum(r.whole for r in by_tier.values()), part=sum(r.part for r in by_tier.values())
    )
    return FirstContactReport(total=total, by_tier=by_tier)


@dataclass(frozen=True)
class EscalationRow:
    """Of the tickets created in the period that were worked at `tier` at some point
    (`handled`), those escalated out of it at least once (`escalated`)."""

    tier: int
    handled: int
    escalated: int

    @property
    def rate(self) -> float | None:
        return self.escalated / self.handled if self.handled else None


@tuned
def escalation_rate(report: ReportFilter) -> list[EscalationRow]:
    """Per tier (only the filter's tier when it names one). A ticket was at a tier if it is
    there now or left it by a move; both read in the database from the ticket and its moves."""
    scope = tickets_in_scope(report, with_tier=False).filter(
        created_at__gte=report.start, created_at__lt=report.end
    )
    current = dict(scope.values("tier").annotate(n=Count("pk")).values_list("tier", "n"))
    moves_sql, moves_params = compiled(
        _moves(report)
        .annotate(from_tier=Cast(KT("changes__from_tier"), IntegerField()))
        .values("ticket_id", "from_tier", "kind")
    )
    scope_sql, scope_params = compiled(scope.values("id", "tier"))
    sql = f"""
        SELECT m.from_tier, COUNT(DISTINCT m.ticket_id),
          COUNT(DISTINCT CASE WHEN m.kind = %s THEN m.ticket_id END),
          COUNT(DISTINCT CASE WHEN t.tier = m.from_tier THEN m.ticket_id END)
        FROM ({moves_sql}) m JOIN ({scope_sql}) t ON t.id = m.ticket_id
        GROUP BY m.from_tier
    """  # noqa: S608 — only compiled SQL is interpolated
    left: dict[int, tuple[int, int, int]] = {}
    for tier, moved, escalated, still_there in fetch_all(
        sql, (EventKind.ESCALATED, *moves_params, *scope_params)
    ):
        if tier is not None:
            left[int(tier)] = (int(moved), int(escalated), int(still_there))
    tiers = [report.tier] if report.tier is not None else list(Tier.values)
    rows = []
    for tier in tiers:
        moved, escalated, still_there = left.get(tier, (0, 0, 0))
        rows.append(
            EscalationRow(
                tier=tier, handled=current.get(tier, 0) + moved - still_there, escalated=escalated
            )
        )
    return rows
