"""The agent's problem pages: the list (ProblemFilterSet, its rows refreshed through HTMX), a
new problem (also raised from an incident), the problem page (the kernel's ticket page with the
problem's panels; its actions are the kernel's generic views, routed in problems.urls) and the
links that name an incident in the URL (unlink, and linking from the incident page)."""

from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib import messages
from django.db import router, transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from core.exceptions import DomainError, TransitionError, ValidationFailed
from core.models import TicketBase, User
from core.tickets.actions import Action
from core.web.access import (
    HtmxHttpRequest,
    agent_required,
    current_user,
    queue_refresh_seconds,
    safe_next,
)
from core.web.forms import apply_domain_errors
from core.web.kept_list import filters_key, kept_page
from core.web.list_filters import filter_form_html, kept_filterset
from core.web.list_marker import (
    ROOT,
    code_digest,
    current_tags,
    etag_of,
    list_marker,
    not_modified,
    page_count_label,
    unchanged_tag,
    valid_until,
)
from core.web.paged_panel import paged_panel
from core.web.ticket_page import TicketPage
from problems import page_counts, services
from problems.filtersets import ProblemFilterSet
from problems.forms import LinkProblemForm, ProblemCreateForm, ResolveForm
from problems.linked_kind import LinkedTicket, linked_kind
from problems.linked_rows import kept_link_rows
from problems.models import Problem
from problems.panel_fields import PANEL_TEXT_CHARS, analysis_chars
from problems.permissions import can_work_problems
from problems.selectors import (
    linkable_problems,
    problem_get_for_user,
    problem_list_for_user,
)
from problems.views.problem_rows import (
    ROW_FIELDS,
    ProblemValues,
    problem_detail_url,
    problem_row_html,
)

# --- List and creation ----------------------------------------------------------------------


# The list's filters whose SQL is a function of their cleaned value alone: with only these, its
# statements are kept (core.web.kept_list).
PURE_FILTERS = ("q", "status", "service")

# What the list's table is made from (core.web.list_marker): its code, and each row as values.
LIST_CODE = code_digest(
    ROOT / "problems" / "views" / "problems.py",
    ROOT / "problems" / "views" / "problem_rows.py",
    ROOT / "core" / "web" / "cells.py",
    ROOT / "templates" / "problems" / "agent" / "_rows.html",
)


@agent_required
def problem_list(request: HtmxHttpRequest) -> HttpResponse:
    """The list; an HTMX request (the page refreshing itself) gets the table only, or 304 when
    the table it shows is still what it would get (its ETag; the ages move on in the browser).
    The rows are made from the values the marker reads (problems/views/problem_rows.py)."""
    user = current_user(request)
    filterset = kept_filterset(ProblemFilterSet, request, problem_list_for_user(user))
    filters = filters_key(filterset, PURE_FILTERS)
    scope = ("problem list", router.db_for_read(Problem), can_work_problems(user), filters)
    page, values = kept_page(
        request,
        None if filters is None else scope,
        lambda: filterset.qs,
        model=Problem,
        per_page=settings.QUEUE_PAGE_SIZE,
        columns=ROW_FIELDS,
    )
    refresh_seconds = queue_refresh_seconds()
    marker = list_marker(
        LIST_CODE, user.pk, request.get_full_path(), refresh_seconds, page_count_label(page), values
    )
    if request.htmx:
        unchanged = unchanged_tag(current_tags(request), marker)
        if unchanged is not None:
            return not_modified(unchanged)
    statuses = filterset.form.cleaned_data.get("status") if filterset.form.is_valid() else None
    etag = etag_of(marker, marker, valid_until([], timezone.now()))
    detail_url = problem_detail_url()
    context = {
        "filterset": filterset,
        "page": page,
        "rows": [
            mark_safe(problem_row_html(ProblemValues._make(row), detail_url))  # noqa: S308
            for row in values
        ],
        "open_only": not statuses,
        "refresh_seconds": refresh_seconds,
        "etag": etag,
    }
    if request.htmx:
        response = render(request, "problems/agent/_rows.html", context)
    else:
        context["filter_form"] = filter_form_html(
            request, "problems/agent/_filters.html", {"filterset": filterset}
        )
        response = render(request, "problems/agent/list.html", context)
    response["ETag"] = etag
    return response


def _from_incident(user: User, number: str) -> LinkedTicket | None:
    """The incident a problem is raised from (scope-checked like any read), if any."""
    if not number:
        return None
    try:
        return linked_kind().get_for_user(user, number)
    except Http404:
        return None


@agent_required
def problem_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    source = _from_incident(
        user, (request.POST.get("from_incident") or request.GET.get("incident") or "").strip()
    )
    initial: dict[str, Any] = {}
    if source is not None:
        initial = {
            "from_incident": source.number,
            "title": source.title,
            "service": source.service_id,
            "configuration_item": source.configuration_item_id,
            "category": source.category,
            "priority": source.priority,
        }
    form = ProblemCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # One unit: a problem raised from an incident exists only with its link.
            with transaction.atomic():
                problem = services.problem_create(
                    actor=user,
                    title=data["title"],
                    description=data["description"],
                    symptoms=data["symptoms"],
                    service=data["service"],
                    configuration_item=data["configuration_item"],
                    category=data["category"],
                    priority=data["priority"],
                    support_group=data["support_group"],
                    assignee=data["assignee"],
                )
                if source is not None:
                    services.problem_link_incident(problem, incident=source, actor=user)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        except TransitionError as exc:
            messages.error(request, str(exc))
        else:
            linked = f" and {source.number} linked to it" if source is not None else ""
            messages.success(request, f"{problem.number} created{linked}.")
            return redirect("problems:agent_detail", number=problem.number)
    return render(request, "problems/agent/new.html", {"form": form, "source": source})


# --- Problem page ---------------------------------------------------------------------------


class EditPanel(NamedTuple):
    """One of the problem page's edit panels (problems/agent/_edit_panel.html): its action,
    the summary's extra class and words, and the button's words."""

    name: str
    summary_class: str
    summary: str
    button: str


class ProblemPage(TicketPage):
    """The problem page: the kernel's ticket page (actions, timeline, notes, files, assignment,
    claiming, milestones) with the problem's own panels: the root-cause analysis, the linked
    incidents (link one, unlink, resolve the open ones with the fix) and its details. Each
    panel posts a row of the problem's action table (problems.actions).

    Its forms are kept parts as the kernel's are (core.web.ticket_page_parts): the "Next steps"
    card (its resolve form worded from its initial values, the open count among them) and the
    analysis, details and link panels, each per key of its form's initial values; a problem
    whose analysis texts exceed PANEL_TEXT_CHARS renders them every time (memory)."""

    kind_name = "problem"
    template = "problems/agent/detail.html"
    EDIT_PANELS = (
        EditPanel("analysis", "", "Edit the analysis", "Save the analysis"),
        EditPanel("edit", " btn-small", "Edit details", "Save details"),
    )

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self._link_counts: dict[int, page_counts.LinkCounts] = {}
        self._keeps_forms = True

    def get(self, number: str) -> Problem:
        return problem_get_for_user(self.user, number, counted=False)

    def link_counts(self, problem: Problem) -> page_counts.LinkCounts:
        """Counted up to LIST_COUNT_CAP (core.capped_counts), in one statement for the page:
        a problem with a long history of links costs the page the same."""
        if problem.pk not in self._link_counts:
            self._link_counts[problem.pk] = page_counts.link_counts(problem, self.user)
        return self._link_counts[problem.pk]

    def context(self, ticket: TicketBase, bound: dict[str, Form]) -> dict[str, Any]:
        assert isinstance(ticket, Problem)
        self._keeps_forms = analysis_chars(ticket) <= PANEL_TEXT_CHARS
        return super().context(ticket, bound)

    def keeps_action_forms(self) -> bool:
        """An unbound form of this page is made from its class, prefix and initial values (the
        resolve form's offer among them, `action_initial`); `action_form` only words a form
        re-shown with its errors. Not for long analysis texts (at most PANEL_TEXT_CHARS)."""
        return self._keeps_forms

    def action_initial(self, action: Action, ticket: TicketBase) -> dict[str, Any]:
        initial = super().action_initial(action, ticket)
        if action.form is ResolveForm and isinstance(ticket, Problem):
            initial.update(ResolveForm.offer_initial(self.link_counts(ticket).open))
        return initial

    def action_form(self, action: Action, ticket: TicketBase, bound: Form | None) -> Form:
        form = super().action_form(action, ticket, bound)
        if bound is not None and isinstance(form, ResolveForm) and isinstance(ticket, Problem):
            form.offer_linked(self.link_counts(ticket).open)
        return form

    def edit_panel(self, problem: Problem, open_form: str, panel: EditPanel) -> SafeString:
        name = panel.name
        action = self.table.get(name)
        assert action is not None
        plain = {
            "name": name,
            "summary_class": panel.summary_class,
            "summary": panel.summary,
            "button": panel.button,
            "action": self.url(name, problem.number),
            "open_form": open_form,
        }
        return self.parts.forms("problems/agent/_edit_panel.html", {"panel_form": action}, plain)

    def link_form(self, problem: Problem) -> SafeString:
        action = self.table.get("link")
        assert action is not None
        plain = {"number": problem.number}
        return self.parts.forms("problems/agent/_link_form.html", {"link_form": action}, plain)

    def extra_context(self, ticket: Problem, bound: dict[str, Form]) -> dict[str, Any]:
        linked = paged_panel(
            self.request,
            # Only the columns the rows show (the API's links carry more), the statement kept.
            kept_link_rows(ticket, self.user),
            param="links_after",
            anchor="linked-incidents",
            field="linked_at",
            per_page=settings.LINKED_INCIDENTS_PAGE_SIZE,
            newest_first=False,
        )
        open_form = next(iter(bound), "")
        resolve_linked = self.table.get("resolve_linked")
        assert resolve_linked is not None
        return {
            "linked": linked,
            "links": linked.rows,
            "link_count": self.link_counts(ticket).visible,
            "open_incident_count": self.link_counts(ticket).open,
            # Made when the page shows them (a template calls a callable it is given).
            **{
                f"{panel.name}_html": partial(self.edit_panel, ticket, open_form, panel)
                for panel in self.EDIT_PANELS
            },
            "link_html": partial(self.link_form, ticket),
            "resolve_linked_form": partial(
                self.action_form, resolve_linked, ticket, bound.get("resolve_linked")
            ),
            # What a form re-shown with its errors says (tests read it).
            **{f"{name}_form": bound.get(name) for name in ("analysis", "edit", "link")},
        }


# --- Links that name an incident in the URL --------------------------------------------------


@agent_required
@require_POST
def problem_unlink(request: HttpRequest, number: str, incident_number: str) -> HttpResponse:
    user = current_user(request)
    problem = problem_get_for_user(user, number)
    incident = linked_kind().get_for_user(user, incident_number)
    try:
        services.problem_unlink_incident(problem, incident=incident, actor=user)
    except DomainError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"{incident.number} unlinked from {problem.number}.")
    return redirect(safe_next(request, reverse("problems:agent_detail", args=[number])))


@agent_required
@require_POST
def incident_link_problem(request: HttpRequest, incident_number: str) -> HttpResponse:
    """From the incident page: link the incident to an open problem."""
    user = current_user(request)
    incident = linked_kind().get_for_user(user, incident_number)
    back = linked_kind().agent_path(incident.number)
    form = LinkProblemForm(request.POST, prefix="problem_link", problems=linkable_problems(user))
    if not form.is_valid():
        messages.error(request, "Choose an open problem to link the incident to.")
        return redirect(back)
    problem: Problem = form.cleaned_data["problem"]
    try:
        services.problem_link_incident(problem, incident=incident, actor=user)
    except DomainError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"{incident.number} linked to {problem.number}.")
    return redirect(back)


def _message(error: DomainError) -> str:
    """A domain error as one sentence for a flash message (field names left out)."""
    if isinstance(error, ValidationFailed):
        return " ".join(error.errors.values())
    return str(error)
