"""Report endpoints outside the JSON API: the streamed CSV export and the Prometheus /metrics.

Both accept a manager's or admin's browser session or a personal API token with the `read`
scope (reporting.auth); the JSON endpoints live in reporting/api/.
"""

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.views.decorators.http import require_GET

from core.api.errors import error_body
from core.exceptions import ValidationFailed
from core.read_replica import replica_reads, streamed_from_replica
from core.web.csv_download import csv_download
from reporting.auth import report_reader
from reporting.export import csv_lines, export_filename
from reporting.filters import ReportFilter
from reporting.metrics.oncall import oncall_review
from reporting.oncall_export import review_csv_lines, review_filename
from reporting.prometheus import CONTENT_TYPE, render_metrics


@require_GET
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """GET /reports/export.csv?<filter>: one row per ticket created or resolved in the period."""
    reader = report_reader(request)
    if isinstance(reader, HttpResponse):
        return reader
    try:
        report = ReportFilter.from_params(request.GET)
    except ValidationFailed as exc:
        return _invalid(exc)
    # Authenticated on the primary (a token made a moment ago may not be on the replica yet).
    return csv_download(streamed_from_replica(csv_lines(report)), export_filename(report))


@require_GET
def oncall_review_csv(request: HttpRequest) -> HttpResponseBase:
    """GET /reports/oncall-review.csv?start=&end=&group=: the on-call review, one row per
    team-week and person-week (reporting.oncall_export)."""
    reader = report_reader(request)
    if isinstance(reader, HttpResponse):
        return reader
    try:
        report = ReportFilter.from_params(request.GET)
    except ValidationFailed as exc:
        return _invalid(exc)
    with replica_reads():
        review = oncall_review(report)
    response = HttpResponse(
        "".join(review_csv_lines(review)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{review_filename(report)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _invalid(exc: ValidationFailed) -> JsonResponse:
    fields = {name: [message] for name, message in exc.errors.items()}
    return JsonResponse(
        error_body("validation_failed", "Some parameters are invalid.", fields), status=400
    )


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """GET /metrics: the Prometheus text format, for a scrape with a read token."""
    reader = report_reader(request)
    if isinstance(reader, HttpResponse):
        return reader
    with replica_reads():
        text = render_metrics()
    response = HttpResponse(text, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
