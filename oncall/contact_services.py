"""Writes of contact methods and notification rules, shared by "My contact methods" and the API.

Each person keeps their own; admins anyone's (oncall.access.can_manage_contact_methods). Every
service validates first (ValidationFailed, nothing stored) and checks permission
(PermissionDenied) before it writes.

- An email method's address is an email address; a Slack-compatible or signed webhook's is an
  https URL that the outbound checks accept (no private or loopback target unless allowed).
- A signed webhook gets a generated secret, returned once by the service that made it (creation,
  rotation) and never shown again.
- A new method gets one rule, "at once", so it works as soon as it is saved.
- Re-enabling a method, or giving it a new address, clears its failing mark.
- "Send a test" queues one message through the outbox, after commit: email through
  core.send_email, a Slack-compatible webhook through core.post_webhook. A signed webhook's
  test is not offered: its signed body is the paging engine's delivery format.
"""

import secrets
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.exceptions import ValidationFailed
from core.models import User
from core.outbox import outbox_enqueue
from core.roles import is_agent
from core.webhooks.outbound import target_refusal_at_save
from oncall.access import can_manage_contact_methods
from oncall.models import ContactMethod, ContactMethodKind, NotificationRule
from oncall.paging.delivery import TASK_WEBHOOK_TEST

MAX_METHODS = 10
MAX_RULES = 10
MAX_DELAY_MINUTES = 120
SECRET_BYTES = 32
EMAIL_TASK = "core.send_email"
POST_TASK = "core.post_webhook"


def _require(actor: User, person: User) -> None:
    if not can_manage_contact_methods(actor, person):
        raise PermissionDenied("You can change only your own contact methods.")


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _address_problem(kind: str, address: str) -> str | None:
    if not address:
        return "Give the address to reach you at."
    if len(address) > 500 or _has_control(address):
        return "At most 500 characters on one line."
    if kind == ContactMethodKind.EMAIL:
        try:
            validate_email(address)
        except DjangoValidationError:
            return f"“{address}” is not an email address."
        return None
    if not address.lower().startswith("https://"):
        return "Give an https:// URL."
    refusal = target_refusal_at_save(address)
    if refusal:
        return f"This URL cannot be called: {refusal}."
    return None


def contact_method_save(
    *, method: ContactMethod | None, person: User, data: dict[str, Any], actor: User
) -> tuple[ContactMethod, str]:
    """Create a method for `person` (method=None) or change one: kind, label, address,
    is_active. Returns the method and its new secret ("" unless one was made now)."""
    if method is not None:
        person = method.person
    _require(actor, person)

    def current(field: str, default: Any) -> Any:
        return data.get(field, getattr(method, field) if method is not None else default)

    errors: dict[str, str] = {}
    if not (person.is_active and is_agent(person)):
        errors["person"] = "Only active agents are paged."
    kind = current("kind", "")
    if kind not in ContactMethodKind.values:
        errors["kind"] = f"The kind is one of {', '.join(ContactMethodKind.values)}."
    label = str(current("label", "") or "").strip()
    if not label:
        errors["label"] = "Give the method a name, e.g. “Work phone”."
    elif len(label) > 100 or _has_control(label):
        errors["label"] = "At most 100 characters on one line."
    address = str(current("address", "") or "").strip()
    if "kind" not in errors:
        problem = _address_problem(kind, address)
        if problem:
            errors["address"] = problem
    if not errors:
        twins = ContactMethod.objects.filter(person=person, kind=kind, address=address)
        if method is not None:
            twins = twins.exclude(pk=method.pk)
        if twins.exists():
            errors["address"] = "You already have this method."
    if method is None and ContactMethod.objects.filter(person=person).count() >= MAX_METHODS:
        errors["kind"] = f"At most {MAX_METHODS} contact methods per person."
    if errors:
        raise ValidationFailed(errors)
    target = method or ContactMethod(person=person)
    new_secret = ""
    if kind == ContactMethodKind.WEBHOOK and (not target.secret or target.kind != kind):
        new_secret = secrets.token_urlsafe(SECRET_BYTES)
        target.secret = new_secret
    elif kind != ContactMethodKind.WEBHOOK:
        target.secret = ""
    readdressed = method is not None and (method.address != address or method.kind != kind)
    enabling = bool(data.get("is_active")) and method is not None
    target.kind, target.label, target.address = kind, label, address
    target.is_active = bool(current("is_active", True))
    if readdressed or enabling:
        target.failing_since = None
        target.last_error = ""
    with transaction.atomic():
        target.save()
        if method is None:
            NotificationRule.objects.create(contact_method=target, delay_minutes=0)
    return target, new_secret


def contact_method_secret_rotate(*, method: ContactMethod, actor: User) -> str:
    """A new secret for a signed webhook (returned once); the old one stops working."""
    _require(actor, method.person)
    if method.kind != ContactMethodKind.WEBHOOK:
        raise ValidationFailed({"kind": "Only a signed webhook has a secret."})
    method.secret = secrets.token_urlsafe(SECRET_BYTES)
    method.save(update_fields=["secret"])
    return method.secret


def contact_method_delete(*, method: ContactMethod, actor: User) -> None:
    """Delete a method and its rules (past notifications keep its kind and label)."""
    _require(actor, method.person)
    method.delete()


def rule_save(
    *,
    rule: NotificationRule | None,
    method: ContactMethod,
    delay_minutes: Any,
    actor: User,
) -> NotificationRule:
    """Notify through `method` `delay_minutes` (0-120) after being paged; one rule per delay."""
    if rule is not None:
        method = rule.contact_method
    _require(actor, method.person)
    if not isinstance(delay_minutes, int) or isinstance(delay_minutes, bool):
        raise ValidationFailed({"delay_minutes": "A number of minutes."})
    if not 0 <= delay_minutes <= MAX_DELAY_MINUTES:
        raise ValidationFailed({"delay_minutes": f"From 0 to {MAX_DELAY_MINUTES} minutes."})
    others = method.rules.all()
    if rule is not None:
        others = others.exclude(pk=rule.pk)
    if others.filter(delay_minutes=delay_minutes).exists():
        raise ValidationFailed(
            {"delay_minutes": f"{method.label} already notifies after {delay_minutes} min."}
        )
    if rule is None and others.count() >= MAX_RULES:
        raise ValidationFailed({"delay_minutes": f"At most {MAX_RULES} rules per method."})
    target = rule or NotificationRule(contact_method=method)
    target.delay_minutes = delay_minutes
    target.save()
    return target


def rule_delete(*, rule: NotificationRule, actor: User) -> None:
    _require(actor, rule.contact_method.person)
    rule.delete()


def contact_method_test(*, method: ContactMethod, actor: User) -> None:
    """Queue a test message through the method (after commit, through the outbox)."""
    _require(actor, method.person)
    text = (
        f"A test from the service desk's on-call paging for {method.person}: "
        f"“{method.label}” reaches you. Sent {timezone.now().isoformat(timespec='seconds')}."
    )
    if method.kind == ContactMethodKind.EMAIL:
        payload: dict[str, Any] = {
            "to": [method.address],
            "subject": "Test page from the service desk",
            "body": text,
        }
        outbox_enqueue(task_name=EMAIL_TASK, payload=payload)
    elif method.kind == ContactMethodKind.SLACK:
        outbox_enqueue(task_name=POST_TASK, payload={"url": method.address, "json": {"text": text}})
    else:
        # Signed and posted like a page, with the event "page.test" (oncall.paging.delivery).
        outbox_enqueue(
            task_name=TASK_WEBHOOK_TEST,
            payload={"method_id": method.pk, "text": text, "outbox_key": uuid.uuid4().hex},
        )
