"""Writes of the mailbox configuration, shared by the admin pages and the API.

`mailbox_save` validates everything a mailbox needs to work (the same rules for the form and the
API) and saves it, or raises ValidationFailed and saves nothing. Secrets are write-only: a
secret left empty (or absent) keeps the stored one.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Model

from core.exceptions import ValidationFailed
from core.models import User
from core.tickets.kinds import TicketKind, kinds
from email_intake.choices import AuthMethod, SenderPolicy
from email_intake.models import InboundEmail, Mailbox

SECRET_FIELDS = ("password", "oauth_client_secret", "oauth_refresh_token")
MIN_POLL_SECONDS = 10
MAX_POLL_SECONDS = 24 * 3600
# Everything an admin may set (the defaults of a new mailbox are the model's).
EDITABLE_FIELDS = (
    "name",
    "address",
    "is_active",
    "host",
    "port",
    "security",
    "verify_certificate",
    "auth_method",
    "username",
    *SECRET_FIELDS,
    "oauth_token_url",
    "oauth_client_id",
    "oauth_scope",
    "folder",
    "processed_folder",
    "ticket_kind",
    "support_group",
    "service",
    "catalog_item",
    "sender_policy",
    "allowed_domains",
    "poll_interval_seconds",
)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def email_kinds() -> list[TicketKind]:
    """The registered kinds that take new tickets by email."""
    return [kind for kind in kinds() if kind.email is not None]


def catalog_item_model() -> type[Model]:
    """The catalog item model, named by the mailbox's relation (this app imports no domain
    app)."""
    model = Mailbox._meta.get_field("catalog_item").related_model
    assert isinstance(model, type)
    return model


def kind_needs_catalog_item(kind_name: str) -> bool:
    """Whether new mail of this kind is filed against a catalog item (the kind whose app owns
    the catalog: service requests), read from the model relation rather than a kind's name."""
    kind = next((k for k in email_kinds() if k.name == kind_name), None)
    if kind is None:
        return False
    return bool(kind.model._meta.app_label == catalog_item_model()._meta.app_label)


def parse_domains(text: str) -> tuple[list[str], list[str]]:
    """(valid domains, invalid entries) of an admin's list: one per line, commas or spaces
    also separate; a leading @ is dropped."""
    entries = [e.strip().lower().lstrip("@") for e in re.split(r"[\s,;]+", text) if e.strip()]
    valid = [e for e in entries if _DOMAIN.match(e)]
    return valid, [e for e in entries if not _DOMAIN.match(e)]


def _errors(mailbox: Mailbox) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not mailbox.name:
        errors["name"] = "Give the mailbox a short name (letters, digits, hyphens)."
    try:
        validate_email(mailbox.address)
    except ValidationError:
        errors["address"] = "Enter the mailbox's email address."
    if not 1 <= (mailbox.port or 0) <= 65535:
        errors["port"] = "A port is a number from 1 to 65535."
    if not MIN_POLL_SECONDS <= (mailbox.poll_interval_seconds or 0) <= MAX_POLL_SECONDS:
        errors["poll_interval_seconds"] = (
            f"Check at most every {MIN_POLL_SECONDS} seconds and at least once a day."
        )
    if mailbox.host and not mailbox.username:
        errors["username"] = "The IMAP server needs a user name."
    if mailbox.host and mailbox.auth_method == AuthMethod.PASSWORD and not mailbox.password:
        errors["password"] = "Enter the password of the mailbox."  # noqa: S105 — a message
    if mailbox.auth_method == AuthMethod.XOAUTH2:
        for field, label in (
            ("oauth_token_url", "the provider's token URL"),
            ("oauth_client_id", "the client ID"),
            ("oauth_client_secret", "the client secret"),
            ("oauth_refresh_token", "a refresh token"),
        ):
            if not getattr(mailbox, field):
                errors[field] = f"OAuth 2.0 sign-in needs {label}."
    kind_names = [kind.name for kind in email_kinds()]
    if mailbox.ticket_kind not in kind_names:
        errors["ticket_kind"] = f"Choose one of: {', '.join(kind_names)}."
    elif kind_needs_catalog_item(mailbox.ticket_kind) and mailbox.catalog_item is None:
        errors["catalog_item"] = "A request mailbox needs the catalog item new mail asks for."
    if mailbox.catalog_item is not None and not mailbox.catalog_item.is_active:
        errors["catalog_item"] = "This catalog item is no longer offered; choose an active one."
    if mailbox.support_group is not None and not mailbox.support_group.is_active:
        errors["support_group"] = "This support group is inactive; choose an active one."
    if mailbox.service is not None and not mailbox.service.is_active:
        errors["service"] = "This service is retired; choose an active one."
    domains, invalid = parse_domains(mailbox.allowed_domains)
    if invalid:
        errors["allowed_domains"] = f"Not a domain name: {', '.join(invalid[:5])}."
    elif mailbox.sender_policy == SenderPolicy.DOMAINS and not domains:
        errors["allowed_domains"] = "List at least one domain, or accept other senders."
    else:
        mailbox.allowed_domains = "\n".join(domains)
    for field in ("name", "address"):
        value = getattr(mailbox, field)
        taken = Mailbox.objects.filter(**{f"{field}__iexact": value}).exclude(pk=mailbox.pk)
        if value and field not in errors and taken.exists():
            errors[field] = f"Another mailbox already uses this {field}."
    return errors


def mailbox_save(*, mailbox: Mailbox | None, data: dict[str, Any], actor: User) -> Mailbox:
    """Create (`mailbox=None`) or update a mailbox from `data` (model field names; related rows
    as objects). Secret fields left empty keep their stored value. Raises ValidationFailed
    (field → message) and changes nothing when the result would not work."""
    target = Mailbox() if mailbox is None else Mailbox.objects.get(pk=mailbox.pk)
    for field in EDITABLE_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field in SECRET_FIELDS and not value:
            continue
        if isinstance(value, str) and field not in SECRET_FIELDS:
            value = value.strip()
        setattr(target, field, value)
    errors = _errors(target)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        target.save()
    return target


def mailbox_deactivate(*, mailbox: Mailbox, actor: User) -> Mailbox:
    """Stop polling a mailbox; its stored messages stay (they are never deleted)."""
    Mailbox.objects.filter(pk=mailbox.pk).update(is_active=False)
    mailbox.is_active = False
    return mailbox


def mailbox_delete(*, mailbox: Mailbox, actor: User) -> bool:
    """Delete a mailbox that never received a message; one that did is deactivated instead
    (its messages are kept). True when it was deleted."""
    with transaction.atomic():
        if InboundEmail.objects.filter(mailbox=mailbox).exists():
            mailbox_deactivate(mailbox=mailbox, actor=actor)
            return False
        mailbox.delete()
    return True
