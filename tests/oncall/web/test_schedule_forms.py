"""The schedule pages' forms: create, edit and delete schedules; add, edit and delete their
rotation layers. Who may (admins, the group's manager), what a refusal looks like (the field's
error, nothing stored), handoffs read on the schedule's clock across DST, and members kept in
the order given."""

from collections.abc import Callable
from datetime import UTC, datetime, time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.choices import Role
from core.models import SupportGroup, User
from oncall.models import (
    EscalationPolicy,
    EscalationStep,
    LayerMember,
    RotationLayer,
    Schedule,
    StepTarget,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def schedule_data(group: SupportGroup, **changes: object) -> dict[str, object]:
    return {
        "support_group": group.pk,
        "name": "Secondary",
        "time_zone": "Europe/Berlin",
        "description": "Nights and weekends",
        **changes,
    }


def layer_data(order: list[User], **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "level": 2,
        "name": "Weekdays",
        "shift_hours": 24,
        "handoff_at": "2026-07-06T09:00",
        "weekdays": ["1", "2", "3", "4", "5"],
        "window_start": "09:00",
        "window_end": "17:00",
    }
    data.update({f"member_{person.pk}": index for index, person in enumerate(order, start=1)})
    data.update(changes)
    return data


def members_of(layer: RotationLayer) -> list[int]:
    return list(layer.memberships.order_by("position").values_list("person_id", flat=True))


# --- Schedules ------------------------------------------------------------------------------


def test_the_groups_manager_creates_a_schedule_and_lands_on_its_page(
    client_for: ClientFor, group: SupportGroup, manager: User, l2_group: SupportGroup
) -> None:
    client = client_for(manager)
    form = client.get(reverse("oncall:schedule_create"))
    html = form.content.decode()
    assert form.status_code == 200
    assert group.name in html and l2_group.name not in html  # only groups they manage
    assert 'list="oncall-zone-names"' in html and '<option value="Europe/Berlin">' in html
    response = client.post(reverse("oncall:schedule_create"), schedule_data(group))
    schedule = Schedule.objects.get(name="Secondary")
    assert response.status_code == 302
    assert response["Location"] == reverse("oncall:schedule", args=[schedule.pk])
    assert (schedule.support_group, schedule.time_zone) == (group, "Europe/Berlin")
    assert schedule.description == "Nights and weekends"


def test_a_manager_cannot_create_a_schedule_for_a_group_they_do_not_manage(
    client_for: ClientFor, group: SupportGroup, manager: User, l2_group: SupportGroup
) -> None:
    response = client_for(manager).post(reverse("oncall:schedule_create"), schedule_data(l2_group))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Schedule.objects.exists()


def test_an_admin_creates_a_schedule_for_any_group(
    client_for: ClientFor, admin_user: User, l2_group: SupportGroup
) -> None:
    response = client_for(admin_user).post(
        reverse("oncall:schedule_create"), schedule_data(l2_group)
    )
    assert response.status_code == 302
    assert Schedule.objects.get().support_group == l2_group


def test_agents_cannot_create_and_end_users_do_not_see_the_form(
    client_for: ClientFor, group: SupportGroup, agents: list[User], end_user: User
) -> None:
    url = reverse("oncall:schedule_create")
    agent = client_for(agents[0])
    assert agent.get(url).status_code == 403
    assert agent.post(url, schedule_data(group)).status_code == 403
    assert client_for(end_user).get(url).status_code == 404
    assert not Schedule.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a known time zone"),
        ({"name": "Primary"}, "name", "already has a schedule named"),
        ({"name": "   "}, "name", "Give the schedule a name."),
    ],
)
def test_a_bad_schedule_shows_the_error_on_its_field_and_stores_nothing(
    client_for: ClientFor,
    schedule: Schedule,
    manager: User,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client_for(manager).post(
        reverse("oncall:schedule_create"), schedule_data(schedule.support_group, **changes)
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html and message in html
    assert list(Schedule.objects.values_list("name", flat=True)) == ["Primary"]


def test_the_manager_edits_a_schedule_and_others_are_refused(
    client_for: ClientFor,
    schedule: Schedule,
    manager: User,
    agents: list[User],
    admin_user: User,
    l2_group: SupportGroup,
) -> None:
    url = reverse("oncall:schedule_edit", args=[schedule.pk])
    other_manager = UserFactory(username="manager2", role=Role.MANAGER)
    l2_group.manager = other_manager
    l2_group.save()
    changed = schedule_data(schedule.support_group, name="Primary (Berlin)")
    assert client_for(agents[0]).get(url).status_code == 403
    assert client_for(agents[0]).post(url, changed).status_code == 403
    assert client_for(other_manager).post(url, changed).status_code == 403
    schedule.refresh_from_db()
    assert schedule.name == "Primary"
    page = client_for(manager).get(url).content.decode()
    assert 'value="Primary"' in page and 'value="Europe/Berlin"' in page
    assert client_for(manager).post(url, changed).status_code == 302
    schedule.refresh_from_db()
    assert schedule.name == "Primary (Berlin)"
    assert schedule.layers.count() == 1  # the layers stay
    admin_changed = schedule_data(schedule.support_group, name="Primary", time_zone="UTC")
    assert client_for(admin_user).post(url, admin_changed).status_code == 302
    schedule.refresh_from_db()
    assert (schedule.name, schedule.time_zone) == ("Primary", "UTC")
    missing = reverse("oncall:schedule_edit", args=[999999])
    assert client_for(manager).get(missing).status_code == 404


def test_moving_a_schedule_to_a_group_its_members_are_not_in_is_refused(
    client_for: ClientFor, schedule: Schedule, admin_user: User, l2_group: SupportGroup
) -> None:
    response = client_for(admin_user).post(
        reverse("oncall:schedule_edit", args=[schedule.pk]), schedule_data(l2_group)
    )
    assert response.status_code == 400
    assert "change the layers first" in response.content.decode()
    schedule.refresh_from_db()
    assert schedule.support_group_id != l2_group.pk and schedule.name == "Primary"


def test_deleting_a_schedule_asks_first_then_deletes_it(
    client_for: ClientFor, schedule: Schedule, manager: User, agents: list[User]
) -> None:
    url = reverse("oncall:schedule_delete", args=[schedule.pk])
    assert client_for(agents[0]).post(url).status_code == 403
    confirm = client_for(manager).get(url)
    assert confirm.status_code == 200
    assert "Delete the schedule</button>" in confirm.content.decode()
    assert Schedule.objects.filter(pk=schedule.pk).exists()  # a GET deletes nothing
    response = client_for(manager).post(url)
    assert response.status_code == 302 and response["Location"] == reverse("oncall:now")
    assert not Schedule.objects.exists() and not RotationLayer.objects.exists()


def test_a_schedule_an_escalation_policy_pages_is_not_deleted(
    client_for: ClientFor, schedule: Schedule, manager: User, group: SupportGroup
) -> None:
    policy = EscalationPolicy.objects.create(support_group=group, name="L1 paging")
    EscalationStep.objects.create(
        policy=policy, position=1, target=StepTarget.SCHEDULE, schedule=schedule
    )
    url = reverse("oncall:schedule_delete", args=[schedule.pk])
    confirm = client_for(manager).get(url).content.decode()
    assert "“L1 paging”" in confirm and "Delete the schedule</button>" not in confirm
    response = client_for(manager).post(url)
    assert response.status_code == 409
    assert "The schedule is kept" in response.content.decode()
    assert Schedule.objects.filter(pk=schedule.pk).exists()
    assert RotationLayer.objects.filter(schedule=schedule).count() == 1


# --- Layers ---------------------------------------------------------------------------------


def test_the_manager_adds_a_layer_with_members_in_the_order_given(
    client_for: ClientFor, schedule: Schedule, manager: User, agents: list[User]
) -> None:
    client = client_for(manager)
    url = reverse("oncall:layer_create", args=[schedule.pk])
    form = client.get(url).content.decode()
    assert "Read in the schedule&#x27;s time zone, Europe/Berlin" in form
    assert all(f'name="member_{a.pk}"' in form for a in agents)
    order = [agents[2], agents[0], agents[1]]
    data = layer_data(order, **{f"member_{agents[0].pk}": 5, f"member_{agents[1].pk}": 9})
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("oncall:schedule", args=[schedule.pk])
    layer = schedule.layers.get(level=2)
    assert members_of(layer) == [a.pk for a in order]  # numbers 1, 5, 9: gaps are fine
    assert (layer.name, layer.shift_hours, layer.weekdays) == ("Weekdays", 24, "12345")
    assert (layer.window_start, layer.window_end) == (time(9), time(17))


def test_an_unnumbered_agent_is_left_out_of_the_rotation(
    client_for: ClientFor, schedule: Schedule, manager: User, agents: list[User]
) -> None:
    data = layer_data([agents[1]], weekdays=[], window_start="", window_end="")
    assert (
        client_for(manager)
        .post(reverse("oncall:layer_create", args=[schedule.pk]), data)
        .status_code
        == 302
    )
    layer = schedule.layers.get(level=2)
    assert members_of(layer) == [agents[1].pk]
    assert (layer.weekdays, layer.window_start, layer.window_end) == ("", None, None)


@pytest.mark.parametrize(
    ("handoff", "stored"),
    [
        ("2026-07-06T09:00", datetime(2026, 7, 6, 7, tzinfo=UTC)),  # CEST, UTC+2
        ("2026-01-05T09:00", datetime(2026, 1, 5, 8, tzinfo=UTC)),  # CET, UTC+1
        ("2026-03-29T03:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # just after the gap
        ("2026-10-25T03:00", datetime(2026, 10, 25, 2, tzinfo=UTC)),  # just after the repeat
    ],
)
def test_the_handoff_is_read_on_the_schedules_clock_not_the_readers(
    client_for: ClientFor,
    schedule: Schedule,
    manager: User,
    agents: list[User],
    handoff: str,
    stored: datetime,
) -> None:
    manager.time_zone = "America/New_York"  # the manager's pages read in New York
    manager.save()
    response = client_for(manager).post(
        reverse("oncall:layer_create", args=[schedule.pk]), layer_data(agents, handoff_at=handoff)
    )
    assert response.status_code == 302
    layer = schedule.layers.get(level=2)
    assert layer.handoff_at == stored
    edit = client_for(manager).get(reverse("oncall:layer_edit", args=[layer.pk]))
    assert f'value="{handoff}"' in edit.content.decode()  # shown back on the same clock


@pytest.mark.parametrize(
    ("handoff", "message"),
    [
        ("2026-03-29T02:30", "does not exist in Europe/Berlin"),  # spring forward
        ("2026-10-25T02:30", "happens twice in Europe/Berlin"),  # fall back
        ("29/03/2026 09:00", "Enter a valid date/time."),
        ("", "This field is required."),
    ],
)
def test_a_handoff_the_clock_skips_or_repeats_is_refused(
    client_for: ClientFor,
    schedule: Schedule,
    manager: User,
    agents: list[User],
    handoff: str,
    message: str,
) -> None:
    response = client_for(manager).post(
        reverse("oncall:layer_create", args=[schedule.pk]), layer_data(agents, handoff_at=handoff)
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_handoff_at_error"' in html and message in html
    assert schedule.layers.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"level": 1}, "level", "already has a layer at level 1"),
        ({"level": 0}, "level", "A level from 1 to 100"),
        ({"shift_hours": 0}, "shift_hours", "A shift lasts from 1 to"),
        ({"window_end": ""}, "window_end", "Give both ends of the daily window"),
        ({"window_end": "09:00"}, "window_end", "The window ends when it starts"),
        ({"weekdays": ["8"]}, "weekdays", "Select a valid choice"),
    ],
)
def test_a_bad_layer_shows_the_error_on_its_field_and_stores_nothing(
    client_for: ClientFor,
    schedule: Schedule,
    manager: User,
    agents: list[User],
    changes: dict[str, object],
    field: str,
    message: str,
) -> None:
    response = client_for(manager).post(
        reverse("oncall:layer_create", args=[schedule.pk]), layer_data(agents, **changes)
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html and message in html
    assert schedule.layers.count() == 1 and LayerMember.objects.count() == 3


def test_member_numbers_must_differ_and_someone_must_be_numbered(
    client_for: ClientFor, schedule: Schedule, manager: User, agents: list[User]
) -> None:
    client = client_for(manager)
    url = reverse("oncall:layer_create", args=[schedule.pk])
    same = layer_data(agents, **{f"member_{agents[1].pk}": 1})
    response = client.post(url, same)
    assert response.status_code == 400
    assert "both have number 1" in response.content.decode()
    response = client.post(url, layer_data([]))
    assert response.status_code == 400
    assert 'id="members-error"' in response.content.decode()
    assert "A layer needs at least one member." in response.content.decode()
    response = client.post(url, layer_data(agents, **{f"member_{agents[0].pk}": -1}))
    assert response.status_code == 400
    assert schedule.layers.count() == 1


def test_someone_outside_the_group_cannot_be_slipped_in(
    client_for: ClientFor, schedule: Schedule, manager: User, agents: list[User]
) -> None:
    stranger = UserFactory(username="stranger", role=Role.AGENT)
    data = layer_data([agents[0]], **{f"member_{stranger.pk}": 2})
    assert (
        client_for(manager)
        .post(reverse("oncall:layer_create", args=[schedule.pk]), data)
        .status_code
        == 302
    )
    assert members_of(schedule.layers.get(level=2)) == [agents[0].pk]  # the field is unknown


def test_editing_a_layer_shows_it_and_reorders_its_members(
    client_for: ClientFor, schedule: Schedule, manager: User, agents: list[User]
) -> None:
    layer = schedule.layers.get()
    client = client_for(manager)
    url = reverse("oncall:layer_edit", args=[layer.pk])
    page = client.get(url).content.decode()
    assert 'value="2026-01-05T09:00"' in page  # 08:00 UTC on Berlin's clock
    for position, agent in enumerate(agents, start=1):
        assert f'name="member_{agent.pk}" value="{position}"' in page
    reversed_order = list(reversed(agents))
    data = layer_data(reversed_order, level=1, handoff_at="2026-01-05T09:00", weekdays=[])
    response = client.post(url, {**data, "window_start": "", "window_end": ""})
    assert response.status_code == 302
    assert members_of(layer) == [a.pk for a in reversed_order]
    assert schedule.layers.count() == 1


def test_a_member_who_left_the_group_is_named_before_saving_drops_them(
    client_for: ClientFor, schedule: Schedule, manager: User, agents: list[User]
) -> None:
    layer = schedule.layers.get()
    schedule.support_group.members.remove(agents[2])
    url = reverse("oncall:layer_edit", args=[layer.pk])
    page = client_for(manager).get(url).content.decode()
    assert "saving drops them from the rotation: " + agents[2].display_name in page
    assert f'name="member_{agents[2].pk}"' not in page
    data = layer_data(agents[:2], level=1, handoff_at="2026-01-05T09:00", weekdays=[])
    response = client_for(manager).post(url, {**data, "window_start": "", "window_end": ""})
    assert response.status_code == 302
    assert members_of(layer) == [agents[0].pk, agents[1].pk]


def test_agents_and_other_managers_cannot_touch_layers(
    client_for: ClientFor,
    schedule: Schedule,
    agents: list[User],
    l2_group: SupportGroup,
    end_user: User,
) -> None:
    layer = schedule.layers.get()
    other_manager = UserFactory(username="manager2", role=Role.MANAGER)
    l2_group.manager = other_manager
    l2_group.save()
    for user in (agents[0], other_manager):
        client = client_for(user)
        assert client.get(reverse("oncall:layer_create", args=[schedule.pk])).status_code == 403
        assert (
            client.post(
                reverse("oncall:layer_create", args=[schedule.pk]), layer_data(agents)
            ).status_code
            == 403
        )
        assert (
            client.post(
                reverse("oncall:layer_edit", args=[layer.pk]), layer_data(agents, level=1)
            ).status_code
            == 403
        )
        assert client.post(reverse("oncall:layer_delete", args=[layer.pk])).status_code == 403
    edit = reverse("oncall:layer_edit", args=[layer.pk])
    assert client_for(end_user).get(edit).status_code == 404
    assert client_for(agents[0]).get(reverse("oncall:layer_edit", args=[999999])).status_code == 404
    assert list(RotationLayer.objects.all()) == [layer] and members_of(layer) == [
        a.pk for a in agents
    ]


def test_deleting_a_layer_asks_first(
    client_for: ClientFor, schedule: Schedule, admin_user: User
) -> None:
    layer = schedule.layers.get()
    url = reverse("oncall:layer_delete", args=[layer.pk])
    confirm = client_for(admin_user).get(url)
    assert confirm.status_code == 200 and "Delete the layer</button>" in confirm.content.decode()
    assert RotationLayer.objects.exists()
    response = client_for(admin_user).post(url)
    assert response["Location"] == reverse("oncall:schedule", args=[schedule.pk])
    assert not RotationLayer.objects.exists() and not LayerMember.objects.exists()


# --- The schedule page and the sub-navigation -----------------------------------------------


def test_the_schedule_page_lists_layers_with_actions_for_managers_only(
    client_for: ClientFor, schedule: Schedule, manager: User, agents: list[User]
) -> None:
    layer = schedule.layers.get()
    layer.weekdays, layer.window_start, layer.window_end = "67", time(22), time(6)
    layer.save()
    url = reverse("oncall:schedule", args=[schedule.pk])
    page = client_for(manager).get(url).content.decode()
    assert "Rotation layers" in page
    assert "Mon 5 Jan 2026, 09:00" in page  # the handoff on Berlin's clock
    assert "Sat, Sun, 22:00 to 06:00 (overnight)" in page
    names = [a.display_name for a in agents]
    listed = page.split('class="oc-member-list"', 1)[1].split("</ol>", 1)[0]
    assert [listed.index(n) for n in names] == sorted(listed.index(n) for n in names)
    for name in ("layer_edit", "layer_delete"):
        assert reverse(f"oncall:{name}", args=[layer.pk]) in page
    assert reverse("oncall:layer_create", args=[schedule.pk]) in page
    assert reverse("oncall:schedule_edit", args=[schedule.pk]) in page
    agent_page = client_for(agents[0]).get(url).content.decode()
    assert "Rotation layers" in agent_page
    assert reverse("oncall:layer_edit", args=[layer.pk]) not in agent_page
    assert reverse("oncall:schedule_edit", args=[schedule.pk]) not in agent_page


def test_new_schedule_is_offered_to_managers_and_admins_only(
    client_for: ClientFor, group: SupportGroup, manager: User, agents: list[User], admin_user: User
) -> None:
    link = f'href="{reverse("oncall:schedule_create")}"'
    for user, shown in ((manager, True), (admin_user, True), (agents[0], False)):
        for page in ("oncall:now", "oncall:my_shifts"):
            assert (link in client_for(user).get(reverse(page)).content.decode()) is shown


# --- Query counts ---------------------------------------------------------------------------


def _grow(schedule: Schedule, layers: int, agents_more: int) -> None:
    group = schedule.support_group
    extra = [UserFactory(username=f"extra{n}", role=Role.AGENT) for n in range(agents_more)]
    group.members.add(*extra)
    for level in range(2, layers + 1):
        layer = RotationLayer.objects.create(
            schedule=schedule,
            level=level,
            shift_hours=24,
            handoff_at=datetime(2026, 1, 5, 8, tzinfo=UTC),
        )
        LayerMember.objects.bulk_create(
            LayerMember(layer=layer, person=person, position=index)
            for index, person in enumerate(extra)
        )


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm the per-process memos (roles, configuration)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("page", ["oncall:schedule", "oncall:layer_create", "oncall:layer_edit"])
def test_the_pages_cost_the_same_queries_with_1_or_10_layers_and_3_or_23_agents(
    client_for: ClientFor, schedule: Schedule, manager: User, page: str
) -> None:
    client = client_for(manager)
    lowest = schedule.layers.get()
    args = [lowest.pk] if page == "oncall:layer_edit" else [schedule.pk]
    small = _queries(client, reverse(page, args=args))
    _grow(schedule, layers=10, agents_more=20)
    large = _queries(client, reverse(page, args=args))
    assert large == small
    assert small <= 12  # measured: 9 (schedule page), 6 (new layer), 7 (edit layer)
