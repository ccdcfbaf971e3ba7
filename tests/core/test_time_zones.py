"""Per-person time zones: the preference, the middleware that shows pages in it, and emails
written in their recipients' zone with the zone named."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from core.exceptions import ValidationFailed
from core.models import OutboxMessage, User
from core.preferences import user_time_zone_set
from core.time_zones import (
    UserTimeZoneMiddleware,
    instant_text,
    instants_localised,
    selectable_zones,
    zone_of,
)
from incidents import services
from incidents.choices import Impact, Urgency
from sla.sweeper import sweep
from tests.factories import UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
# Fri 4 Dec 2026, 13:05 UTC = 14:05 CET (winter); Mon 2 Mar 2026 14:00 UTC = 15:00 CET.
WINTER = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)


# --- reading a zone ---------------------------------------------------------------------------


def test_an_instant_reads_in_the_zone_with_its_name() -> None:
    assert instant_text(WINTER, BERLIN) == "Fri 4 Dec 2026, 14:05 CET"
    assert instant_text(WINTER + timedelta(days=-200), BERLIN) == "Mon 18 May 2026, 15:05 CEST"
    # A zone without a letter abbreviation is named by its offset.
    assert instant_text(WINTER, ZoneInfo("America/Sao_Paulo")) == "Fri 4 Dec 2026, 10:05 UTC-03"


def test_iso_instants_in_a_message_are_rewritten_and_the_rest_is_left() -> None:
    text = "Response target breached (due 2026-12-04T13:05:00+00:00). Ref 2026-13-99T99:99Z."
    assert instants_localised(text, BERLIN) == (
        "Response target breached (due Fri 4 Dec 2026, 14:05 CET). Ref 2026-13-99T99:99Z."
    )


def test_zone_of_a_person_defaults_to_the_site_and_survives_an_unknown_name(settings) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    assert zone_of(AnonymousUser()).key == "Europe/Berlin"
    assert zone_of(User(time_zone="")).key == "Europe/Berlin"
    assert zone_of(User(time_zone="America/New_York")).key == "America/New_York"
    assert zone_of(User(time_zone="Mars/Olympus_Mons")).key == "Europe/Berlin"


def test_the_offered_zones_are_canonical_names() -> None:
    zones = selectable_zones()
    assert zones[0] == "UTC"
    assert {"Europe/Berlin", "America/New_York", "Australia/Sydney"} <= set(zones)
    assert "US/Eastern" not in zones and "Etc/GMT+5" not in zones


# --- the preference ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_known_zone_is_stored_and_an_unknown_one_changes_nothing(end_user: User) -> None:
    user_time_zone_set(user=end_user, time_zone=" Europe/Berlin ")
    end_user.refresh_from_db()
    assert end_user.time_zone == "Europe/Berlin"
    with pytest.raises(ValidationFailed) as refused:
        user_time_zone_set(user=end_user, time_zone="Europe/Atlantis")
    assert "not a known time zone" in refused.value.errors["time_zone"]
    end_user.refresh_from_db()
    assert end_user.time_zone == "Europe/Berlin"
    user_time_zone_set(user=end_user, time_zone="")
    end_user.refresh_from_db()
    assert end_user.time_zone == ""


@pytest.mark.django_db
def test_preferences_page_saves_the_zone_for_requesters_and_agents(
    client_for, end_user: User, agent_l1: User
) -> None:
    for person in (end_user, agent_l1):
        client = client_for(person)
        page = client.get("/account/preferences/")
        assert page.status_code == 200
        body = page.content.decode()
        assert 'list="time-zone-names"' in body and '<option value="Europe/Berlin">' in body
        response = client.post("/account/preferences/", {"time_zone": "America/New_York"})
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.time_zone == "America/New_York"
        after = client.get(response["Location"]).content.decode()
        assert "Dates are now shown in America/New_York" in after
        assert "Times are shown in America/New_York" in after  # the footer names it


@pytest.mark.django_db
def test_preferences_page_refuses_an_unknown_zone_and_keeps_what_was_typed(
    client_for, end_user: User
) -> None:
    user_time_zone_set(user=end_user, time_zone="Europe/Berlin")
    response = client_for(end_user).post("/account/preferences/", {"time_zone": "Berlin"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "not a known time zone" in body and 'value="Berlin"' in body
    end_user.refresh_from_db()
    assert end_user.time_zone == "Europe/Berlin"


@pytest.mark.django_db
def test_the_account_menu_links_preferences_in_both_layouts(
    client_for, end_user: User, agent_l1: User
) -> None:
    for person, page in ((end_user, "/portal/"), (agent_l1, "/agent/incidents/")):
        body = client_for(person).get(page).content.decode()
        menu = body.split('<details class="account account-menu">', 1)[1].split("</details>", 1)[0]
        assert 'href="/account/preferences/"' in menu
        assert 'href="/account/tokens/"' in menu and "Sign out" in menu


@pytest.mark.django_db
def test_admins_set_a_persons_zone_in_the_admin(client_for, admin_user: User) -> None:
    person = UserFactory()
    client = client_for(admin_user)
    url = f"/admin/core/user/{person.pk}/change/"
    assert 'name="time_zone"' in client.get(url).content.decode()


# --- pages follow the person's zone -----------------------------------------------------------


def _zone_seen(request: HttpRequest) -> HttpResponse:
    return HttpResponse(timezone.get_current_timezone_name())


@pytest.mark.django_db
def test_the_middleware_activates_the_persons_zone_but_not_for_the_api(settings) -> None:
    settings.TIME_ZONE = "UTC"
    middleware = UserTimeZoneMiddleware(_zone_seen)
    request = RequestFactory().get("/agent/incidents/")
    request.user = UserFactory(time_zone="Australia/Sydney")
    assert middleware(request).content == b"Australia/Sydney"
    assert timezone.get_current_timezone_name() == "UTC"  # not left behind for the next one
    api = RequestFactory().get("/api/v1/incidents/")
    api.user = request.user
    assert middleware(api).content == b"UTC"
    anonymous = RequestFactory().get("/accounts/login/")
    anonymous.user = AnonymousUser()
    assert middleware(anonymous).content == b"UTC"


def test_the_middleware_degrades_when_the_database_does_not_answer(settings) -> None:
    settings.TIME_ZONE = "UTC"

    class Unreachable:
        @property
        def is_authenticated(self) -> bool:
            raise OperationalError("connection refused")

    request = RequestFactory().get("/agent/incidents/")
    request.user = Unreachable()  # type: ignore[assignment]
    assert UserTimeZoneMiddleware(_zone_seen)(request).content == b"UTC"


@pytest.mark.django_db
def test_ticket_pages_show_dates_in_the_readers_zone(
    client_for, end_user: User, agent_l1: User, settings
) -> None:
    settings.TIME_ZONE = "UTC"
    with time_machine.travel(WINTER, tick=False):
        incident = services.incident_create(requester=end_user, title="Printer on fire")
    user_time_zone_set(user=agent_l1, time_zone="Europe/Berlin")
    user_time_zone_set(user=end_user, time_zone="America/New_York")
    agent_page = client_for(agent_l1).get(f"/agent/incidents/{incident.number}/").content.decode()
    assert "4 Dec 2026, 14:05" in agent_page and "Times are shown in Europe/Berlin" in agent_page
    portal_page = client_for(end_user).get(f"/portal/incidents/{incident.number}/")
    body = portal_page.content.decode()
    assert "4 Dec 2026, 08:05" in body and "Times are shown in America/New_York" in body


# --- emails in the recipient's zone -----------------------------------------------------------


@pytest.mark.django_db
def test_sla_emails_show_the_due_time_in_each_recipients_zone(
    end_user: User, tiers, incident_policies, agent_l1: User, settings
) -> None:
    settings.TIME_ZONE = "UTC"
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        incident = services.incident_create(
            requester=end_user, title="Share is slow", impact=Impact.LOW, urgency=Urgency.LOW
        )  # P5: response due 14:00 UTC, warned at 75 %
    services.incident_claim(incident, actor=agent_l1)
    user_time_zone_set(user=agent_l1, time_zone="Europe/Berlin")
    sweep(now=t0 + timedelta(hours=4))
    sent = OutboxMessage.objects.filter(task_name="core.send_email", dedupe_key__startswith="sla:")
    mails = {m.dedupe_key.split(":email", 1)[1]: m.payload for m in sent}
    assert set(mails) == {"", ":Europe/Berlin"}
    assert mails[":Europe/Berlin"]["to"] == [agent_l1.email]
    assert "(due Mon 2 Mar 2026, 15:00 CET)" in mails[":Europe/Berlin"]["body"]
    assert agent_l1.email not in mails[""]["to"]  # the group's mailbox reads the site's zone
    assert "(due Mon 2 Mar 2026, 14:00 UTC)" in mails[""]["body"]
    assert "T14:00:00" not in mails[""]["body"] + mails[":Europe/Berlin"]["body"]
    sweep(now=t0 + timedelta(hours=4))  # a repeated sweep mails nobody twice
    assert OutboxMessage.objects.filter(dedupe_key__startswith="sla:").count() == 2


@pytest.mark.django_db
def test_requester_emails_are_written_in_the_requesters_zone(end_user: User, settings) -> None:
    from core.tickets.notify import notify_requester

    settings.TIME_ZONE = "UTC"
    user_time_zone_set(user=end_user, time_zone="Asia/Tokyo")
    incident = services.incident_create(requester=end_user, title="VPN down")
    notify_requester(
        incident, subject="Planned", body="Back at 2026-12-04T13:05:00Z.", key="planned"
    )
    mail = OutboxMessage.objects.get(dedupe_key__endswith=":planned")
    assert "Back at Fri 4 Dec 2026, 22:05 JST." in mail.payload["body"]
