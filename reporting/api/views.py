"""The report endpoints: GET /api/v1/reports/<metric>/?start=&end=&kind=&service=&ci=&group=
&tier=&priority= (compliance also takes `by`). Managers and admins only: agents and end users get
403, like the dashboard. Tokens need the `read` scope. The answer is
{"filter": <the filter as understood>, "report": <the metric>}; bad parameters are a 400 listing
each field's error (core.api.errors), and nothing is computed."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.permissions import HasTokenScope, IsManager
from core.read_replica import replica_reads
from reporting.api import serializers as out
from reporting.filters import ReportFilter
from reporting.kinds import reported_kind_names
from reporting.metrics.compliance import BREAKDOWNS, compliance
from reporting.metrics.durations import mtta, mttr
from reporting.metrics.flow import backlog, reopen_rate, volume
from reporting.metrics.mtbf import mtbf
from reporting.metrics.oncall import oncall_review
from reporting.metrics.satisfaction import satisfaction
from reporting.metrics.summary import cached_summary
from reporting.metrics.tiers import escalation_rate, first_contact

FILTER_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.STR, description="Date or ISO date-time (inclusive)."),
    OpenApiParameter("end", OpenApiTypes.STR, description="Date (inclusive) or ISO date-time."),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=reported_kind_names()),
    OpenApiParameter("service", OpenApiTypes.INT),
    OpenApiParameter("ci", OpenApiTypes.INT, description="Configuration item id."),
    OpenApiParameter("group", OpenApiTypes.INT, description="Support group id."),
    OpenApiParameter("tier", OpenApiTypes.INT, enum=[1, 2, 3]),
    OpenApiParameter("priority", OpenApiTypes.INT, enum=[1, 2, 3, 4, 5]),
]


# What each report's operation says in the schema.
SUMMARIES = {
    "mttr": "Mean time to resolve (mean, median, p90; wall-clock and business)",
    "mtta": "Mean time to acknowledge (mean, median, p90; wall-clock and business)",
    "mtbf": "Mean time between failures per service and CI (incidents only)",
    "compliance": "SLA compliance, met / (met + breached), response and resolution",
    "backlog": "Open tickets now by age and priority (the period does not apply)",
    "volume": "Tickets created and resolved per day",
    "reopen_rate": "Share of incidents resolved in the period that were reopened",
    "first_contact": "First-contact resolution: resolved without a tier move",
    "escalation_rate": "Escalation rate per tier, tickets created in the period",
    "satisfaction": "Average rating (1-5) and distribution, rated in period",
    "oncall_review": (
        "On-call review: pages per team and person per week, time to acknowledge a page "
        "(median, p90), interruptions in business, off and sleep hours (period and group only)"
    ),
    "summary": (
        "The dashboard tiles: headline numbers of every metric (means; cached up to a minute)"
    ),
}


@dataclass(frozen=True)
class Report:
    """One report endpoint: GET reports/<name with dashes>/ answers
    {"filter", "report": compute(filter, **options)}, where `options` are its own query
    parameters besides the filter's (None when absent). `name` is also its operationId suffix
    and names its response in the schema.
    """

    name: str
    report: serializers.Serializer[Any]
    compute: Callable[..., Any]
    options: tuple[OpenApiParameter, ...] = ()

    @property
    def slug(self) -> str:
        return self.name.replace("_", "-")

    def envelope(self) -> type[serializers.Serializer[Any]]:
        """The response serializer {"filter", "report"}, named for the schema."""
        return type(
            f"{self.name.title().replace('_', '')}ResponseSerializer",
            (serializers.Serializer,),
            {"filter": out.FilterOutputSerializer(), "report": self.report},
        )


class ReportView(APIView):
    """One metric: parse the filter, compute, render {"filter", "report"}."""

    permission_classes = [IsAuthenticated, HasTokenScope, IsManager]
    output: type[serializers.Serializer[Any]]
    report: Report

    def get(self, request: Request) -> Response:
        report = ReportFilter.from_params(request.query_params)
        options = {p.name: request.query_params.get(p.name) or None for p in self.report.options}
        # After authentication (on the primary): the figures may come from the replica.
        with replica_reads():
            result = self.report.compute(report, **options)
            data = self.output({"filter": report, "report": result}).data
        return Response(data)


def report_view(report: Report) -> type[ReportView]:
    """The view class of one report, with its schema."""
    output = report.envelope()
    view = type(
        f"{output.__name__.removesuffix('ResponseSerializer')}ReportView",
        (ReportView,),
        {"output": output, "report": report},
    )
    schema = extend_schema_view(
        get=extend_schema(
            operation_id=f"reports_{report.name}",
            summary=SUMMARIES[report.name],
            parameters=[*FILTER_PARAMETERS, *report.options],
            responses={200: output},
            tags=["reports"],
        )
    )
    return schema(view)


def _escalation(report: ReportFilter) -> dict[str, Any]:
    return {"tiers": escalation_rate(report)}


BY = OpenApiParameter("by", OpenApiTypes.STR, enum=list(BREAKDOWNS), description="Breakdown.")

REPORTS: tuple[Report, ...] = (
    Report("mttr", out.DurationReportOutputSerializer(), mttr),
    Report("mtta", out.DurationReportOutputSerializer(), mtta),
    Report("mtbf", out.MtbfReportOutputSerializer(), mtbf),
    Report("compliance", out.ComplianceReportOutputSerializer(), compliance, (BY,)),
    Report("backlog", out.BacklogReportOutputSerializer(), backlog),
    Report("volume", out.VolumeReportOutputSerializer(), volume),
    Report("reopen_rate", out.RateOutputSerializer(), reopen_rate),
    Report("first_contact", out.FirstContactOutputSerializer(), first_contact),
    Report("escalation_rate", out.EscalationReportOutputSerializer(), _escalation),
    Report("satisfaction", out.SatisfactionOutputSerializer(), satisfaction),
    Report("summary", out.SummaryOutputSerializer(), cached_summary),
    Report("oncall_review", out.OncallReviewOutputSerializer(), oncall_review),
)
