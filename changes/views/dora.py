"""The DORA page (/manager/dora/) and its CSV (/reports/dora.csv): the figures of
changes.dora for a period, a team or a service. Managers and admins, like every report: the
page answers others with the dashboard's 403 page, the CSV also takes a `read` token."""

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from changes.dora import BAND_LABELS, DoraFigures, DoraReport, dora_for_params, dora_period
from core.api.errors import error_body
from core.exceptions import ValidationFailed
from core.read_replica import reads_replica, replica_reads
from core.web.csv_download import csv_stream
from core.web.forms import CappedModelChoiceField, active_groups, active_services
from reporting.auth import report_reader
from reporting.dashboard_views import manager_required

CSV_HEADER = (
    "scope",
    "id",
    "name",
    "team",
    "changes",
    "deployments",
    "deployments_per_week",
    "frequency_band",
    "lead_time_median_seconds",
    "lead_time_count",
    "failed_changes",
    "change_failure_rate",
    "time_to_restore_median_seconds",
    "restore_count",
)


class DoraFilterForm(forms.Form):
    """The page's filters; the same parameters as the API (checked by changes.dora)."""

    since = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From"
    )
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To (inclusive)"
    )
    group = CappedModelChoiceField(
        queryset=active_groups(), required=False, label="Team", empty_label="Every team"
    )
    service = CappedModelChoiceField(
        queryset=active_services(), required=False, label="Service", empty_label="Every service"
    )


@manager_required
@require_GET
@reads_replica
def dora_view(request: HttpRequest) -> HttpResponse:
    form = DoraFilterForm(request.GET or None)
    report: DoraReport | None = None
    status = 200
    try:
        report = dora_for_params(request.GET)
    except ValidationFailed as exc:
        status = 400
        form.is_valid()
        for name, message in exc.errors.items():
            if name in form.fields:
                form.add_error(name, message)
            else:
                form.add_error(None, message)
    return render(
        request,
        "changes/dora/page.html",
        {"form": form, "report": report, "bands": BAND_LABELS, "query": request.GET.urlencode()},
        status=status,
    )


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _row(scope: str, pk: Any, name: str, team: str, figures: DoraFigures) -> list[str]:
    rate = figures.change_failure_rate
    return [
        scope,
        "" if pk is None else str(pk),
        name,
        team,
        str(figures.changes),
        str(figures.deployments),
        f"{figures.per_week:.2f}",
        figures.band,
        _seconds(figures.lead_time_median),
        str(figures.lead_time_count),
        str(figures.failed),
        "" if rate is None else f"{rate:.4f}",
        _seconds(figures.restore_median),
        str(figures.restore_count),
    ]


def dora_csv_text(report: DoraReport) -> str:
    """The report as CSV: the overall row, one per team, one per service."""
    rows = [
        _row("all", None, "All services", "", report.overall),
        *(_row("team", team.group_id, team.name, team.name, team.figures) for team in report.teams),
        *(
            _row("service", service.service_id, service.name, service.group, service.figures)
            for service in report.services
        ),
    ]
    return "".join(csv_stream(CSV_HEADER, rows))


@require_GET
def dora_csv(request: HttpRequest) -> HttpResponseBase:
    """GET /reports/dora.csv?since=&until=&service=&group=."""
    reader = report_reader(request)
    if isinstance(reader, HttpResponse):
        return reader
    try:
        period = dora_period(request.GET)
        with replica_reads():
            report = dora_for_params(request.GET)
    except ValidationFailed as exc:
        fields = {name: [message] for name, message in exc.errors.items()}
        return JsonResponse(
            error_body("validation_failed", "Some parameters are invalid.", fields), status=400
        )
    response = HttpResponse(dora_csv_text(report), content_type="text/csv; charset=utf-8")
    name = f"dora-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
