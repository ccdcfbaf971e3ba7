"""Query budgets: a repeat or a recovery costs the same for 1 alert as for 50."""

from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.alerts.conftest import Hook, Poster
from tests.alerts.payloads import alertmanager, am_alert


def queries(post: Poster, hook: Hook, payload: dict) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = post(hook, payload)
    assert response.status_code == 200, response.content
    return [q["sql"] for q in captured.captured_queries]


def group(count: int, prefix: str, **options: str) -> dict:
    return alertmanager(*[am_alert(f"{prefix}{i}", **options) for i in range(count)])


def test_repeat_of_an_open_alert_is_a_handful_of_queries(
    make_hook, post: Poster, clock: time_machine.Traveller
) -> None:
    hook = make_hook(max_new_incidents_per_minute=1000)
    post(hook, group(1, "one"))
    post(hook, group(50, "many"))
    clock.shift(timedelta(minutes=1))
    one = queries(post, hook, group(1, "one"))
    many = queries(post, hook, group(50, "many"))
    assert len(many) == len(one), many
    # The integration by its secret, how many alerts are new (for the storm budget), the links
    # locked in one query, one bulk update.
    statements = [sql for sql in one if "SAVEPOINT" not in sql]
    assert len(statements) == 4, one
    assert statements[2].startswith('SELECT "alerts_alertlink"')
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in statements[2]


def test_repeat_with_a_due_timeline_event_is_constant_too(
    make_hook, post: Poster, clock: time_machine.Traveller
) -> None:
    hook = make_hook(max_new_incidents_per_minute=0)
    post(hook, group(1, "one"))
    post(hook, group(50, "many"))
    clock.shift(timedelta(hours=1))
    one = queries(post, hook, group(1, "one"))
    many = queries(post, hook, group(50, "many"))
    assert len(many) == len(one), many


def test_recoveries_without_auto_resolve_are_constant(
    make_hook, post: Poster, clock: time_machine.Traveller
) -> None:
    hook = make_hook(max_new_incidents_per_minute=0)
    post(hook, group(1, "one"))
    post(hook, group(50, "many"))
    one = queries(post, hook, group(1, "one", status="resolved"))
    many = queries(post, hook, group(50, "many", status="resolved"))
    assert len(many) == len(one), many


def test_storm_joiners_do_not_cost_per_alert(make_hook, post: Poster) -> None:
    hook = make_hook(max_new_incidents_per_minute=1)
    post(hook, group(1, "first"))  # uses up the rate; the storm opens with the next alert
    post(hook, group(1, "opener"))
    one = queries(post, hook, group(1, "a"))
    many = queries(post, hook, group(50, "b"))
    assert len(many) == len(one), many
