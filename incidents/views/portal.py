"""The end-user portal for incidents: report one, follow my incidents; the incident's page is the
kernel's requester page (core.web.portal_page) with the incident's template and its two moves,
confirming the fix or reopening.

The portal always shows the requester's view, whoever is signed in: only the person's own
incidents, only public timeline events and files. Agents use the agent workspace for the rest.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import router, transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from core.exceptions import ValidationFailed
from core.services import attachment_add
from core.tickets.closing import close_refusal
from core.web.access import current_user
from core.web.forms import ConfirmForm, apply_domain_errors
from core.web.keyset_list import keyset_list
from core.web.portal_page import PortalAction, PortalTicketPage
from incidents import services
from incidents.choices import IncidentStatus
from incidents.forms import IncidentReportForm, ReopenForm
from incidents.models import Incident
from incidents.selectors import incident_list_for_user, incident_scope_key
from incidents.views.portal_rows import ROW_COLUMNS, rows_html

PORTAL_PAGE_SIZE = 25


class IncidentPortalPage(PortalTicketPage):
    kind_name = "incident"
    template = "incidents/portal/detail.html"
    actions = (
        PortalAction("close", "close", ConfirmForm, "Thanks for confirming. {number} is closed."),
        PortalAction(
            "reopen",
            "reopen",
            ReopenForm,
            "{number} is reopened; the service desk will look at it again.",
        ),
    )

    def extra_context(self, ticket: Incident, bound: dict[str, Form]) -> dict[str, Any]:
        return _resolution_dates(ticket)


def _resolution_dates(incident: Incident) -> dict[str, Any]:
    """Until when a resolved incident can be reopened and when it closes by itself, each only
    while still ahead; and whether its closing waits for the post-incident review instead (a
    major incident is never closed by itself before, whatever the date)."""
    nothing = {"reopen_until": None, "autoclose_at": None, "closing_waits_for_review": False}
    if incident.status != IncidentStatus.RESOLVED or incident.resolved_at is None:
        return nothing
    now = timezone.now()
    reopen_until = incident.resolved_at + timedelta(days=settings.INCIDENT_REOPEN_WINDOW_DAYS)
    autoclose_at = incident.resolved_at + timedelta(days=settings.INCIDENT_AUTOCLOSE_DAYS)
    waits = incident.is_major and (
        incident.review_completed_at is None or close_refusal(incident) is not None
    )
    return {
        "reopen_until": reopen_until if reopen_until > now else None,
        "autoclose_at": autoclose_at if autoclose_at > now and not waits else None,
        "closing_waits_for_review": waits,
    }


@login_required
def portal_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    mine = keyset_list(
        request,
        ("portal incidents", router.db_for_read(Incident), incident_scope_key(user)),
        lambda: incident_list_for_user(user).filter(requester=user),
        kind="incident",
        field="created_at",
        columns=ROW_COLUMNS,
        per_page=PORTAL_PAGE_SIZE,
    )
    context = {"mine": mine, "rows_html": rows_html(mine.rows)}
    return render(request, "incidents/portal/list.html", context, status=mine.status)


@login_required
def portal_report(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    # ?title= pre-fills the form, e.g. from a known-error search that found nothing.
    initial = {"title": request.GET.get("title", "")[:200]}
    form = IncidentReportForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        effect = form.chosen_effect
        uploads = form.cleaned_data.get("attachment") or []
        try:
            # One transaction: a refused attachment leaves no incident behind either.
            with transaction.atomic():
                incident = services.incident_create(
                    requester=user,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    impact=effect.impact,
                    urgency=effect.urgency,
                    service=form.cleaned_data["service"],
                )
                for upload in uploads:
                    attachment_add(ticket=incident, uploaded_by=user, upload=upload)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {"file": "attachment"})
        else:
            messages.success(
                request,
                f"{incident.number} received. We will keep you posted here and by email.",
            )
            return redirect("incidents:portal_detail", number=incident.number)
    return render(request, "incidents/portal/report.html", {"form": form})
