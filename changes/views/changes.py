"""The agent's change pages: the list (ChangeFilterSet, its rows refreshed through HTMX), a new
change (normal or emergency, or standard from a template), and the change page (the kernel's
ticket page with the change's panels: details, plans and window, approvals, the problems it
fixes and the incidents it caused; every panel posts a row of changes.actions)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from changes import services
from changes.calendar.conflicts import change_conflicts
from changes.choices import ChangeStatus, ChangeType
from changes.filtersets import ChangeFilterSet
from changes.forms import ChangeCreateForm, ChangeFromTemplateForm
from changes.models import Change
from changes.panel_rows import APPROVALS, CAUSED, FIXES
from changes.selectors import (
    change_approvals,
    change_incident_links,
    change_list_for_user,
    change_problem_links,
    change_touched_names,
)
from changes.services.approvals import budget_spent_service_ids, can_decide
from changes.services.emergency import emergency_approval_deadline
from core.exceptions import TransitionError, ValidationFailed
from core.tickets.panel_rows import has_panel_rows
from core.web.access import HtmxHttpRequest, agent_required, current_user, paginate
from core.web.forms import apply_domain_errors
from core.web.ticket_page import TicketPage

# --- List and creation ----------------------------------------------------------------------


@agent_required
def change_list(request: HtmxHttpRequest) -> HttpResponse:
    """The list; an HTMX request (the page refreshing itself) gets the table only."""
    user = current_user(request)
    filterset = ChangeFilterSet(request.GET, queryset=change_list_for_user(user))
    page = paginate(request, filterset.qs, settings.QUEUE_PAGE_SIZE)
    context = {
        "filterset": filterset,
        "page": page,
        "overdue_before": emergency_approval_deadline(),
        "refresh_seconds": max(0, settings.QUEUE_REFRESH_SECONDS),
    }
    template = "changes/agent/_rows.html" if request.htmx else "changes/agent/list.html"
    return render(request, template, context)


@agent_required
def change_new(request: HttpRequest) -> HttpResponse:
    """A normal or emergency change, or (`?standard=1`, or posting `template`) a standard one
    from a template."""
    user = current_user(request)
    standard = bool(request.GET.get("standard") or request.POST.get("template"))
    form: Form
    if standard:
        form = ChangeFromTemplateForm(request.POST or None)
    else:
        form = ChangeCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if standard:
                change = services.change_create_from_template(
                    data.pop("template"), actor=user, **data
                )
            else:
                change = services.change_create(actor=user, **data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        except TransitionError as exc:
            messages.error(request, str(exc))
        else:
            if change.template is not None and change.template.is_patch:
                messages.success(
                    request, f"{change.number} created: add its patches and configuration items."
                )
                return redirect("changes:rollout", number=change.number)
            messages.success(request, f"{change.number} created.")
            return redirect("changes:agent_detail", number=change.number)
    return render(request, "changes/agent/new.html", {"form": form, "standard": standard})


# --- Change page ----------------------------------------------------------------------------


class ChangePage(TicketPage):
    """The change page: the kernel's ticket page (actions, timeline, notes, files, assignment,
    claiming, milestones, the approval clock) with the change's own panels."""

    kind_name = "change"
    template = "changes/agent/detail.html"
    PANELS = ("edit", "decide", "link_problem", "link_incident")

    def panel_form(self, name: str, change: Change, bound: dict[str, Form]) -> Form:
        action = self.table.get(name)
        assert action is not None
        return self.action_form(action, change, bound.get(name))

    def may_decide(self, change: Change) -> bool:
        waiting = change.status == ChangeStatus.AWAITING_APPROVAL or (
            change.change_type == ChangeType.EMERGENCY
            and change.approved_at is None
            and change.implementing_at is not None
            and change.status not in (ChangeStatus.CLOSED, ChangeStatus.CANCELLED)
        )
        return waiting and can_decide(self.user, change)

    def budget_spent(self, change: Change) -> bool:
        """Whether a normal change not yet decided touches a service whose error budget is
        spent now (its submission asks for one more approval)."""
        undecided = change.status in (ChangeStatus.DRAFT, ChangeStatus.ASSESSING)
        return (
            change.change_type == ChangeType.NORMAL
            and undecided
            and bool(budget_spent_service_ids(change))
        )

    def extra_context(self, ticket: Change, bound: dict[str, Form]) -> dict[str, Any]:
        approvals = change_approvals(ticket) if has_panel_rows(ticket, APPROVALS) else []
        decided = any(a.approver_id == self.user.pk for a in approvals)
        may_decide = self.may_decide(ticket)
        editable = (
            ticket.status in services.creation.EDITABLE
            or ticket.status in services.creation.WINDOW_ONLY
        )
        is_open = self.is_open(ticket)
        touched_services, touched_items = change_touched_names(ticket)
        # A panel's form is built only when the page shows it: the edit form alone reads the
        # change's services and items again, and most changes on the page are past editing.
        shown = {
            "edit": editable,
            "decide": may_decide and not decided,
            "link_problem": is_open,
            "link_incident": ticket.status not in (ChangeStatus.CLOSED, ChangeStatus.CANCELLED),
        }
        return {
            "approvals": approvals,
            "decided": decided,
            "may_decide": may_decide,
            "approval_overdue": ticket.change_type == ChangeType.EMERGENCY
            and ticket.approved_at is None
            and ticket.implementing_at is not None
            and ticket.implementing_at <= emergency_approval_deadline(timezone.now()),
            "problem_links": _shown_links(change_problem_links(ticket, user=self.user), "problem")
            if has_panel_rows(ticket, FIXES)
            else [],
            "incident_links": _shown_links(
                change_incident_links(ticket, user=self.user), "incident"
            )
            if has_panel_rows(ticket, CAUSED)
            else [],
            "conflicts": change_conflicts(ticket),
            "budget_spent": self.budget_spent(ticket),
            "touched_services": touched_services,
            "touched_items": touched_items,
            "editable": editable,
            **{
                f"{name}_form": self.panel_form(name, ticket, bound)
                for name in self.PANELS
                if shown[name] or name in bound
            },
        }


def _shown_links(links: QuerySet[Any], side: str) -> list[Any]:
    """The links as the page lists them: the linked ticket's number, title and status only
    (reading every column of both tickets and of who linked them cost more than the rest of
    the panel)."""
    return list(
        links.select_related(None)
        .select_related(side)
        .only("id", f"{side}__id", f"{side}__number", f"{side}__title", f"{side}__status")
    )
