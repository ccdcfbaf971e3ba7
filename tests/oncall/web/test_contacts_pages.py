"""'My contact methods': add (a signed webhook's secret shown once), rules, turn off and on
(clearing a failing mark), rotate, send a test, delete; someone else's method is a 404."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxMessage
from oncall.models import ContactMethod, NotificationRule

pytestmark = pytest.mark.django_db


def test_add_an_email_method_with_rules(client_for, agents) -> None:
    client = client_for(agents[0])
    empty = client.get(reverse("oncall:contact")).content.decode()
    assert "You cannot be paged yet" in empty
    response = client.post(
        reverse("oncall:contact"), {"kind": "email", "label": "Work", "address": "a@example.com"}
    )
    assert response.status_code == 302
    method = ContactMethod.objects.get(person=agents[0])
    assert client.post(reverse("oncall:rule_add", args=[method.pk]), {"delay_minutes": "2"})[
        "Location"
    ] == reverse("oncall:contact")
    page = client.get(reverse("oncall:contact")).content.decode()
    assert "at once" in page and "after 2 min" in page and "You cannot be paged yet" not in page
    late = client.post(reverse("oncall:rule_add", args=[method.pk]), {"delay_minutes": "500"})
    twice = client.post(reverse("oncall:rule_add", args=[method.pk]), {"delay_minutes": "2"})
    assert late.status_code == 400 and twice.status_code == 400
    assert "already notifies after 2 min" in twice.content.decode()
    assert sorted(method.rules.values_list("delay_minutes", flat=True)) == [0, 2]
    rule = method.rules.get(delay_minutes=2)
    assert client.post(reverse("oncall:rule_delete", args=[rule.pk])).status_code == 302
    assert not NotificationRule.objects.filter(pk=rule.pk).exists()


def test_bad_addresses_are_400(client_for, agents) -> None:
    client = client_for(agents[0])
    for data in (
        {"kind": "email", "label": "Work", "address": "nope"},
        {"kind": "slack", "label": "Chat", "address": "http://hooks.example.com/x"},
        {"kind": "webhook", "label": "SMS", "address": "https://192.168.1.1/sms"},
    ):
        response = client.post(reverse("oncall:contact"), data)
        assert response.status_code == 400
    assert not ContactMethod.objects.exists()


def test_a_signed_webhook_secret_is_shown_once(client_for, agents) -> None:
    client = client_for(agents[0])
    response = client.post(
        reverse("oncall:contact"),
        {"kind": "webhook", "label": "SMS", "address": "https://sms.example.com/in"},
    )
    method = ContactMethod.objects.get()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert method.secret in response.content.decode()
    assert method.secret not in client.get(reverse("oncall:contact")).content.decode()
    rotated = client.post(reverse("oncall:contact_rotate", args=[method.pk]))
    method.refresh_from_db()
    assert method.secret in rotated.content.decode()


def test_turn_on_clears_failing_and_test_and_delete(client_for, agents) -> None:
    client = client_for(agents[0])
    method = ContactMethod.objects.create(
        person=agents[0],
        kind="email",
        label="Work",
        address="a@example.com",
        failing_since=timezone.now(),
        last_error="550 no such user",
    )
    assert "Failing" in client.get(reverse("oncall:contact")).content.decode()
    client.post(reverse("oncall:contact_toggle", args=[method.pk]))
    method.refresh_from_db()
    assert method.is_working and method.failing_since is None
    client.post(reverse("oncall:contact_toggle", args=[method.pk]))
    method.refresh_from_db()
    assert not method.is_active
    client.post(reverse("oncall:contact_test", args=[method.pk]))
    assert OutboxMessage.objects.filter(task_name="core.send_email").count() == 1
    client.post(reverse("oncall:contact_delete", args=[method.pk]))
    assert not ContactMethod.objects.exists()


def test_someone_elses_method_is_404(client_for, agents) -> None:
    method = ContactMethod.objects.create(
        person=agents[1], kind="email", label="Work", address="b@example.com"
    )
    rule = NotificationRule.objects.create(contact_method=method, delay_minutes=0)
    client = client_for(agents[0])
    for name in ("contact_toggle", "contact_delete", "contact_rotate", "contact_test", "rule_add"):
        assert client.post(reverse(f"oncall:{name}", args=[method.pk])).status_code == 404
    assert client.post(reverse("oncall:rule_delete", args=[rule.pk])).status_code == 404
    assert "b@example.com" not in client.get(reverse("oncall:contact")).content.decode()
    method.refresh_from_db()
    assert method.is_active and ContactMethod.objects.count() == 1
    assert not OutboxMessage.objects.exists()
