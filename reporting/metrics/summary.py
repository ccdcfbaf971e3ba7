"""The dashboard tiles: the headline number of each metric, with the cheapest queries (means
only, no percentiles), and a short-lived cache for pages that poll them."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from reporting.filters import ReportFilter
from reporting.kinds import reopen_refusal
from reporting.metrics.compliance import ComplianceRow, compliance
from reporting.metrics.durations import DurationReport, mtta, mttr
from reporting.metrics.flow import RateReport, backlog, reopen_rate
from reporting.metrics.satisfaction import satisfaction
from reporting.metrics.tiers import first_contact
from reporting.sql import tuned


@dataclass(frozen=True)
class Summary:
    mttr: DurationReport
    mtta: DurationReport
    compliance: ComplianceRow
    backlog: int
    reopen: RateReport | None
    first_contact: RateReport
    satisfaction: float | None
    ratings: int


@tuned
def summary(report: ReportFilter) -> Summary:
    rated = satisfaction(report)
    return Summary(
        mttr=mttr(report, percentiles=False),
        mtta=mtta(report, percentiles=False),
        compliance=compliance(report).total,
        backlog=backlog(report).total.total,
        reopen=None if reopen_refusal(report.kind) else reopen_rate(report),
        first_contact=first_contact(report).total,
        satisfaction=rated.average,
        ratings=rated.count,
    )


def cached_summary(report: ReportFilter) -> Summary:
    """summary() of the period with its ends rounded down to the minute, kept in the cache for
    REPORTING_SUMMARY_CACHE_SECONDS (0 disables): a dashboard that several managers keep open
    asks the database once a minute, not on every refresh."""
    seconds = settings.REPORTING_SUMMARY_CACHE_SECONDS
    if seconds <= 0:
        return summary(report)
    start = report.start.replace(second=0, microsecond=0)
    end = report.end.replace(second=0, microsecond=0)
    rounded = report.with_period(start, end) if start < end else report
    params = sorted(rounded.as_params().items())
    key = "reporting:summary:" + hashlib.sha256(repr(params).encode()).hexdigest()
    found = cache.get(key)
    if isinstance(found, Summary):
        return found
    result = summary(rounded)
    cache.set(key, result, seconds)
    return result
