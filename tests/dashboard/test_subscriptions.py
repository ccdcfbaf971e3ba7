"""The weekly email control on the dashboard, through the reporting engine's services."""

import pytest
from django.urls import reverse

from reporting.models import ReportSubscription
from reporting.services import subscription_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SUBSCRIBE = "reporting:dashboard_subscribe"


def test_subscribe_stores_the_current_dimensions(manager_client, manager, l1_group) -> None:
    response = manager_client.post(
        reverse(SUBSCRIBE),
        {
            "weekday": "4",
            "hour": "8",
            "kind": "incident",
            "group": str(l1_group.pk),
            "priority": "1",
            "return": f"period=7&group={l1_group.pk}&priority=1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("reporting:dashboard") + f"?period=7&group={l1_group.pk}&priority=1"
    )
    subscription = ReportSubscription.objects.get(user=manager)
    assert (subscription.weekday, subscription.hour) == (4, 8)
    assert subscription.filters == {"kind": "incident", "group": l1_group.pk, "priority": 1}


def test_subscribe_with_htmx_returns_the_panel(manager_client, l1_group) -> None:
    response = manager_client.post(
        reverse(SUBSCRIBE),
        {"weekday": "0", "hour": "7", "group": str(l1_group.pk), "return": "period=30"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card dash-subscriptions" id="subscriptions"')
    assert "Subscribed: a summary every Monday at 07:00." in html
    assert f"group {l1_group.name}" in html
    assert "Unsubscribe" in html


def test_bad_slot_changes_nothing(manager_client) -> None:
    response = manager_client.post(
        reverse(SUBSCRIBE), {"weekday": "9", "hour": "7"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert b"Select a valid choice." in response.content
    assert not ReportSubscription.objects.exists()


def test_bad_filters_change_nothing(manager_client) -> None:
    response = manager_client.post(
        reverse(SUBSCRIBE),
        {"weekday": "1", "hour": "7", "group": "999999"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert b"There is no support group with id 999999" in response.content
    assert not ReportSubscription.objects.exists()


def test_no_email_address_is_explained(client_for) -> None:
    manager = UserFactory(username="mailless", role="manager", email="")
    client = client_for(manager)
    page = client.get(reverse("reporting:dashboard")).content.decode()
    assert "Your account has no email address" in page
    response = client.post(reverse(SUBSCRIBE), {"weekday": "1", "hour": "7"})
    assert response.status_code == 302
    follow = client.get(response["Location"]).content.decode()
    assert "Your account has no email address." in follow
    assert not ReportSubscription.objects.exists()


def test_unsubscribe_removes_only_your_own(manager_client, manager, admin_user) -> None:
    mine = subscription_create(user=manager, weekday=0, hour=7)
    theirs = subscription_create(user=admin_user, weekday=0, hour=7)
    url = reverse("reporting:dashboard_unsubscribe", args=[theirs.pk])
    assert manager_client.post(url).status_code == 404
    assert ReportSubscription.objects.filter(pk=theirs.pk).exists()
    response = manager_client.post(
        reverse("reporting:dashboard_unsubscribe", args=[mine.pk]),
        {"return": "period=7"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b"Unsubscribed." in response.content
    assert not ReportSubscription.objects.filter(pk=mine.pk).exists()


def test_get_is_not_allowed(manager_client) -> None:
    assert manager_client.get(reverse(SUBSCRIBE)).status_code == 405


def test_the_return_link_keeps_only_filter_parameters(manager_client) -> None:
    response = manager_client.post(
        reverse(SUBSCRIBE),
        {"weekday": "0", "hour": "7", "return": "period=7&next=https://evil.example/"},
    )
    assert response["Location"] == reverse("reporting:dashboard") + "?period=7"


def test_the_page_lists_subscriptions(manager_client, manager) -> None:
    subscription_create(user=manager, weekday=2, hour=9, filters={"kind": "request"})
    html = manager_client.get(reverse("reporting:dashboard")).content.decode()
    assert "Wednesday" in html
    assert "09:00" in html
    assert "requests" in html
