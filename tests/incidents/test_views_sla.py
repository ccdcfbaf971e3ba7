"""SLA on the HTML pages: queue badges and the sla_state filter, the default time-to-breach
order, the SLA panel of the agent ticket page, escalation by hand, the portal's promises and
the timeline's escalation and SLA events. Time is frozen with time-machine, never slept."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.choices import Tier
from core.models import SupportGroup
from incidents import services
from incidents.choices import CancelReason, HoldReason, Impact, Urgency
from incidents.models import Incident
from sla.choices import ClockState, SlaState, ThresholdAction
from sla.models import Calendar, SlaClock, SlaPolicy, SlaThreshold, WorkingHours
from sla.selectors import clocks_for_tickets, format_span, relative, sla_state
from sla.sweeper import sweep
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
P1 = (Impact.HIGH, Urgency.HIGH)  # respond 1h (warn 45m), resolve 8h
P3 = (Impact.MEDIUM, Urgency.MEDIUM)  # respond 3h (warn 2h15m), resolve 24h
P5 = (Impact.LOW, Urgency.LOW)  # respond 5h (warn 3h45m), resolve 40h


@pytest.fixture
def policies(db):
    """Every incident priority on a 24x7 calendar: respond in P hours, resolve in 8P hours,
    warn at 75 % (as tests/sla/conftest.py's incident_policies)."""
    calendar = Calendar.objects.create(name="24x7", timezone="UTC", is_24x7=True)
    for priority in range(1, 6):
        policy = SlaPolicy.objects.create(
            name=f"Incidents P{priority}",
            ticket_kind="incident",
            priority=priority,
            response_target=timedelta(hours=priority),
            resolution_target=timedelta(hours=8 * priority),
            calendar=calendar,
        )
        SlaThreshold.objects.create(policy=policy, percent=75, action=ThresholdAction.NOTIFY)


@pytest.fixture
def tiers(l1_group, l2_group, l3_group):
    return {Tier.L1: l1_group, Tier.L2: l2_group, Tier.L3: l3_group}


def _create(end_user, effect=P5, title="VPN drops", at=T0):
    with time_machine.travel(at, tick=False):
        return services.incident_create(
            requester=end_user, title=title, impact=effect[0], urgency=effect[1]
        )


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _list(client, at, **params):
    with time_machine.travel(at, tick=False):
        return client.get(reverse("incidents:agent_list"), params)


def _detail(client, incident, at):
    with time_machine.travel(at, tick=False):
        return client.get(reverse("incidents:agent_detail", args=[incident.number]))


def _row_sla(response, incident):
    return next(row.sla for row in response.context["rows"] if row.incident.pk == incident.pk)


# --- Pure state and wording -----------------------------------------------------------------


def test_format_span_and_relative():
    assert format_span(timedelta(seconds=20)) == "<1m"
    assert format_span(timedelta(minutes=45)) == "45m"
    assert format_span(timedelta(hours=1, minutes=5)) == "1h 05m"
    assert format_span(timedelta(hours=27)) == "27h 00m"
    assert relative(timedelta(hours=3, minutes=20), suffix="business time") == (
        "in 3h 20m business time"
    )
    assert relative(-timedelta(hours=1, minutes=5)) == "overdue by 1h 05m"


def test_sla_state_of_clocks(end_user, l1_group, policies):
    incident = _create(end_user)
    clocks = clocks_for_tickets([incident])[incident.pk]
    assert [c.metric for c in clocks] == ["response", "resolution"]
    assert sla_state(clocks, T0 + timedelta(hours=1)) == SlaState.ON_TRACK
    assert sla_state(clocks, T0 + timedelta(hours=4)) == SlaState.AT_RISK
    assert sla_state(clocks, T0 + timedelta(hours=5)) == SlaState.BREACHED
    assert sla_state([], T0) == SlaState.NONE
    # Marked breached by the sweeper counts even if the due time moved later (a reopen).
    clocks[0].breached_at = T0
    assert sla_state(clocks, T0 + timedelta(minutes=1)) == SlaState.BREACHED
    for clock in clocks:
        clock.state = ClockState.PAUSED
    assert sla_state(clocks, T0 + timedelta(hours=9)) == SlaState.PAUSED


# --- Queue badges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "state", "label", "detail"),
    [
        (timedelta(hours=1), "on_track", "On track", "Response: 4h 00m left"),
        (timedelta(hours=4), "at_risk", "At risk", "Response: 1h 00m left"),
        (timedelta(hours=6, minutes=5), "breached", "Breached", "Response: 1h 05m over"),
    ],
)
def test_queue_badge_for_running_clocks(
    client_for, agent_l1, end_user, policies, offset, state, label, detail
):
    incident = _create(end_user)
    response = _list(client_for(agent_l1), T0 + offset)
    sla = _row_sla(response, incident)
    assert (sla.state, sla.label, sla.detail) == (state, label, detail)
    body = response.content.decode()
    assert f'<span class="badge badge-sla sla-{state}">{label}</span>' in body
    assert detail in body


def test_queue_badge_paused_and_no_sla(client_for, agent_l1, end_user, policies):
    held = _create(end_user, title="Held")
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        services.incident_accept(held, actor=agent_l1)
        services.incident_hold(held, actor=agent_l1, on_hold_reason=HoldReason.AWAITING_USER)
    no_sla = IncidentFactory(title="Before SLAs")
    response = _list(client_for(agent_l1), T0 + timedelta(hours=20))
    assert _row_sla(response, held).state == SlaState.PAUSED
    assert _row_sla(response, held).label == "Paused"
    assert _row_sla(response, no_sla).state == SlaState.NONE
    body = response.content.decode()
    assert '<span class="badge badge-sla sla-paused">Paused</span>' in body
    assert '<span class="badge badge-sla sla-none">No SLA</span>' in body


def test_queue_badge_uses_business_time(client_for, agent_l1, end_user, l1_group):
    office = Calendar.objects.create(name="Berlin office", timezone="Europe/Berlin")
    for day in range(5):
        WorkingHours.objects.create(calendar=office, weekday=day, start=time(8), end=time(18))
    SlaPolicy.objects.create(
        name="Office P5",
        ticket_kind="incident",
        priority=5,
        response_target=timedelta(hours=2),
        resolution_target=timedelta(hours=20),
        calendar=office,
    )
    friday_5pm_berlin = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    incident = _create(end_user, at=friday_5pm_berlin)
    half_hour_later = friday_5pm_berlin + timedelta(minutes=30)
    client = client_for(agent_l1)
    sla = _row_sla(_list(client, half_hour_later), incident)
    # Half an hour of Friday was used; the other 1h 30m are 17:30-18:00 on Friday and
    # 08:00-09:00 on Monday (Berlin).
    assert sla.detail == "Response: 1h 30m left"
    assert sla.nearest.due_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    # Which clock the queue counts on is said in words, with a tooltip explaining it.
    row = _list(client, half_hour_later).content.decode().split(incident.number, 1)[1]
    assert (
        '<span class="time-basis" title="Counted in the working hours of the Berlin office' in row
    )
    assert ">business hours</span>" in row.split("</tr>", 1)[0]
    body = _detail(client, incident, half_hour_later).content.decode()
    assert "in 1h 30m business time" in body
    # The wall-clock countdown beside the due time: Friday 17:30 -> Monday 09:00 Berlin.
    assert "in 63h 30m" in body
    assert 'data-sla-due="2026-03-09T08:00:00+00:00"' in body


# --- sla_state filter and ordering ----------------------------------------------------------


@pytest.fixture
def mixed(end_user, agent_l1, policies):
    """At T0 + 2h30m: a P1 breached, a P3 at risk, a P5 on track, one paused, one without SLA."""
    incidents = {
        "on_track": _create(end_user, P5, "P5"),
        "breached": _create(end_user, P1, "P1"),
        "at_risk": _create(end_user, P3, "P3"),
        "paused": _create(end_user, P3, "Held"),
        "none": IncidentFactory(title="No SLA"),
    }
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        services.incident_accept(incidents["paused"], actor=agent_l1)
        services.incident_hold(
            incidents["paused"], actor=agent_l1, on_hold_reason=HoldReason.AWAITING_VENDOR
        )
    return incidents


@pytest.mark.parametrize("state", ["on_track", "at_risk", "breached"])
def test_sla_state_filter_works_in_the_database(client_for, agent_l1, mixed, state):
    response = _list(client_for(agent_l1), T0 + timedelta(hours=2, minutes=30), sla_state=state)
    assert [row.incident.pk for row in response.context["rows"]] == [mixed[state].pk]
    assert _row_sla(response, mixed[state]).state == state


def test_sla_state_filter_agrees_with_the_badges(client_for, agent_l1, mixed):
    client = client_for(agent_l1)
    at = T0 + timedelta(hours=2, minutes=30)
    for state in ("on_track", "at_risk", "breached"):
        for row in _list(client, at, sla_state=state).context["rows"]:
            assert row.sla.state == state


def test_sla_state_filter_counts_as_active_filter(client_for, agent_l1, mixed):
    response = _list(client_for(agent_l1), T0, sla_state="breached")
    assert response.context["filterset"].active_filter_count == 1


def test_default_order_is_time_to_breach_with_nulls_last(client_for, agent_l1, mixed):
    response = _list(client_for(agent_l1), T0 + timedelta(hours=1))
    numbers = [row.incident.number for row in response.context["rows"]]
    # Due: P1 +1h, P3 +3h, P5 +5h; then the paused and the no-SLA incident by id.
    assert numbers == [
        mixed["breached"].number,
        mixed["at_risk"].number,
        mixed["on_track"].number,
        mixed["paused"].number,
        mixed["none"].number,
    ]
    assert "sorted by time to breach" in response.content.decode()


def test_time_to_breach_can_be_picked_explicitly_and_other_orders_still_work(
    client_for, agent_l1, mixed
):
    client = client_for(agent_l1)
    by_breach = _list(client, T0, ordering="breach").context["rows"]
    assert by_breach[0].incident.pk == mixed["breached"].pk
    by_priority = _list(client, T0, ordering="priority").context["rows"]
    assert by_priority[0].incident.priority == 1
    assert by_priority[-1].incident.priority == max(i.priority for i in mixed.values())


def _queries(client, **extra) -> int:
    client.get(
        reverse("incidents:agent_list"), **extra
    )  # warm what each process keeps (content types, the viewer's roles)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("incidents:agent_list"), **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_constant_with_clocks(client_for, agent_l1, end_user, policies):
    client = client_for(agent_l1)
    _create(end_user, P1)
    one_partial = _queries(client, HTTP_HX_REQUEST="true")
    one_page = _queries(client)
    for n in range(19):
        _create(end_user, (P1, P3, P5)[n % 3], title=f"Incident {n}")
    assert SlaClock.objects.count() == 40
    assert _queries(client, HTTP_HX_REQUEST="true") == one_partial
    assert _queries(client) == one_page
    # DESIGN.md §7: the queue stays within 6 queries (session, user, roles, count, rows, clocks).
    assert one_partial <= 6


# --- Agent ticket page: SLA panel -----------------------------------------------------------


def test_panel_shows_each_clock_with_state_due_time_and_policy(
    client_for, agent_l1, end_user, policies
):
    incident = _create(end_user)
    response = _detail(client_for(agent_l1), incident, T0 + timedelta(hours=4))
    response_clock, resolution_clock = (item.status for item in response.context["sla_clocks"])
    assert (response_clock.metric_label, response_clock.label) == ("Response", "At risk")
    assert response_clock.detail == "in 1h 00m"
    assert (resolution_clock.label, resolution_clock.detail) == ("On track", "in 36h 00m")
    body = response.content.decode()
    assert '<time datetime="2026-03-02T14:00:00+00:00">Mon 2 Mar 2026, 14:00 UTC</time>' in body
    assert "Incidents P5 · 24\N{MULTIPLICATION SIGN}7 calendar" in body
    # 24x7: business time is wall time, so the text itself is the ticking countdown.
    assert 'data-sla-due="2026-03-02T14:00:00+00:00">in 1h 00m<' in body


def test_panel_overdue_met_and_paused(client_for, agent_l1, end_user, policies):
    incident = _create(end_user)
    client = client_for(agent_l1)
    late = _detail(client, incident, T0 + timedelta(hours=6, minutes=5)).content.decode()
    assert "overdue by 1h 05m" in late
    assert '<span class="badge badge-sla sla-breached">Breached</span>' in late
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        services.incident_accept(incident, actor=agent_l1)
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        services.incident_hold(incident, actor=agent_l1, on_hold_reason=HoldReason.AWAITING_USER)
    body = _detail(client, incident, T0 + timedelta(hours=4)).content.decode()
    assert "Met at <time" in body and "Mon 2 Mar 2026, 11:00 UTC" in body
    assert '<span class="badge badge-sla sla-paused">Paused</span>' in body
    assert "Paused since <time" in body and "Mon 2 Mar 2026, 12:00 UTC" in body


def test_panel_without_sla(client_for, agent_l1, end_user, l1_group):
    incident = _create(end_user)
    body = _detail(client_for(agent_l1), incident, T0).content.decode()
    assert "No SLA applies to this incident" in body


# --- Escalation by hand ---------------------------------------------------------------------


def _move(client, incident, direction, reason="Needs the app team", version=None):
    return client.post(
        reverse(f"incidents:agent_{direction}", args=[incident.number]),
        {
            f"{direction}-version": incident.version if version is None else version,
            f"{direction}-reason": reason,
        },
    )


def test_header_shows_tier_group_and_the_possible_moves(client_for, agent_l1, end_user, tiers):
    incident = _create(end_user)
    response = client_for(agent_l1).get(reverse("incidents:agent_detail", args=[incident.number]))
    body = response.content.decode()
    assert "Tier L1 · Service Desk L1" in body
    assert [m.label for m in response.context["tier_moves"]] == ["Escalate to L2"]
    assert reverse("incidents:agent_escalate", args=[incident.number]) in body
    assert reverse("incidents:agent_deescalate", args=[incident.number]) not in body
    assert "moves to <strong>Application Support L2</strong>" in body


def test_the_offered_moves_group_follows_changes_of_the_groups(
    client_for, agent_l1, end_user, tiers
):
    """The group a move lands in is kept per process (core.web.ticket_page): renaming it,
    deactivating it or adding another shows on the next page."""
    incident = _create(end_user)
    client = client_for(agent_l1)
    url = reverse("incidents:agent_detail", args=[incident.number])
    l2 = tiers[Tier.L2]
    assert f"moves to <strong>{l2.name}</strong>" in client.get(url).content.decode()
    l2.name = "Apps L2"
    l2.save(update_fields=["name"])
    assert "moves to <strong>Apps L2</strong>" in client.get(url).content.decode()
    l2.is_active = False
    l2.save(update_fields=["is_active"])
    assert "Escalate to L2: no active L2 group." in client.get(url).content.decode()
    SupportGroup.objects.create(name="AAA L2", tier=Tier.L2)
    assert "moves to <strong>AAA L2</strong>" in client.get(url).content.decode()


def test_escalate_and_deescalate_through_the_views(client_for, agent_l1, end_user, tiers):
    incident = _create(end_user)
    client = client_for(agent_l1)
    response = _move(client, incident, "escalate")
    assert response.status_code == 302
    assert _messages(response) == [
        f"{incident.number} escalated from L1 to L2: now with Application Support L2, unassigned."
    ]
    incident.refresh_from_db()
    assert (incident.tier, incident.support_group) == (Tier.L2, tiers[Tier.L2])
    detail = client.get(reverse("incidents:agent_detail", args=[incident.number]))
    assert [m.label for m in detail.context["tier_moves"]] == [
        "Escalate to L3",
        "De-escalate to L1",
    ]
    response = _move(client, incident, "deescalate", reason="Only a password reset")
    assert "de-escalated from L2 to L1" in _messages(response)[0]
    incident.refresh_from_db()
    assert incident.tier == Tier.L1


def test_escalation_without_reason_is_a_field_error(client_for, agent_l1, end_user, tiers):
    incident = _create(end_user)
    response = _move(client_for(agent_l1), incident, "escalate", reason="   ")
    assert response.status_code == 200
    assert response.context["open_form"] == "escalate"
    assert "This field is required." in response.content.decode()
    incident.refresh_from_db()
    assert incident.tier == Tier.L1


@pytest.mark.parametrize(
    ("direction", "setup", "expected"),
    [
        ("escalate", "at_l3", "already at L3, the top tier"),
        ("deescalate", "at_l1", "already at L1"),
        ("escalate", "no_l3_group", "There is no active L3 support group."),
        ("escalate", "cancelled", "is cancelled"),
    ],
)
def test_refused_moves_give_a_message_and_change_nothing(
    client_for, agent_l1, end_user, l1_group, l2_group, l3_group, direction, setup, expected
):
    incident = _create(end_user)
    if setup in ("at_l3", "no_l3_group"):
        services.incident_escalate(incident, actor=agent_l1, reason="up")
    if setup == "at_l3":
        services.incident_escalate(incident, actor=agent_l1, reason="up again")
    if setup == "no_l3_group":
        l3_group.is_active = False
        l3_group.save()
    if setup == "cancelled":
        services.incident_cancel(
            incident, actor=agent_l1, cancel_reason=CancelReason.DUPLICATE, note="dup"
        )
    incident.refresh_from_db()
    before = (incident.tier, incident.support_group_id, incident.version)
    response = _move(client_for(agent_l1), incident, direction)
    assert response.status_code == 302
    assert any(expected in m for m in _messages(response)), _messages(response)
    incident.refresh_from_db()
    assert (incident.tier, incident.support_group_id, incident.version) == before


def test_stale_version_is_refused(client_for, agent_l1, agent_l2, end_user, tiers):
    incident = _create(end_user)
    seen = incident.version
    services.incident_claim(incident, actor=agent_l2)
    response = _move(client_for(agent_l1), incident, "escalate", version=seen)
    assert any("changed by someone else" in m for m in _messages(response))
    incident.refresh_from_db()
    assert incident.tier == Tier.L1


def test_escalation_views_are_for_agents_only(client_for, end_user, tiers):
    incident = _create(end_user)
    assert _move(client_for(end_user), incident, "escalate").status_code == 404
    get = client_for(end_user).get(reverse("incidents:agent_escalate", args=[incident.number]))
    assert get.status_code == 404
    incident.refresh_from_db()
    assert incident.tier == Tier.L1


# --- Timeline -------------------------------------------------------------------------------


def test_timeline_renders_escalation_and_sla_events(
    client_for, agent_l1, end_user, tiers, policies
):
    incident = _create(end_user)
    with time_machine.travel(T0 + timedelta(hours=3, minutes=10), tick=False):
        services.incident_escalate(incident, actor=agent_l1, reason="Needs the **app team**")
    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        sweep()  # the P5 response clock passes its 75 % warning (due 14:00)
    body = _detail(client_for(agent_l1), incident, T0 + timedelta(hours=4)).content.decode()
    assert "escalated L1 → L2 (Application Support L2)" in body
    assert "<strong>app team</strong>" in body
    assert "After 3h 10m in L1." in body
    assert "<strong>SLA:</strong> Response target 75% used (due 2 Mar 2026, 14:00 UTC)." in body
    # Both are internal: the requester's portal page shows neither.
    client = client_for(end_user)
    portal = client.get(reverse("incidents:portal_detail", args=[incident.number]))
    assert "escalated" not in portal.content.decode()
    assert "SLA:" not in portal.content.decode()


# --- Portal ---------------------------------------------------------------------------------


def _portal(client, incident, at):
    with time_machine.travel(at, tick=False):
        return client.get(reverse("incidents:portal_detail", args=[incident.number]))


def test_portal_says_when_we_aim_to_respond_and_resolve(client_for, end_user, policies, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    incident = _create(end_user)
    body = _portal(client_for(end_user), incident, T0 + timedelta(hours=1)).content.decode()
    # Due Mon 14:00 UTC and Wed 01:00 UTC, shown in the site's time zone (CET, UTC+1).
    assert "We aim to respond by <time" in body
    assert "Monday 2 March 2026, 15:00 CET" in body
    assert "We aim to resolve this by <time" in body
    assert "Wednesday 4 March 2026, 02:00 CET" in body


def test_portal_hides_the_response_promise_once_answered(client_for, end_user, agent_l1, policies):
    incident = _create(end_user)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.incident_accept(incident, actor=agent_l1)
    body = _portal(client_for(end_user), incident, T0 + timedelta(hours=2)).content.decode()
    assert "We aim to respond by" not in body
    assert "We aim to resolve this by" in body


def test_portal_when_late_says_so(client_for, end_user, policies):
    incident = _create(end_user)
    body = _portal(client_for(end_user), incident, T0 + timedelta(hours=6)).content.decode()
    assert "We aim to respond by" not in body
    assert "We aimed to respond by" in body and "running late" in body


def test_portal_shows_nothing_without_sla(client_for, end_user, l1_group):
    incident = _create(end_user)
    body = _portal(client_for(end_user), incident, T0).content.decode()
    assert "We aim to" not in body
    assert "sla-promises" not in body


@pytest.mark.parametrize(
    ("reason", "who"),
    [(HoldReason.AWAITING_USER, "you"), (HoldReason.AWAITING_VENDOR, "a vendor")],
)
def test_portal_on_hold_says_the_targets_are_paused(
    client_for, end_user, agent_l1, policies, reason, who
):
    incident = _create(end_user)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        services.incident_accept(incident, actor=agent_l1)
        services.incident_hold(incident, actor=agent_l1, on_hold_reason=reason)
    body = _portal(client_for(end_user), incident, T0 + timedelta(hours=1)).content.decode()
    assert f"Our target times are paused while we wait for {who}." in body
    assert "We aim to" not in body


def test_sla_pages_keep_the_csp(client_for, agent_l1, end_user, policies, tiers):
    # No inline script or style: the countdown is wired from data attributes by app.js.
    incident = _create(end_user)
    for client, url in (
        (client_for(agent_l1), reverse("incidents:agent_list")),
        (client_for(agent_l1), reverse("incidents:agent_detail", args=[incident.number])),
        (client_for(end_user), reverse("incidents:portal_detail", args=[incident.number])),
    ):
        body = client.get(url).content.decode()
        assert " style=" not in body and "<script>" not in body, url
        assert "onclick" not in body, url
    assert Incident.objects.count() == 1


def test_a_24x7_clock_in_the_queue_says_calendar_time(client_for, agent_l1, end_user, policies):
    incident = _create(end_user)
    row = _list(client_for(agent_l1), T0 + timedelta(hours=1)).content.decode()
    row = row.split(incident.number, 1)[1].split("</tr>", 1)[0]
    assert ">calendar time</span>" in row and "business hours" not in row
