"""The on-call pages: on call now, a schedule's timeline with override creation, my shifts with
its feed link, and the feeds themselves."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import User
from oncall.models import CalendarFeed, Override, Schedule
from oncall.services import feed_token_renew

pytestmark = pytest.mark.django_db


def local_input(instant: timezone.datetime) -> str:
    return timezone.localtime(instant).strftime("%Y-%m-%dT%H:%M")


def test_on_call_now_names_the_person_per_schedule(
    client_for: object, schedule: Schedule, agents: list[User]
) -> None:
    response = client_for(agents[0]).get(reverse("oncall:now"))  # type: ignore[operator]
    assert response.status_code == 200
    assert "Primary" in response.content.decode()
    assert any(a.display_name in response.content.decode() for a in agents)


def test_end_users_do_not_see_the_pages(
    client_for: object, end_user: User, schedule: Schedule
) -> None:
    client = client_for(end_user)  # type: ignore[operator]
    for url in (
        reverse("oncall:now"),
        reverse("oncall:schedule", args=[schedule.pk]),
        reverse("oncall:my_shifts"),
    ):
        assert client.get(url).status_code == 404


def test_the_schedule_page_draws_layers_and_the_final_schedule(
    client_for: object, schedule: Schedule, agents: list[User]
) -> None:
    response = client_for(agents[0]).get(
        reverse("oncall:schedule", args=[schedule.pk]) + "?from=2026-03-23"
    )  # type: ignore[operator]
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="oc-row') == 3  # ticks, layer 1, final
    # Midnight to midnight with 09:00 handoffs: 13 whole days and two parts, per row.
    assert html.count('<rect class="oc-p') == 2 * 15
    assert 'style="' not in html.split("<main", 1)[-1]  # CSP: no inline style
    bad = client_for(agents[0]).get(
        reverse("oncall:schedule", args=[schedule.pk]) + "?from=nonsense"
    )  # type: ignore[operator]
    assert bad.status_code == 200


def test_an_agent_covers_a_shift_from_the_schedule_page(
    client_for: object, schedule: Schedule, agents: list[User]
) -> None:
    client = client_for(agents[1])  # type: ignore[operator]
    start = timezone.now() + timedelta(hours=2)
    response = client.post(
        reverse("oncall:override_create", args=[schedule.pk]),
        {
            "person": agents[1].pk,
            "start": local_input(start),
            "end": local_input(start + timedelta(hours=3)),
        },
    )
    assert response.status_code == 302
    override = Override.objects.get()
    assert override.person == agents[1] and override.created_by == agents[1]
    page = client.get(reverse("oncall:schedule", args=[schedule.pk])).content.decode()
    assert "Remove" in page


def test_a_bad_override_form_shows_the_error_and_stores_nothing(
    client_for: object, schedule: Schedule, agents: list[User]
) -> None:
    start = timezone.now() + timedelta(hours=2)
    response = client_for(agents[1]).post(  # type: ignore[operator]
        reverse("oncall:override_create", args=[schedule.pk]),
        {
            "person": agents[1].pk,
            "start": local_input(start),
            "end": local_input(start - timedelta(hours=1)),
        },
    )
    assert response.status_code == 400
    assert "The end must be after the start." in response.content.decode()
    assert not Override.objects.exists()


def test_my_shifts_lists_mine_and_makes_a_feed_link_shown_once(
    client_for: object, schedule: Schedule, agents: list[User]
) -> None:
    client = client_for(agents[0])  # type: ignore[operator]
    page = client.get(reverse("oncall:my_shifts")).content.decode()
    assert page.count('data-label="Schedule"') >= 9  # a day in three over 28 days
    response = client.post(reverse("oncall:my_feed"))
    html = response.content.decode()
    assert "/oncall/feeds/" in html and ".ics" in html
    url = html.split("/oncall/feeds/", 1)[1].split("<", 1)[0]
    feed = Client().get("/oncall/feeds/" + url)
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    assert body.count("BEGIN:VEVENT") >= 30  # 120 days, one in three
    assert "SUMMARY:On call: Primary" in body
    assert CalendarFeed.objects.get().person == agents[0]


def test_a_schedule_feed_and_a_revoked_one(schedule: Schedule, agents: list[User]) -> None:
    old = feed_token_renew(schedule=schedule)
    new = feed_token_renew(schedule=schedule)
    assert Client().get(reverse("oncall:feed", args=[old])).status_code == 404
    response = Client().get(reverse("oncall:feed", args=[new]))
    assert response.status_code == 200
    assert any(f"SUMMARY:On call: {a.display_name}" in response.content.decode() for a in agents)


def test_only_the_manager_renews_a_schedules_feed(
    client_for: object, schedule: Schedule, agents: list[User], manager: User
) -> None:
    url = reverse("oncall:schedule_feed", args=[schedule.pk])
    assert client_for(agents[0]).post(url).status_code == 403  # type: ignore[operator]
    assert client_for(manager).post(url).status_code == 200  # type: ignore[operator]
    assert CalendarFeed.objects.filter(schedule=schedule).exists()
