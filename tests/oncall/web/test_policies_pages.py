"""The escalation policy pages: every agent reads them (steps in words, what pages, who would be
skipped); admins and the group's manager add, change and delete; bad input is a 400 that
changes nothing; end users never get in."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Service, SupportGroup, User
from oncall.models import ContactMethod, EscalationPolicy, NotificationRule, Schedule
from oncall.policy_services import policy_save

pytestmark = pytest.mark.django_db


def form(group: SupportGroup, schedule: Schedule, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "L1 paging",
        "support_group": group.pk,
        "service": "",
        "repeat": "1",
        "page_priorities": ["1", "2"],
        "page_on_breach": "on",
        "is_active": "on",
        "step-TOTAL_FORMS": "3",
        "step-INITIAL_FORMS": "0",
        "step-MIN_NUM_FORMS": "0",
        "step-MAX_NUM_FORMS": "20",
        "step-0-target": "schedule",
        "step-0-schedule": str(schedule.pk),
        "step-0-wait_minutes": "5",
        "step-1-target": "people",
        "step-1-people": "oncall2, oncall3",
        "step-1-wait_minutes": "10",
        "step-2-target": "",
    }
    data.update(extra)
    return data


def test_the_manager_adds_a_policy_from_the_page(
    client_for, group, schedule, agents, manager
) -> None:
    client = client_for(manager)
    page = client.get(reverse("oncall:policy_new"))
    assert page.status_code == 200 and b"step-0-target" in page.content
    response = client.post(reverse("oncall:policy_new"), form(group, schedule))
    policy = EscalationPolicy.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "oncall:policy", args=[policy.pk]
    )
    assert policy.page_priorities == [1, 2] and policy.page_on_breach and policy.repeat == 1
    steps = list(policy.steps.all())
    assert [s.target for s in steps] == ["schedule", "people"]
    assert {p.username for p in steps[1].people.all()} == {"oncall2", "oncall3"}


@pytest.mark.parametrize(
    "change",
    [
        {"step-1-people": "nobody-like-this"},
        {"step-0-wait_minutes": "0"},
        {"repeat": "12"},
        {"step-1-target": "schedule", "step-1-schedule": ""},
        {"step-0-target": "", "step-1-target": ""},
        {"step-1-target": "schedule", "step-1-people": ""},
    ],
)
def test_bad_input_is_a_400_and_saves_nothing(
    client_for, group, schedule, agents, manager, change
) -> None:
    data = form(group, schedule)
    data.update(change)
    if change.get("step-1-target") == "schedule" and "step-1-schedule" not in change:
        data["step-1-schedule"] = str(schedule.pk)  # the same schedule twice in a row
    response = client_for(manager).post(reverse("oncall:policy_new"), data)
    assert response.status_code == 400
    assert not EscalationPolicy.objects.exists()


def test_agents_read_what_pages_and_who_would_be_skipped(
    client_for, group, schedule, agents, manager, agent_l2
) -> None:
    policy = policy_save(
        policy=None,
        data={
            "support_group": group,
            "name": "L1 paging",
            "page_priorities": [1],
            "page_on_breach": True,
            "steps": [
                {"target": "schedule", "schedule": schedule, "wait_minutes": 5},
                {"target": "group", "wait_minutes": 15},
            ],
        },
        actor=manager,
    )
    method = ContactMethod.objects.create(
        person=agents[0], kind="email", label="Work", address="a@example.com"
    )
    NotificationRule.objects.create(contact_method=method, delay_minutes=0)
    listing = client_for(agent_l2).get(reverse("oncall:policies")).content.decode()
    assert "Page the on-call of “Primary”, then wait 5 min" in listing
    assert f"Page everyone in {group.name}, then wait 15 min" in listing
    assert "P1 tickets at once; SLA breaches" in listing
    assert "New policy" not in listing
    detail = client_for(agent_l2).get(reverse("oncall:policy", args=[policy.pk]))
    text = detail.content.decode()
    assert "Will be skipped" in text
    assert agents[1].display_name in text and agents[2].display_name in text
    assert agents[0].display_name not in text.split("Will be skipped")[1]
    assert "Save the policy" not in text
    # Read only for agents, the other group's included.
    for outsider in (agents[0], agent_l2):
        post = client_for(outsider).post(
            reverse("oncall:policy", args=[policy.pk]), form(group, schedule, name="Mine")
        )
        assert post.status_code == 403
        gone = client_for(outsider).post(reverse("oncall:policy_delete", args=[policy.pk]))
        assert gone.status_code == 403
        assert client_for(outsider).get(reverse("oncall:policy_new")).status_code == 403
    assert EscalationPolicy.objects.get().name == "L1 paging"


def test_the_manager_changes_and_deletes(client_for, group, schedule, agents, manager) -> None:
    client = client_for(manager)
    client.post(reverse("oncall:policy_new"), form(group, schedule))
    policy = EscalationPolicy.objects.get()
    edit = client.get(reverse("oncall:policy", args=[policy.pk])).content.decode()
    assert 'value="oncall2, oncall3"' in edit
    data = form(group, schedule, name="Renamed", **{"step-1-target": ""})
    assert client.post(reverse("oncall:policy", args=[policy.pk]), data).status_code == 302
    policy.refresh_from_db()
    assert policy.name == "Renamed" and policy.steps.count() == 1
    assert client.post(reverse("oncall:policy_delete", args=[policy.pk])).status_code == 302
    assert not EscalationPolicy.objects.exists()


def test_end_users_are_kept_out(client_for, end_user, group, schedule, manager) -> None:
    client = client_for(end_user)
    for name in ("oncall:policies", "oncall:policy_new", "oncall:contact"):
        assert client.get(reverse(name)).status_code in (302, 403, 404)


def test_the_policy_page_of_a_missing_policy_is_404(client_for, agents: list[User]) -> None:
    assert client_for(agents[0]).get(reverse("oncall:policy", args=[999])).status_code == 404


def test_the_list_queries_do_not_grow_with_policies(
    client_for, group, schedule, agents, manager
) -> None:
    client = client_for(agents[0])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("oncall:policies")).status_code == 200
        return len(queries)

    policy_save(
        policy=None,
        data={
            "support_group": group,
            "name": "P0",
            "steps": [{"target": "people", "people": [agents[0].pk], "wait_minutes": 5}],
        },
        actor=manager,
    )
    count()
    one = count()
    for n in range(19):
        service = Service.objects.create(name=f"S{n}", owner_group=group)
        policy_save(
            policy=None,
            data={
                "support_group": group,
                "service": service,
                "name": f"P{n + 1}",
                "steps": [
                    {"target": "schedule", "schedule": schedule, "wait_minutes": 5},
                    {"target": "people", "people": [agents[1].pk], "wait_minutes": 5},
                    {"target": "group", "wait_minutes": 5},
                ],
            },
            actor=manager,
        )
    assert count() == one
