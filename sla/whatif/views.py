"""The manager's what-if pages, under /reports/sla-what-if/:

- ``""``                   the scenarios (newest first, 25 a page) and a button for a new one;
- ``new/``, ``<pk>/edit/`` the scenario form: period, kinds, filters and the draft beside the
                           current policies;
- ``<pk>/``                a scenario: its draft, its run (a progress bar that refreshes itself
                           through HTMX while the run is queued or running) and, once done, the
                           results: before/after per priority and group, the flipped clocks;
- ``<pk>/progress/``       the progress partial (tells HTMX to reload the page once the run ends);
- ``<pk>/run/``, ``<pk>/cancel/``, ``<pk>/delete/``  POST only;
- ``<pk>/flips.csv``, ``<pk>/totals.csv``             the downloads (sla.whatif.exports).

Managers and admins only: anyone else gets the 404 an unknown page gets. Bad input is a 400
with the message on its field, and nothing is stored.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError, ValidationFailed
from core.roles import is_manager
from core.web.access import current_user, paginate
from core.web.csv_download import csv_download
from core.web.forms import apply_domain_errors
from sla.models import Calendar
from sla.models_whatif import WhatIfScenario, WhatIfStatus
from sla.whatif.draft import overrides_of
from sla.whatif.exports import flips_csv_rows, totals_csv_rows
from sla.whatif.forms import ScenarioForm, thresholds_text
from sla.whatif.selectors import (
    agent_path,
    current_policy_rows,
    flips_of,
    results_of,
    scenario_get_for_user,
    scenario_list_for_user,
)
from sla.whatif.services import (
    scenario_cancel,
    scenario_create,
    scenario_delete,
    scenario_run,
    scenario_update,
    sla_kind_names,
)

ViewFunc = Callable[..., HttpResponseBase]
SCENARIOS_PER_PAGE = 25
FLIPS_PER_PAGE = 50
# How often the progress bar asks for news while a run is queued or running.
PROGRESS_REFRESH = "every 2s"
FORM_ALIASES = {"draft": "__all__"}


def manager_required(view: ViewFunc) -> ViewFunc:
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_manager(request.user):
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    return wrapped


def _scenario(request: HttpRequest, pk: int) -> WhatIfScenario:
    try:
        return scenario_get_for_user(current_user(request), pk)
    except WhatIfScenario.DoesNotExist:
        raise Http404("No such scenario.") from None


@never_cache
@manager_required
@require_GET
def scenario_list(request: HttpRequest) -> HttpResponse:
    page = paginate(
        request, scenario_list_for_user(current_user(request)), per_page=SCENARIOS_PER_PAGE
    )
    return render(request, "sla/whatif/list.html", {"page": page, "scenarios": page.object_list})


def _form_page(
    request: HttpRequest, form: ScenarioForm, scenario: WhatIfScenario | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "sla/whatif/form.html", {"form": form, "scenario": scenario}, status=status
    )


def _save(request: HttpRequest, scenario: WhatIfScenario | None) -> HttpResponse:
    policies = current_policy_rows(sla_kind_names())
    if request.method != "POST":
        return _form_page(request, ScenarioForm(policies=policies, scenario=scenario), scenario)
    form = ScenarioForm(request.POST, policies=policies, scenario=scenario)
    if not form.is_valid():
        return _form_page(request, form, scenario, status=400)
    try:
        if scenario is None:
            saved = scenario_create(actor=current_user(request), data=form.scenario_input())
        else:
            saved = scenario_update(scenario=scenario, data=form.scenario_input())
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, FORM_ALIASES)
        return _form_page(request, form, scenario, status=400)
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _form_page(request, form, scenario, status=409)
    messages.success(request, f"The scenario “{saved.name}” is saved. Run it when ready.")
    return redirect("sla_whatif:detail", saved.pk)


@never_cache
@manager_required
def scenario_new(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@never_cache
@manager_required
def scenario_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, _scenario(request, pk))


def _draft_rows(scenario: WhatIfScenario) -> list[dict[str, Any]]:
    """The draft's overrides beside the current policy they change, for the page."""
    current = {row.key: row for row in current_policy_rows(scenario.kinds)}
    calendars = dict(Calendar.objects.values_list("pk", "name"))
    rows = []
    for override in overrides_of(scenario.draft):
        policy = current.get(override.policy_key)
        rows.append(
            {
                "override": override,
                "policy": policy,
                "thresholds": (
                    thresholds_text(override.thresholds)
                    if override.thresholds is not None
                    else None
                ),
                "current_thresholds": thresholds_text(policy.thresholds) if policy else "",
                "calendar": calendars.get(override.calendar or 0, ""),
            }
        )
    return rows


@never_cache
@manager_required
@require_GET
def scenario_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    context: dict[str, Any] = {
        "scenario": scenario,
        "draft_rows": _draft_rows(scenario),
        "refresh": PROGRESS_REFRESH,
    }
    if scenario.status == WhatIfStatus.DONE:
        page = paginate(request, flips_of(scenario), per_page=FLIPS_PER_PAGE)
        context["results"] = results_of(scenario)
        context["page"] = page
        context["flips"] = [(flip, agent_path(flip)) for flip in page.object_list]
    return render(request, "sla/whatif/detail.html", context)


@never_cache
@manager_required
@require_GET
def scenario_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial; once the run has ended, HTMX reloads the page for the results."""
    scenario = _scenario(request, pk)
    response = render(
        request,
        "sla/whatif/_progress.html",
        {"scenario": scenario, "refresh": PROGRESS_REFRESH},
    )
    if not scenario.is_active and getattr(request, "htmx", False):
        response["HX-Refresh"] = "true"
    return response


@manager_required
@require_POST
def scenario_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    try:
        scenario_run(scenario=scenario)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The run is queued; this page follows its progress.")
    return redirect("sla_whatif:detail", scenario.pk)


@manager_required
@require_POST
def scenario_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    try:
        scenario_cancel(scenario=scenario)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The run is cancelled.")
    return redirect("sla_whatif:detail", scenario.pk)


@manager_required
@require_POST
def scenario_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    try:
        scenario_delete(scenario=scenario)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("sla_whatif:detail", scenario.pk)
    messages.success(request, f"The scenario “{scenario.name}” is deleted.")
    return redirect("sla_whatif:list")


def _csv(request: HttpRequest, pk: int, rows: Any, name: str) -> HttpResponseBase:
    scenario = _scenario(request, pk)
    if scenario.status != WhatIfStatus.DONE:
        raise Http404("This scenario has no results yet.")
    return csv_download(rows(scenario), f"what-if-{scenario.pk}-{name}.csv")


@manager_required
@require_GET
def flips_csv(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _csv(request, pk, flips_csv_rows, "flips")


@manager_required
@require_GET
def totals_csv(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _csv(request, pk, totals_csv_rows, "totals")
