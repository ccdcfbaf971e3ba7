"""Contact methods and notification rules: one's own (admins anyone's), addresses checked,
duplicates refused, a signed webhook's secret made once and rotatable, re-enabling clears the
failing mark, and "send a test" through the outbox."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.exceptions import ValidationFailed
from core.models import OutboxMessage, User
from oncall.contact_services import (
    contact_method_delete,
    contact_method_save,
    contact_method_secret_rotate,
    contact_method_test,
    rule_delete,
    rule_save,
)
from oncall.models import ContactMethod, NotificationRule

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.example.com/services/T0123/B0456/chat-webhook"


def email(**extra: Any) -> dict[str, Any]:
    return {"kind": "email", "label": "Work", "address": "me@example.com", **extra}


def test_a_person_adds_an_email_method_notified_at_once(agents: list[User]) -> None:
    method, secret = contact_method_save(
        method=None, person=agents[0], data=email(), actor=agents[0]
    )
    assert secret == "" and method.is_working
    assert list(method.rules.values_list("delay_minutes", flat=True)) == [0]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (email(address="not-an-address"), "address"),
        (email(address=""), "address"),
        (email(label=""), "label"),
        (email(label="two\nlines"), "label"),
        (email(kind="pigeon"), "kind"),
        ({"kind": "slack", "label": "Chat", "address": "http://hooks.example.com/x"}, "address"),
        ({"kind": "webhook", "label": "SMS", "address": "https://127.0.0.1/sms"}, "address"),
        ({"kind": "webhook", "label": "SMS", "address": "https://10.0.0.5/sms"}, "address"),
        ({"kind": "slack", "label": "Chat", "address": "ftp://hooks.example.com/x"}, "address"),
    ],
)
def test_bad_methods_are_refused_and_nothing_is_stored(
    agents: list[User], data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        contact_method_save(method=None, person=agents[0], data=data, actor=agents[0])
    assert field in refused.value.errors
    assert not ContactMethod.objects.exists() and not NotificationRule.objects.exists()


def test_duplicates_are_refused(agents: list[User]) -> None:
    contact_method_save(method=None, person=agents[0], data=email(), actor=agents[0])
    with pytest.raises(ValidationFailed, match="already have"):
        contact_method_save(method=None, person=agents[0], data=email(label="B"), actor=agents[0])
    assert ContactMethod.objects.count() == 1


def test_only_oneself_or_an_admin(agents: list[User], admin_user: User, manager: User) -> None:
    with pytest.raises(PermissionDenied):
        contact_method_save(method=None, person=agents[0], data=email(), actor=agents[1])
    with pytest.raises(PermissionDenied):
        contact_method_save(method=None, person=agents[0], data=email(), actor=manager)
    method, _ = contact_method_save(method=None, person=agents[0], data=email(), actor=admin_user)
    assert method.person == agents[0]
    with pytest.raises(PermissionDenied):
        contact_method_delete(method=method, actor=agents[1])
    with pytest.raises(PermissionDenied):
        rule_save(rule=None, method=method, delay_minutes=5, actor=agents[1])
    assert ContactMethod.objects.filter(pk=method.pk).exists()
    contact_method_delete(method=method, actor=agents[0])
    assert not ContactMethod.objects.exists()


def test_end_users_have_no_contact_methods(end_user: User) -> None:
    with pytest.raises(ValidationFailed, match="Only active agents"):
        contact_method_save(method=None, person=end_user, data=email(), actor=end_user)


def test_a_signed_webhook_secret_is_made_once_and_rotated(agents: list[User]) -> None:
    data = {"kind": "webhook", "label": "SMS gateway", "address": "https://sms.example.com/in"}
    method, secret = contact_method_save(method=None, person=agents[0], data=data, actor=agents[0])
    assert len(secret) >= 40 and method.secret == secret
    again, none = contact_method_save(
        method=method, person=agents[0], data={"label": "SMS"}, actor=agents[0]
    )
    assert none == "" and again.secret == secret
    rotated = contact_method_secret_rotate(method=method, actor=agents[0])
    method.refresh_from_db()
    assert rotated != secret and method.secret == rotated
    plain, _ = contact_method_save(method=None, person=agents[0], data=email(), actor=agents[0])
    with pytest.raises(ValidationFailed):
        contact_method_secret_rotate(method=plain, actor=agents[0])


def test_re_enabling_a_failing_method_clears_the_mark(agents: list[User]) -> None:
    method, _ = contact_method_save(method=None, person=agents[0], data=email(), actor=agents[0])
    ContactMethod.objects.filter(pk=method.pk).update(
        failing_since=timezone.now(), last_error="550 mailbox unavailable", is_active=False
    )
    method.refresh_from_db()
    assert not method.is_working
    saved, _ = contact_method_save(
        method=method, person=agents[0], data={"is_active": True}, actor=agents[0]
    )
    saved.refresh_from_db()
    assert saved.is_working and saved.last_error == ""


def test_rules_delay_from_0_to_120_once_each(agents: list[User]) -> None:
    method, _ = contact_method_save(method=None, person=agents[0], data=email(), actor=agents[0])
    rule = rule_save(rule=None, method=method, delay_minutes=2, actor=agents[0])
    for bad in (-1, 121, "5", None, True):
        with pytest.raises(ValidationFailed):
            rule_save(rule=None, method=method, delay_minutes=bad, actor=agents[0])
    with pytest.raises(ValidationFailed, match="already notifies after 0"):
        rule_save(rule=rule, method=method, delay_minutes=0, actor=agents[0])
    assert sorted(method.rules.values_list("delay_minutes", flat=True)) == [0, 2]
    rule_delete(rule=rule, actor=agents[0])
    assert list(method.rules.values_list("delay_minutes", flat=True)) == [0]


def test_send_a_test_queues_one_outbox_message(agents: list[User]) -> None:
    mail, _ = contact_method_save(method=None, person=agents[0], data=email(), actor=agents[0])
    chat, _ = contact_method_save(
        method=None,
        person=agents[0],
        data={"kind": "slack", "label": "Chat", "address": HOOK},
        actor=agents[0],
    )
    contact_method_test(method=mail, actor=agents[0])
    contact_method_test(method=chat, actor=agents[0])
    sent = {m.task_name: m.payload for m in OutboxMessage.objects.all()}
    assert sent["core.send_email"]["to"] == ["me@example.com"]
    assert sent["core.post_webhook"]["url"] == HOOK
    assert "Chat" in sent["core.post_webhook"]["json"]["text"]
    with pytest.raises(PermissionDenied):
        contact_method_test(method=mail, actor=agents[1])
