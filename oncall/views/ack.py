"""The signed one-click link of a page message (oncall.paging.links): no sign-in needed, the
token is the credential, valid for one page, one person and one action, and it expires.

GET only shows what the link will do, with one button; the POST (a CSRF-protected form) acts.
Mail scanners and link previews fetch every link in a message: a link that acknowledged on GET
would be acknowledged by a scanner, as the person, before they ever saw the page.
"""

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.choices import Source
from core.exceptions import DomainError
from core.models import User
from oncall.models import Page, PageStatus
from oncall.paging.links import ACK, LinkExpired, LinkInvalid, page_link_read
from oncall.paging.services import page_acknowledge, page_end

TEMPLATE = "oncall/page_ack.html"


def _refusal(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(request, TEMPLATE, {"error": title, "error_text": text}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def page_link_view(request: HttpRequest, page_id: int, token: str) -> HttpResponse:
    try:
        claim = page_link_read(page_id, token)
    except LinkExpired:
        return _refusal(
            request, 410, "This link has expired", "Open the ticket on the desk to answer it."
        )
    except LinkInvalid:
        return _refusal(
            request, 400, "This link is not valid", "It may be incomplete; use the latest page."
        )
    page = Page.objects.filter(pk=page_id).first()
    person = User.objects.filter(pk=claim.person_id, is_active=True).first()
    if page is None or person is None:
        return _refusal(request, 400, "This link is not valid", "Its page or person is gone.")
    is_ack = claim.action == ACK
    context = {"page": page, "person": person, "action": claim.action, "is_ack": is_ack}
    if request.method == "GET":
        return render(request, TEMPLATE, context)
    try:
        with transaction.atomic():
            if claim.action == ACK or page.status == PageStatus.TRIGGERED:
                page = page_acknowledge(page, actor=person, source=Source.WEB)
            if claim.action != ACK and not page_end(
                page,
                status=PageStatus.RESOLVED,
                actor=person,
                source=Source.WEB,
                why=f"{person} ended the page.",
            ):
                raise DomainError("This page has already ended.")
    except DomainError as exc:
        page.refresh_from_db()
        return render(request, TEMPLATE, {**context, "page": page, "refused": str(exc)}, status=409)
    page.refresh_from_db()
    return render(request, TEMPLATE, {**context, "page": page, "done": True})
