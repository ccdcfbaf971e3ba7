"""The Prometheus text exposition (format 0.0.4) served at /metrics.

Gauges, all computed in the database at scrape time (a few grouped queries, each on an index):
open tickets by kind, status and priority; open tickets past the due time of a running SLA
clock; SLA clocks met and breached over the last 7 days; MTTR and MTTA over the last 7 days
(mean seconds, wall-clock and business hours); the reopen and first-contact resolution rates
over the last 7 days. Every figure comes from the same reporting.metrics functions as the
report API, the CSV and the dashboard.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.utils import timezone

from core.choices import Priority
from reporting.filters import ReportFilter
from reporting.kinds import KindSpec, reopen_refusal, reported_kind_names, reported_kinds
from reporting.metrics.compliance import compliance
from reporting.metrics.durations import mtta, mttr
from reporting.metrics.flow import reopen_rate
from reporting.metrics.tiers import first_contact

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
WINDOW_DAYS = 7


def _manager(spec: KindSpec) -> Any:
    return spec.model._default_manager


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _sample(name: str, labels: dict[str, str], value: float | None) -> str:
    inside = ",".join(f'{key}="{_escape(str(v))}"' for key, v in labels.items())
    shown = "NaN" if value is None else repr(float(value))
    return f"{name}{{{inside}}} {shown}"


def _family(name: str, help_text: str, samples: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", *samples]


def _open_tickets() -> list[str]:
    samples = []
    for spec in reported_kinds():
        counts = {
            (row["status"], row["priority"]): row["n"]
            for row in _manager(spec)
            .filter(status__in=spec.open_statuses)
            .values("status", "priority")
            .annotate(n=Count("pk"))
            .order_by()
        }
        for status in spec.open_statuses:
            for priority in Priority.values:
                labels = {"kind": spec.name, "status": status, "priority": f"P{priority}"}
                samples.append(
                    _sample("servicedesk_open_tickets", labels, counts.get((status, priority), 0))
                )
    return _family(
        "servicedesk_open_tickets", "Open tickets by kind, status and priority.", samples
    )


def _overdue(now: datetime) -> list[str]:
    samples = []
    for spec in reported_kinds():
        counts = dict(
            _manager(spec)
            .filter(status__in=spec.open_statuses, sla_due_at__lt=now)
            .values("priority")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("priority", "n")
        )
        for priority in Priority.values:
            labels = {"kind": spec.name, "priority": f"P{priority}"}
            samples.append(
                _sample("servicedesk_sla_overdue_tickets", labels, counts.get(priority, 0))
            )
    return _family(
        "servicedesk_sla_overdue_tickets",
        "Open tickets whose nearest running SLA clock is past its due time.",
        samples,
    )


def render_metrics(*, now: datetime | None = None) -> str:
    """The whole exposition, ending with a newline."""
    now = now or timezone.now()
    lines = [*_open_tickets(), *_overdue(now)]
    met: list[str] = []
    breached: list[str] = []
    ratio: list[str] = []
    resolve: list[str] = []
    acknowledge: list[str] = []
    reopened: list[str] = []
    first_contacts: list[str] = []
    for kind in reported_kind_names():
        window = ReportFilter.last_days(WINDOW_DAYS, now=now, kind=kind)
        total = compliance(window, now=now).total
        for metric, outcome in (("response", total.response), ("resolution", total.resolution)):
            labels = {"kind": kind, "metric": metric}
            met.append(_sample("servicedesk_sla_met_7d", labels, outcome.met))
            breached.append(_sample("servicedesk_sla_breached_7d", labels, outcome.breached))
            ratio.append(_sample("servicedesk_sla_compliance_ratio_7d", labels, outcome.rate))
        for report, target in (
            (mttr(window, percentiles=False), resolve),
            (mtta(window, percentiles=False), acknowledge),
        ):
            for basis, stats in (("wall", report.wall), ("business", report.business)):
                name = f"servicedesk_{report.metric}_7d_seconds"
                target.append(_sample(name, {"kind": kind, "basis": basis}, stats.mean))
        if not reopen_refusal(kind):
            reopened.append(
                _sample("servicedesk_reopen_rate_7d", {"kind": kind}, reopen_rate(window).rate)
            )
        first_contacts.append(
            _sample(
                "servicedesk_first_contact_rate_7d",
                {"kind": kind},
                first_contact(window).total.rate,
            )
        )
    lines += _family("servicedesk_sla_met_7d", "SLA clocks met in the last 7 days.", met)
    lines += _family(
        "servicedesk_sla_breached_7d", "SLA clocks breached in the last 7 days.", breached
    )
    lines += _family(
        "servicedesk_sla_compliance_ratio_7d",
        "Met / (met + breached) over the last 7 days (NaN when none was decided).",
        ratio,
    )
    lines += _family(
        "servicedesk_mttr_7d_seconds",
        "Mean time to resolve over tickets resolved in the last 7 days, on-hold time excluded "
        "(NaN when none).",
        resolve,
    )
    lines += _family(
        "servicedesk_mtta_7d_seconds",
        "Mean time to acknowledge over tickets acknowledged in the last 7 days (NaN when none).",
        acknowledge,
    )
    lines += _family(
        "servicedesk_reopen_rate_7d",
        "Share of the tickets resolved in the last 7 days that were reopened at least once "
        "(NaN when none was resolved).",
        reopened,
    )
    lines += _family(
        "servicedesk_first_contact_rate_7d",
        "Share of the tickets resolved in the last 7 days by the tier that logged them, never "
        "escalated nor de-escalated (NaN when none was resolved).",
        first_contacts,
    )
    return "\n".join(lines) + "\n"
