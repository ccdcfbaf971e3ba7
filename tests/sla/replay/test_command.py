"""manage.py sla_replay: a one-line summary, the first mismatches, exit 1 on any with --check,
exit 2 with one line on bad arguments."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents import services
from incidents.choices import Impact, Urgency
from sla.choices import Metric
from sla.services import clocks_for

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("sla_replay", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def incidents(end_user, agent_l1, incident_policies):  # type: ignore[no-untyped-def]
    made = []
    for day in range(3):
        with time_machine.travel(T0 + timedelta(days=day), tick=False):
            made.append(
                services.incident_create(
                    requester=end_user, title="Mail down", impact=Impact.LOW, urgency=Urgency.LOW
                )
            )
    with time_machine.travel(T0 + timedelta(days=2, hours=1), tick=False):
        services.incident_accept(made[0], actor=agent_l1)
    return made


def test_summary_and_exit_0_when_the_replay_matches(incidents):  # type: ignore[no-untyped-def]
    out = run("--kind", "incident", "--since", "2026-01-01", "--check")
    assert out.splitlines() == ["incident: 3 tickets, 6 clocks, 0 mismatches"]
    out = run("--kind", "incident", "--since", "2026-02-02", "--until", "2026-02-03T12:00:00+00:00")
    assert out.startswith("incident: 2 tickets, 4 clocks, 0 mismatches")


def test_a_tampered_clock_is_named_and_check_exits_1(incidents):  # type: ignore[no-untyped-def]
    clocks_for(incidents[1]).filter(metric=Metric.RESOLUTION).update(due_at=T0 + timedelta(days=30))
    out = run("--kind", "incident", "--since", "2026-01-01")
    lines = out.splitlines()
    assert lines[0] == "incident: 3 tickets, 6 clocks, 1 mismatches"
    assert lines[1].startswith(f"  {incidents[1].number} resolution due_at: stored 2026-03-04")
    with pytest.raises(CommandError) as refused:
        run("--kind", "incident", "--since", "2026-01-01", "--check")
    assert refused.value.returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "problem", "--since", "2026-01-01"], "--kind 'problem' is not a kind with"),
        (["--kind", "incident", "--since", "yesterday"], "--since 'yesterday' is not an ISO"),
        (["--kind", "incident", "--since", "2026-01-01T10:00"], "--since needs a UTC offset"),
        (
            ["--kind", "incident", "--since", "2026-02-01", "--until", "2026-01-01"],
            "--until must be after --since",
        ),
        (["--kind", "inci\ndent", "--since", "2026-01-01"], "--kind must be one line"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, incident_policies):  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError) as refused:
        run(*args)
    assert refused.value.returncode == 2
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)
