"""The manager dashboard (issue 6): one page, an HTMX partial per tile, a CSV per chart and the
weekly-summary subscription control.

- GET /manager/dashboard/?period=30&group=3 -> the page. The tiles arrive as shells that load
  themselves in parallel (hx-trigger="load"), so the page answers at once and each tile keeps
  its own time budget; `load=all` (sent by the form when JavaScript is off) draws every tile in
  the one response. An HTMX request from the filter form gets only #dashboard-body.
- GET /manager/dashboard/tiles/<name>/?... -> one tile (the same template the page includes).
- GET /manager/dashboard/csv/<chart>.csv?... -> that chart's numbers, streamed.
- POST /manager/dashboard/subscriptions/ and .../<id>/delete/ -> reporting.services.

Managers and admins only (reporting.permissions.can_view_reports): anyone else signed in gets
403, as from the report API; anonymous users are sent to sign in. Bad filter values are a 400
with the message on its field, and nothing is computed.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from core.api.errors import error_body
from core.exceptions import DomainError, ValidationFailed
from core.models import Service, SupportGroup, User
from core.read_replica import reads_replica, replica_reads
from core.web.csv_download import csv_download, csv_stream
from reporting.dashboard_cache import cached_tile
from reporting.dashboard_filters import FILTER_PARAMETERS, DashboardQuery, dashboard_query
from reporting.dashboard_tiles import CSV_EXPORTS, DAILY_VOLUME_DAYS, TILES, TileContext
from reporting.kinds import default_kind, outage_refusal, spec_named
from reporting.metrics.mtbf import outage_impacts
from reporting.models import ReportSubscription, Weekday
from reporting.permissions import can_view_reports
from reporting.selectors import subscription_get_for_user, subscription_list_for_user
from reporting.services import subscription_create, subscription_delete

ViewFunc = Callable[..., HttpResponseBase]

TILE_TITLES: dict[str, str] = {
    "compliance": "SLA compliance",
    "now": "Breached and at risk now",
    "volume": "Created vs resolved",
    "backlog": "Backlog by age",
    "workload": "Workload",
    "durations": "MTTR and MTTA",
    "mtbf": "MTBF by service",
    "quality": "First contact, reopens, satisfaction",
    "oncall": "On-call pages",
    "slo": "Service level objectives",
}
# The CSV links in each tile's head: (link text, chart).
TILE_DOWNLOADS: dict[str, list[tuple[str, str]]] = {
    "compliance": [("CSV", "compliance-trend")],
    "volume": [("CSV", "volume"), ("By source CSV", "sources")],
    "backlog": [("CSV", "backlog")],
    "workload": [("Agents CSV", "workload-agents"), ("Tiers CSV", "workload-tiers")],
    "durations": [("CSV", "durations")],
    "mtbf": [("CSV", "mtbf")],
    "quality": [("Ratings CSV", "satisfaction")],
}
# Tiles whose CSV is a report export of its own (token or session, reporting.auth) rather than
# a chart's table: (link text, URL name), given the report's parameters.
TILE_EXPORTS: dict[str, list[tuple[str, str]]] = {
    "oncall": [("CSV", "reporting:oncall_review_csv")],
}
# Tiles about "now" refresh themselves (seconds); static/js/dashboard.js skips a refresh while
# the tab is hidden or the keyboard focus is inside the tile.
TILE_REFRESH: dict[str, int] = {"now": 60}


def manager_required(view: ViewFunc) -> ViewFunc:
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_view_reports(request.user):
            return render(request, "reporting/dashboard/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # behind login_required
    return user


def _tile_url(name: str, query: DashboardQuery) -> str:
    return reverse("reporting:dashboard_tile", args=[name]) + f"?{query.querystring}"


def _csv_url(chart: str, query: DashboardQuery) -> str:
    return reverse("reporting:dashboard_csv", args=[chart]) + f"?{query.querystring}"


def _tile(name: str, query: DashboardQuery, data: dict[str, Any] | None) -> dict[str, Any]:
    """What a tile template needs: its name (element ids), title, URLs and data (None: a shell
    that loads itself)."""
    report = query.report
    return {
        "name": name,
        "title": TILE_TITLES[name],
        "url": _tile_url(name, query),
        "refresh": TILE_REFRESH.get(name),
        "template": f"reporting/dashboard/tiles/{name}.html",
        "downloads": [
            (text, _csv_url(chart, query))
            for text, chart in TILE_DOWNLOADS.get(name, [])
            if report is not None and (chart != "mtbf" or not outage_refusal(report.kind))
        ]
        + [
            (text, f"{reverse(url_name)}?{urlencode(report.as_params())}")
            for text, url_name in TILE_EXPORTS.get(name, [])
            if report is not None
        ],
        "data": data,
        "noun": spec_named(report.kind).noun if report else "",
    }


def _tile_data(name: str, context: TileContext) -> dict[str, Any]:
    return cached_tile(name, context.report, now=context.now, compute=lambda: TILES[name](context))


def _scope(query: DashboardQuery) -> list[str]:
    """The filters in words, from the form's own choices (no query)."""
    if query.report is None:
        return []
    form = query.form
    words = [spec_named(query.report.kind).label]
    for name in ("group", "service", "priority", "tier"):
        value = form.cleaned_data.get(name)
        if value is None:
            continue
        field: Any = form.fields[name]
        labels = {str(key): label for key, label in field.choices}
        words.append(f"{field.label}: {labels.get(str(value), value)}")
    return words


def _body_context(request: HttpRequest, query: DashboardQuery, *, inline: bool) -> dict[str, Any]:
    tiles = []
    if query.report is not None:
        context = TileContext(report=query.report, user=_user(request), now=timezone.now())
        # The tiles may come from the replica; the subscriptions below, which this user may
        # have changed a moment ago, come from the primary.
        with replica_reads():
            for name in TILES:
                tiles.append(_tile(name, query, _tile_data(name, context) if inline else None))
    return {
        "query": query,
        "form": query.form,
        "tiles": tiles,
        "inline": inline,
        "scope": _scope(query),
        "all_tiles_url": f"{reverse('reporting:dashboard')}?{query.querystring}&load=all",
        "export_url": (
            reverse("reporting:export_csv") + "?" + urlencode(query.report.as_params())
            if query.report
            else ""
        ),
        **_subscription_context(request, query),
    }


def _is_body_request(request: HttpRequest) -> bool:
    htmx: Any = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and htmx.target == "dashboard-body"


@manager_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard page (or its body, for the filter form's HTMX request)."""
    query = dashboard_query(request.GET)
    context = _body_context(request, query, inline=request.GET.get("load") == "all")
    context["outage_impacts"] = ", ".join(outage_impacts())
    context["daily_volume_days"] = DAILY_VOLUME_DAYS
    template = "_body.html" if _is_body_request(request) else "page.html"
    htmx: Any = getattr(request, "htmx", None)
    # htmx restores a page from history only from a 2xx answer; the page explains the error.
    restoring = bool(htmx) and htmx.history_restore_request
    response = render(
        request,
        f"reporting/dashboard/{template}",
        context,
        status=200 if query.is_valid or restoring else 400,
    )
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@manager_required
@require_GET
@reads_replica
def dashboard_tile(request: HttpRequest, name: str) -> HttpResponse:
    """One tile, computed (the page's shells fetch these)."""
    if name not in TILES:
        raise Http404("No such tile.")
    query = dashboard_query(request.GET)
    errors = query.errors
    if query.report is not None:
        context = TileContext(report=query.report, user=_user(request), now=timezone.now())
        try:
            tile = _tile(name, query, _tile_data(name, context))
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return render(request, tile["template"], {"tile": tile, "query": query})
    return render(
        request,
        "reporting/dashboard/_tile_error.html",
        {"name": name, "title": TILE_TITLES[name], "errors": errors},
        status=400,
    )


def _bad_request(errors: dict[str, str]) -> JsonResponse:
    fields = {name: [message] for name, message in errors.items()}
    return JsonResponse(
        error_body("validation_failed", "Some parameters are invalid.", fields), status=400
    )


@manager_required
@require_GET
@reads_replica
def dashboard_csv(request: HttpRequest, chart: str) -> HttpResponseBase:
    """One chart's numbers as CSV (the rows of the table under the chart), streamed."""
    if chart not in CSV_EXPORTS:
        raise Http404("No such chart.")
    query = dashboard_query(request.GET)
    if query.report is None:
        return _bad_request(query.errors)
    context = TileContext(report=query.report, user=_user(request), now=timezone.now())
    rows = CSV_EXPORTS[chart](context)
    try:
        # The header first, so a refusal (MTBF of requests) is a 400, not a broken stream.
        header = next(rows)
    except ValidationFailed as exc:
        return _bad_request(exc.errors)
    filename = f"{chart}-{query.report.kind}s-{query.first_day}-to-{query.last_day}.csv"
    return csv_download(csv_stream(header, rows), filename)


# --- Weekly email subscriptions -------------------------------------------------------------


class SubscribeForm(forms.Form):
    weekday = forms.TypedChoiceField(
        choices=Weekday.choices, coerce=int, initial=Weekday.MONDAY, label="Every"
    )
    hour = forms.TypedChoiceField(
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)], coerce=int, initial=7, label="At"
    )


def _describe(subscriptions: list[ReportSubscription]) -> list[tuple[ReportSubscription, str]]:
    """Each subscription with its filters in words (group and service names: one query each,
    only when some subscription names one)."""
    group_ids = {s.filters.get("group") for s in subscriptions} - {None}
    service_ids = {s.filters.get("service") for s in subscriptions} - {None}
    groups: dict[Any, str] = (
        dict(SupportGroup.objects.filter(pk__in=group_ids).values_list("pk", "name"))
        if group_ids
        else {}
    )
    services: dict[Any, str] = (
        dict(Service.objects.filter(pk__in=service_ids).values_list("pk", "name"))
        if service_ids
        else {}
    )
    described = []
    for subscription in subscriptions:
        filters = subscription.filters
        words = [_noun(filters.get("kind") or default_kind())]
        if "group" in filters:
            words.append(f"group {groups.get(int(filters['group']), filters['group'])}")
        if "service" in filters:
            words.append(f"service {services.get(int(filters['service']), filters['service'])}")
        if "priority" in filters:
            words.append(f"P{filters['priority']}")
        if "tier" in filters:
            words.append(f"L{filters['tier']}")
        if "ci" in filters:
            words.append(f"CI #{filters['ci']}")
        described.append((subscription, ", ".join(words)))
    return described


def _noun(kind: str) -> str:
    """A stored kind in words; one no longer registered is shown by its name."""
    try:
        return spec_named(kind).noun
    except LookupError:
        return kind


def _subscription_context(
    request: HttpRequest,
    query: DashboardQuery,
    *,
    form: SubscribeForm | None = None,
    errors: list[str] | None = None,
    done: str = "",
) -> dict[str, Any]:
    user = _user(request)
    subscriptions = list(subscription_list_for_user(user=user))
    return {
        "subscriptions": _describe(subscriptions) if subscriptions else [],
        "subscribe_form": form or SubscribeForm(),
        "subscribe_errors": errors or [],
        "subscribe_done": done,
        "subscribe_dimensions": query.dimension_params(),
        "subscribe_return": query.querystring,
        "has_email": bool(user.email),
    }


def _return_query(request: HttpRequest) -> DashboardQuery:
    """The dashboard view the form was posted from (only the filter parameters are kept)."""
    posted = QueryDict(request.POST.get("return", ""))
    return dashboard_query({name: posted.get(name, "") for name in FILTER_PARAMETERS})


def _panel_or_redirect(
    request: HttpRequest, query: DashboardQuery, *, ok: bool, message: str, **extra: Any
) -> HttpResponse:
    if getattr(request, "htmx", None):
        context = _subscription_context(request, query, done=message if ok else "", **extra)
        return render(
            request,
            "reporting/dashboard/_subscriptions.html",
            {"query": query, **context},
            status=200 if ok else 400,
        )
    if ok:
        messages.success(request, message)
    else:
        for error in extra.get("errors") or [message]:
            messages.error(request, error)
    return redirect(f"{reverse('reporting:dashboard')}?{query.querystring}")


@manager_required
@require_POST
def dashboard_subscribe(request: HttpRequest) -> HttpResponse:
    """Subscribe to the weekly summary of the current filters (their dimensions; the summary
    always covers the last 7 days)."""
    query = _return_query(request)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return _panel_or_redirect(
            request, query, ok=False, message="Choose a day and an hour.", form=form
        )
    filters = {
        name: request.POST[name]
        for name in ("kind", "group", "service", "priority", "tier")
        if request.POST.get(name)
    }
    try:
        subscription_create(
            user=_user(request),
            weekday=form.cleaned_data["weekday"],
            hour=form.cleaned_data["hour"],
            filters=filters,
        )
    except ValidationFailed as exc:
        return _panel_or_redirect(
            request,
            query,
            ok=False,
            message="Not subscribed.",
            form=form,
            errors=[_subscription_error(name, text) for name, text in exc.errors.items()],
        )
    except DomainError as exc:
        return _panel_or_redirect(request, query, ok=False, message=str(exc), errors=[str(exc)])
    day = Weekday(form.cleaned_data["weekday"]).label
    return _panel_or_redirect(
        request,
        query,
        ok=True,
        message=f"Subscribed: a summary every {day} at {form.cleaned_data['hour']:02d}:00.",
    )


def _subscription_error(name: str, text: str) -> str:
    if name == "user":
        return f"{text} Add one to your profile (ask an admin) to receive the summary."
    if name.startswith("filters"):
        return f"The current filters cannot be stored: {text}"
    return text


@manager_required
@require_POST
def dashboard_unsubscribe(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of the signed-in user's subscriptions (someone else's is a 404)."""
    query = _return_query(request)
    subscription = subscription_get_for_user(user=_user(request), pk=pk)
    subscription_delete(subscription=subscription, actor=_user(request))
    return _panel_or_redirect(request, query, ok=True, message="Unsubscribed.")
