"""Kept page parts (core.web.kept_fragments) and the ticket page's use of them: a kept part is
the bytes the page would write now, whatever changed (the ticket's version and status, the
viewer, their role, their time zone, the select options), and a form shown with its errors is
never kept nor served from the memo."""

import re
from itertools import count

import pytest
from django.urls import reverse
from django.utils import timezone

from core.choices import Role
from core.models import User
from core.tickets.work import ticket_assign
from core.web import kept_fragments
from core.web.forms import CHOICES_MEMO
from core.web.kept_fragments import CSRF_SLOT, frozen_initial, kept_html
from incidents import services
from incidents.choices import Category
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _masked(response) -> str:
    assert response.status_code == 200
    return _TOKEN.sub('name="csrfmiddlewaretoken" value="-"', response.content.decode())


def _page(client, incident) -> str:
    return _masked(client.get(reverse("incidents:agent_detail", args=[incident.number])))


def _fresh_page(client, incident) -> str:
    """The page as it is written with nothing kept."""
    kept_fragments.forget()
    return _page(client, incident)


def _kept_and_fresh(client, incident) -> tuple[str, str]:
    _page(client, incident)  # whatever was kept before, this one is kept now
    return _page(client, incident), _fresh_page(client, incident)


@pytest.fixture
def incident(make_incident):
    return make_incident(at=None)


# --- the memo itself ----------------------------------------------------------------------------


def test_a_part_is_made_once_per_key_and_carries_each_requests_token():
    made = count()

    def values() -> dict:
        next(made)
        return {"user": "x"}

    first = kept_html("includes/_options.html", ("k",), values, "tokenA")
    again = kept_html("includes/_options.html", ("k",), values, "tokenB")
    assert first == again
    assert next(made) == 1  # made once
    kept_html("includes/_options.html", ("other",), values, "tokenA")
    assert next(made) == 3


def test_the_csrf_slot_takes_the_requests_token(settings):
    html = kept_html(
        "tickets/agent/_attach_form.html",
        ("attach-test",),
        lambda: {"attach_form": _attach_form(), "attach_url": "/x/"},
        "theToken123",
    )
    assert 'name="csrfmiddlewaretoken" value="theToken123"' in html
    assert CSRF_SLOT not in html


def _attach_form():
    from core.web.forms import AttachmentForm

    return AttachmentForm(prefix="attach")


def test_time_zone_and_choices_generation_and_settings_are_part_of_the_key(settings):
    made = count()

    def values() -> dict:
        next(made)
        return {}

    kept_html("includes/_options.html", ("z",), values, "t")
    with timezone.override("Asia/Tokyo"):
        kept_html("includes/_options.html", ("z",), values, "t")
    assert next(made) == 2
    CHOICES_MEMO.clear()
    kept_html("includes/_options.html", ("z",), values, "t")
    assert next(made) == 4
    settings.ATTACHMENT_MAX_BYTES = 1024  # any setting changed: everything forgotten
    kept_html("includes/_options.html", ("z",), values, "t")
    assert next(made) == 6


def test_only_plain_initial_values_make_a_key(service):
    assert frozen_initial({"version": 3, "category": "network"}) is not None
    assert frozen_initial({"service": service}) is None
    # The same instant in two zones prints differently: two keys.
    moment = timezone.now()
    tokyo = moment.astimezone(timezone.get_fixed_timezone(540))
    assert frozen_initial({"at": moment}) != frozen_initial({"at": tokyo})
    assert frozen_initial({"done": True}) != frozen_initial({"done": 1})


# --- the ticket page -----------------------------------------------------------------------------


def test_the_kept_page_is_the_page_written_afresh(client_for, agent_l1, incident):
    client = client_for(agent_l1)
    kept, fresh = _kept_and_fresh(client, incident)
    assert kept == fresh
    assert 'id="transition-accept-form"' in kept


def test_another_version_and_status_is_another_card(client_for, agent_l1, incident, classify):
    client = client_for(agent_l1)
    assert 'id="transition-accept-form"' in _page(client, incident)
    classified = classify(incident, agent_l1)
    kept, fresh = _kept_and_fresh(client, classified)
    assert kept == fresh
    assert 'id="transition-accept-form"' not in kept
    assert f'name="recategorize-version" value="{classified.version}"' in kept
    assert '<option value="network" selected>' in kept


def test_another_viewer_takes_over_with_their_own_id(client_for, agent_l1, incident):
    other = UserFactory(username="other", role=Role.AGENT)
    third = UserFactory(username="third", role=Role.AGENT)
    mine = services.incident_accept(incident, actor=agent_l1)
    mine = ticket_assign(mine, actor=agent_l1, assignee=agent_l1)
    # Signed in first: a login saves the user, which renews the select options' generation.
    clients = {person: client_for(person) for person in (other, third, agent_l1)}
    assert f'name="assign-assignee" value="{other.pk}"' in _page(clients[other], mine)
    # Kept for `other` just now: `third` gets a card of their own.
    third_page = _page(clients[third], mine)
    assert f'name="assign-assignee" value="{third.pk}"' in third_page
    assert third_page == _fresh_page(clients[third], mine)
    assert "assign-me-form" not in _page(clients[agent_l1], mine)


def test_another_role_offers_other_actions(client_for, agent_l1, manager, incident):
    agent_page = _page(client_for(agent_l1), incident)
    manager_page, fresh = _kept_and_fresh(client_for(manager), incident)
    assert manager_page == fresh
    agent_again, fresh_again = _kept_and_fresh(client_for(agent_l1), incident)
    assert agent_again == fresh_again == agent_page


def test_another_time_zone_shows_its_own_times(client_for, agent_l1, incident, classify):
    resolved = services.incident_resolve(
        classify(incident, agent_l1),
        actor=agent_l1,
        resolution_code="fixed",
        resolution_notes="Replaced the router.",
    )
    client = client_for(agent_l1)
    utc_page = _page(client, resolved)
    # Without a save signal, so that only the zone differs (not the options' generation).
    User.objects.filter(pk=agent_l1.pk).update(time_zone="Asia/Tokyo")
    kept, fresh = _kept_and_fresh(client, resolved)
    assert kept == fresh
    restored = re.search(r'name="service_restored-service_restored_at" value="([^"]+)"', kept)
    before = re.search(r'name="service_restored-service_restored_at" value="([^"]+)"', utc_page)
    assert restored and before and restored.group(1) != before.group(1)


def test_a_new_agent_is_in_the_kept_assignment_list(client_for, agent_l1, incident):
    client = client_for(agent_l1)
    logged = services.incident_accept(incident, actor=agent_l1)
    assert "Newcomer Agent" not in _page(client, logged)
    UserFactory(username="newcomer", first_name="Newcomer", last_name="Agent", role=Role.AGENT)
    kept, fresh = _kept_and_fresh(client, logged)
    assert kept == fresh
    assert "Newcomer Agent" in kept


def _classify(client, incident, **data):
    return client.post(
        reverse("incidents:agent_transition", args=[incident.number, "classify"]),
        {"classify-version": incident.version, **{f"classify-{k}": v for k, v in data.items()}},
    )


def test_an_invalid_post_is_shown_and_never_kept(client_for, agent_l1, incident):
    client = client_for(agent_l1)
    logged = services.incident_accept(incident, actor=agent_l1)
    before = _page(client, logged)
    shown = _classify(client, logged, category="").content.decode()
    assert 'class="form-errors"' in shown
    assert 'id="transition-classify" open' in shown
    # Another invalid post shows what it sent, not the first one's form.
    again = _classify(client, logged, category=Category.NETWORK).content.decode()
    assert '<option value="network" selected>' in again
    # The next page is the plain one again: nothing of the invalid posts was kept.
    assert _page(client, logged) == before


def test_an_invalid_note_is_shown_and_never_kept(client_for, agent_l1, incident):
    client = client_for(agent_l1)
    before = _page(client, incident)
    url = reverse("incidents:agent_comment", args=[incident.number])
    empty = client.post(url, {"comment-visibility": "internal", "comment-body": ""})
    assert 'id="note-error"' in empty.content.decode()
    too_long = "x" * 50_001
    long = client.post(url, {"comment-visibility": "internal", "comment-body": too_long})
    assert too_long in long.content.decode()
    assert _page(client, incident) == before
