"""Satisfaction: the requesters' ratings (1 = very poor .. 5 = very good) given in the period,
for kinds whose tickets are rated (TicketKind.rating); nobody rated the others."""

from dataclasses import dataclass

from django.db.models import Avg, Count, Q

from reporting.filters import ReportFilter
from reporting.scope import spec_for, tickets_in_scope
from reporting.sql import tuned

SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class SatisfactionReport:
    """`average` is None when nobody rated; `distribution` counts each score."""

    count: int
    average: float | None
    distribution: dict[int, int]

    @property
    def scores(self) -> list[dict[str, int]]:
        return [{"score": s, "count": self.distribution.get(s, 0)} for s in SCORES]


@tuned
def satisfaction(report: ReportFilter) -> SatisfactionReport:
    if not spec_for(report).is_rated:
        return SatisfactionReport(count=0, average=None, distribution=dict.fromkeys(SCORES, 0))
    counts = {f"s{score}": Count("pk", filter=Q(satisfaction_score=score)) for score in SCORES}
    row = (
        tickets_in_scope(report)
        .filter(
            satisfaction_score__isnull=False,
            satisfaction_at__gte=report.start,
            satisfaction_at__lt=report.end,
        )
        .aggregate(n=Count("pk"), average=Avg("satisfaction_score"), **counts)
    )
    return SatisfactionReport(
        count=row["n"],
        average=None if row["average"] is None else float(row["average"]),
        distribution={score: row[f"s{score}"] for score in SCORES},
    )
