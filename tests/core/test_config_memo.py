"""core.config_memo: configuration rows read once per process, forgotten on any change here at
once, in other processes through the shared cache, and after a maximum age in any case."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.choices import Role
from core.config_memo import ConfigMemo, clear_config_memos
from core.models import User
from core.roles import ROLE_GROUP_NAMES, is_agent
from incidents import services
from sla.choices import Metric
from sla.models import Holiday, SlaThreshold
from sla.services import POLICY_MEMO, policy_plan

pytestmark = pytest.mark.django_db


def _plan():
    return policy_plan(kind="incident", priority=3, service_id=None)


def test_a_policy_is_read_once_then_served_from_memory(incident_policies):
    assert _plan() is not None
    with CaptureQueriesContext(connection) as queries:
        plan = _plan()
    assert len(queries) == 0
    assert plan is not None and plan.policy_id == incident_policies[3].pk


@pytest.mark.parametrize("change", ["policy", "threshold", "holiday"])
def test_any_change_to_a_policy_or_its_calendar_applies_to_the_next_ticket(
    incident_policies, end_user, change
):
    policy = incident_policies[3]
    before = _plan()
    if change == "policy":
        policy.response_target = timedelta(minutes=10)
        policy.save()
    elif change == "threshold":
        SlaThreshold.objects.filter(policy=policy).first().delete()
    else:
        Holiday.objects.create(calendar=policy.calendar, date="2031-01-01", name="New year")
    after = _plan()
    assert after is not before
    if change == "policy":
        assert after.targets[Metric.RESPONSE] == timedelta(minutes=10)


def test_other_processes_forget_through_the_shared_version(settings):
    settings.CONFIG_MEMO_RECHECK_SECONDS = 0
    here, there = ConfigMemo("shared-test", []), ConfigMemo("shared-test", [])
    assert here.get("k", lambda: 1) == 1
    assert there.get("k", lambda: 1) == 1
    here.clear()  # what a save in this process does
    assert there.get("k", lambda: 2) == 2


def test_between_tests_a_memo_starts_as_in_a_new_process(settings):
    """What an earlier test published is gone with the emptied cache: after clear_config_memos
    the memo's first recheck keeps what this test read (it used to forget it, a second into the
    test, and a query-count comparison saw one query more)."""
    memo = ConfigMemo("between-tests", [])
    memo.get("earlier", lambda: 0)  # an earlier test read it (the shared version just checked)
    memo.clear()  # and saved a row: a version published and seen
    cache.clear()  # tests/conftest.py empties the cache before each test
    clear_config_memos()
    assert memo.get("k", lambda: 1) == 1
    settings.CONFIG_MEMO_RECHECK_SECONDS = 0
    assert memo.get("k", lambda: 2) == 1


def test_values_expire_after_the_maximum_age(settings):
    settings.CONFIG_MEMO_MAX_AGE_SECONDS = 0
    memo = ConfigMemo("age-test", [])
    assert memo.get("k", lambda: 1) == 1
    assert memo.get("k", lambda: 2) == 2


def test_a_cache_outage_does_not_fail_ticket_creation(incident_policies, end_user, settings):
    settings.CONFIG_MEMO_RECHECK_SECONDS = 0
    POLICY_MEMO.clear(everywhere=False)
    with (
        mock.patch.object(cache, "get", side_effect=ConnectionError("redis down")),
        mock.patch.object(cache, "set", side_effect=ConnectionError("redis down")),
    ):
        incident = services.incident_create(requester=end_user, title="Still works")
        incident_policies[1].save()  # invalidation cannot be published; nothing raises
    assert incident.sla_due_at is not None


def test_a_role_is_read_once_and_a_change_applies_at_once(end_user):
    def fresh() -> User:  # the user as the next request loads it
        return User.objects.get(pk=end_user.pk)

    assert not is_agent(fresh())
    with CaptureQueriesContext(connection) as queries:
        assert not is_agent(fresh())
    assert not any("auth_group" in q["sql"] for q in queries.captured_queries)
    end_user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.AGENT]))
    assert is_agent(fresh())
    end_user.groups.clear()
    assert not is_agent(fresh())


def test_membership_changes_forget_only_their_people(end_user, other_end_user):
    agents = Group.objects.get(name=ROLE_GROUP_NAMES[Role.AGENT])
    assert not is_agent(User.objects.get(pk=end_user.pk))
    assert not is_agent(User.objects.get(pk=other_end_user.pk))
    agents.user_set.add(other_end_user)  # the reverse side names the users
    with CaptureQueriesContext(connection) as queries:
        assert not is_agent(User.objects.get(pk=end_user.pk))
    assert not any("auth_group" in q["sql"] for q in queries.captured_queries)
    assert is_agent(User.objects.get(pk=other_end_user.pk))
    agents.user_set.clear()
    assert not is_agent(User.objects.get(pk=other_end_user.pk))


def test_a_sign_in_writing_only_last_login_keeps_the_memos(end_user, client):
    from core.web.forms import CHOICES_MEMO

    CHOICES_MEMO.get(("test-sign-in",), lambda: "kept")
    before = CHOICES_MEMO.generation()
    end_user.email = "renamed@example.com"
    end_user.save(update_fields=["email"])  # any other column: forgets
    assert CHOICES_MEMO.generation() == before + 1
    CHOICES_MEMO.get(("test-sign-in",), lambda: "kept")
    client.force_login(end_user)  # Django's sign-in writes last_login alone
    assert User.objects.get(pk=end_user.pk).last_login is not None  # the sign-in saved it
    assert CHOICES_MEMO.generation() == before + 1
    assert CHOICES_MEMO.get(("test-sign-in",), lambda: "made again") == "kept"
    end_user.first_name = "Renamed"
    end_user.save(update_fields=["first_name", "last_login"])
    assert CHOICES_MEMO.get(("test-sign-in",), lambda: "made again") == "made again"
