"""The refused-mail log: what made no ticket or reply, why, and (admins) a retry."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.roles import is_admin
from core.web.access import current_user, paginate, safe_next
from email_intake import processing
from email_intake.filtersets import InboundEmailFilterSet
from email_intake.selectors import RETRYABLE_STATUSES, inbound_get_for_admin, inbound_log
from email_intake.views.access import admin_required, manager_required

PER_PAGE = 50


@never_cache
@manager_required
def inbound_log_view(request: HttpRequest) -> HttpResponse:
    filterset = InboundEmailFilterSet(request.GET or None, queryset=inbound_log())
    page = paginate(request, filterset.qs, PER_PAGE)
    context = {
        "filterset": filterset,
        "page": page,
        "can_retry": is_admin(request.user),
        "retryable": RETRYABLE_STATUSES,
        "filtered": any(request.GET.get(name) for name in ("mailbox", "status")),
    }
    template = (
        "email_intake/_log_rows.html"
        if request.headers.get("HX-Request")
        else ("email_intake/inbound_log.html")
    )
    return render(request, template, context)


@require_POST
@admin_required
def inbound_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    inbound = inbound_get_for_admin(pk)
    if inbound.status not in RETRYABLE_STATUSES:
        messages.error(
            request,
            f"This message is {inbound.get_status_display().lower()}; "
            "only refused, held or quarantined mail can be retried.",
        )
    else:
        try:
            inbound = processing.retry_inbound(inbound, actor=current_user(request))
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"The message from {inbound.sender or 'an unknown sender'} is processed again: "
                f"{inbound.get_status_display().lower()}.",
            )
    return redirect(safe_next(request, "email_intake:inbound_log"))
