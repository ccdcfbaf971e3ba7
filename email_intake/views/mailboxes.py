"""Mailbox pages: the list (with waiting and refused counts), create, edit, the detail page
with "Test connection", and deactivate."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.exceptions import ValidationFailed
from core.roles import is_admin
from core.web.access import current_user
from core.web.forms import apply_domain_errors
from email_intake import imap
from email_intake.forms import MailboxForm
from email_intake.models import Mailbox
from email_intake.selectors import mailbox_get, mailbox_list
from email_intake.services import mailbox_deactivate, mailbox_save
from email_intake.views.access import admin_required, manager_required


@never_cache
@manager_required
def mailbox_list_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "email_intake/mailbox_list.html",
        {"mailboxes": mailbox_list(), "can_change": is_admin(request.user)},
    )


@never_cache
@manager_required
def mailbox_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request,
        "email_intake/mailbox_detail.html",
        {"mailbox": mailbox_get(pk), "can_change": is_admin(request.user)},
    )


def _form_page(
    request: HttpRequest, form: MailboxForm, mailbox: Mailbox | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "email_intake/mailbox_form.html", {"form": form, "mailbox": mailbox}, status=status
    )


def _save(request: HttpRequest, mailbox: Mailbox | None) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, MailboxForm(mailbox=mailbox), mailbox)
    form = MailboxForm(request.POST, mailbox=mailbox)
    if not form.is_valid():
        return _form_page(request, form, mailbox, status=400)
    try:
        saved = mailbox_save(
            mailbox=mailbox, data=form.data_for_service(), actor=current_user(request)
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _form_page(request, form, mailbox, status=400)
    messages.success(request, f"Mailbox “{saved.name}” is saved.")
    return redirect("email_intake:mailbox_detail", saved.pk)


@never_cache
@admin_required
def mailbox_create_view(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@never_cache
@admin_required
def mailbox_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, mailbox_get(pk))


@require_POST
@admin_required
def mailbox_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = mailbox_get(pk)
    if not mailbox.host:
        messages.error(request, "This mailbox has no IMAP server to connect to.")
        return redirect("email_intake:mailbox_detail", pk)
    try:
        check = imap.check_connection(mailbox)
    except Exception as exc:
        messages.error(request, f"The connection test failed: {type(exc).__name__}: {exc}")
    else:
        if check.ok:
            messages.success(request, check.summary)
        else:
            messages.error(request, check.summary)
    return redirect("email_intake:mailbox_detail", pk)


@require_POST
@admin_required
def mailbox_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = mailbox_deactivate(mailbox=mailbox_get(pk), actor=current_user(request))
    messages.success(
        request, f"Mailbox “{mailbox.name}” is no longer read. Its stored mail is kept."
    )
    return redirect("email_intake:mailbox_detail", pk)
