"""The report endpoints: GET /api/v1/reports/<metric>/?start=&end=&kind=&service=&ci=&group=
&tier=&priority= (compliance also takes `by`). Managers and admins only: agents and end users get
403, like the dashboard. Tokens need the `read` scope. The answer is
{"filter": <the filter as understood>, "report": <the metric>}; bad parameters are a 400 listing
each field's error (core.api.errors), and nothing is computed."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.permissions import HasTokenScope, IsManager
from reporting.api import serializers as out
from reporting.filters import ReportFilter
from reporting.kinds import reported_kind_names
from reporting.metrics.compliance import BREAKDOWNS, compliance
from reporting.metrics.durations import mtta, mttr
from reporting.metrics.flow import backlog, reopen_rate, volume
from reporting.metrics.mtbf import mtbf
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


def _envelope(name: str, report: serializers.Serializer[Any]) -> type[serializers.Serializer[Any]]:
    """A response serializer {"filter", "report"} named for the schema."""
    return type(
        f"{name}ResponseSerializer",
        (serializers.Serializer,),
        {"filter": out.FilterOutputSerializer(), "report": report},
    )


def _schema(
    name: str,
    output: type[serializers.Serializer[Any]],
    summary: str,
    extra: list[OpenApiParameter] | None = None,
) -> Any:
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"reports_{name}",
            summary=summary,
            parameters=[*FILTER_PARAMETERS, *(extra or [])],
            responses={200: output},
            tags=["reports"],
        )
    )


class ReportView(APIView):
    """One metric: parse the filter, compute, render {"filter", "report"}."""

    permission_classes = [IsAuthenticated, HasTokenScope, IsManager]
    output: type[serializers.Serializer[Any]]

    def compute(self, report: ReportFilter, request: Request) -> Any:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        report = ReportFilter.from_params(request.query_params)
        result = self.compute(report, request)
        return Response(self.output({"filter": report, "report": result}).data)


MTTR = _envelope("Mttr", out.DurationReportOutputSerializer())
MTTA = _envelope("Mtta", out.DurationReportOutputSerializer())
MTBF = _envelope("Mtbf", out.MtbfReportOutputSerializer())
COMPLIANCE = _envelope("Compliance", out.ComplianceReportOutputSerializer())
BACKLOG = _envelope("Backlog", out.BacklogReportOutputSerializer())
VOLUME = _envelope("Volume", out.VolumeReportOutputSerializer())
REOPEN = _envelope("ReopenRate", out.RateOutputSerializer())
FIRST_CONTACT = _envelope("FirstContact", out.FirstContactOutputSerializer())
ESCALATION = _envelope("EscalationRate", out.EscalationReportOutputSerializer())
SATISFACTION = _envelope("Satisfaction", out.SatisfactionOutputSerializer())
SUMMARY = _envelope("Summary", out.SummaryOutputSerializer())


@_schema("mttr", MTTR, "Mean time to resolve (mean, median, p90; wall-clock and business)")
class MttrReportView(ReportView):
    output = MTTR

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return mttr(report)


@_schema("mtta", MTTA, "Mean time to acknowledge (mean, median, p90; wall-clock and business)")
class MttaReportView(ReportView):
    output = MTTA

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return mtta(report)


@_schema("mtbf", MTBF, "Mean time between failures per service and CI (incidents only)")
class MtbfReportView(ReportView):
    output = MTBF

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return mtbf(report)


@_schema(
    "compliance",
    COMPLIANCE,
    "SLA compliance, met / (met + breached), response and resolution",
    [OpenApiParameter("by", OpenApiTypes.STR, enum=list(BREAKDOWNS), description="Breakdown.")],
)
class ComplianceReportView(ReportView):
    output = COMPLIANCE

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return compliance(report, by=request.query_params.get("by") or None)


@_schema("backlog", BACKLOG, "Open tickets now by age and priority (the period does not apply)")
class BacklogReportView(ReportView):
    output = BACKLOG

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return backlog(report)


@_schema("volume", VOLUME, "Tickets created and resolved per day")
class VolumeReportView(ReportView):
    output = VOLUME

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return volume(report)


@_schema("reopen_rate", REOPEN, "Share of incidents resolved in the period that were reopened")
class ReopenRateReportView(ReportView):
    output = REOPEN

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return reopen_rate(report)


@_schema("first_contact", FIRST_CONTACT, "First-contact resolution: resolved without a tier move")
class FirstContactReportView(ReportView):
    output = FIRST_CONTACT

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return first_contact(report)


@_schema("escalation_rate", ESCALATION, "Escalation rate per tier, tickets created in the period")
class EscalationRateReportView(ReportView):
    output = ESCALATION

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return {"tiers": escalation_rate(report)}


@_schema("satisfaction", SATISFACTION, "Average rating (1-5) and distribution, rated in period")
class SatisfactionReportView(ReportView):
    output = SATISFACTION

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return satisfaction(report)


@_schema(
    "summary",
    SUMMARY,
    "The dashboard tiles: headline numbers of every metric (means; cached up to a minute)",
)
class SummaryReportView(ReportView):
    output = SUMMARY

    def compute(self, report: ReportFilter, request: Request) -> Any:
        return cached_summary(report)
