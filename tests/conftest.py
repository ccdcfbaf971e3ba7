"""Shared fixtures: one user per role, groups per tier, a service, logged-in clients.

Markers `postgres`, `redis` and `browser` skip with a reason when the service is missing, and
fail instead when CI=true, so a green CI means they ran.
"""

import os
import shutil
import socket
from collections.abc import Callable, Iterator
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.db.backends.sqlite3.base import DatabaseOperations as SqliteOperations
from django.test import Client

from core.audit_sql import SQLITE_CREATE, SQLITE_DROP, TRUNCATE_TRIGGER
from core.choices import Role, Tier
from core.models import Service, SupportGroup, User
from sla.choices import ThresholdAction
from sla.models import Calendar, SlaPolicy, SlaThreshold, WorkingHours
from tests.brokers import use_broker_fixture
from tests.factories import ServiceFactory, SupportGroupFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Transactional tests on SQLite empty tables with DELETE, which the timeline's append-only trigger
# refuses: lift the trigger for the flush only. The tallies are emptied last.
_sqlite_sql_flush = SqliteOperations.sql_flush


def _sql_flush_keeping_audit(self, style, tables, *, reset_sequences=False, allow_cascade=False):  # type: ignore[no-untyped-def]
    statements = _sqlite_sql_flush(
        self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
    )
    # Deleting open incidents and links adds their -1 rows to the tallies (core.tallies),
    # whichever table is emptied first: empty them last.
    for tally in ("incidents_opentally", "problems_linktally"):
        if tally in tables:
            statements = [*statements, f'DELETE FROM "{tally}";']
    if "core_timelineevent" in tables:
        return [*SQLITE_DROP, *statements, *SQLITE_CREATE]
    return statements


SqliteOperations.sql_flush = _sql_flush_keeping_audit  # type: ignore[method-assign]

# PostgreSQL flushes with TRUNCATE, which the timeline's statement trigger refuses: switch it off
# for the flush only (Django runs the flush in one transaction, so it is never left off).
_pg_sql_flush = PostgresOperations.sql_flush


def _pg_flush_keeping_audit(self, style, tables, *, reset_sequences=False, allow_cascade=False):  # type: ignore[no-untyped-def]
    statements = _pg_sql_flush(
        self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
    )
    if "core_timelineevent" in tables:
        return [
            f"ALTER TABLE core_timelineevent DISABLE TRIGGER {TRUNCATE_TRIGGER}",
            *statements,
            f"ALTER TABLE core_timelineevent ENABLE TRIGGER {TRUNCATE_TRIGGER}",
        ]
    return statements


PostgresOperations.sql_flush = _pg_flush_keeping_audit  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    """Importing the settings creates nothing (tests/core/test_settings.py), so the run makes the
    folders it needs: VAR_DIR holds the SQLite test database, and whitenoise warns at every test
    client's first request while STATIC_ROOT is missing (tests run with DEBUG off)."""
    for folder in (settings.VAR_DIR, settings.STATIC_ROOT):
        Path(folder).mkdir(parents=True, exist_ok=True)


def _port_open(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def redis_available() -> tuple[bool, str]:
    if _port_open(REDIS_URL, 6379):
        return True, ""
    return False, f"Redis is not reachable at {REDIS_URL}"


def browser_available() -> tuple[bool, str]:
    if not os.path.exists("/usr/bin/chromium"):
        return False, "Chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False, "the playwright package is not installed"
    return True, ""


def _needs(reason_ok: tuple[bool, str]) -> None:
    ok, reason = reason_ok
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{reason} — required when CI=true", pytrace=False)
    pytest.skip(reason)


# `make test` runs the suite on pytest-xdist workers (--dist load), which hand tests out in
# collection order. A few tests take tens of seconds each (a Chromium, or a stack of real
# processes: make run, a Celery worker and beat); met late, one of them keeps a worker busy while
# the others have finished. So they go early: those that use no test database first of all,
# the others first within pytest-django's order (database tests, then transactional ones, then
# the rest: a transactional test empties the tables when it ends, so it never runs before a
# database test of the same worker). The sort is stable: every worker collects the same list,
# as xdist requires.
LONG_RUNNING_MARKERS = ("browser", "slow")


def _database_use(item: pytest.Item) -> int:
    """pytest-django's order: 0 database test, 1 transactional, 2 no database."""
    fixtures = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    if (
        marker is not None
        and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    ) or {"transactional_db", "live_server"} & set(fixtures):
        return 1
    if marker is not None or "db" in fixtures:
        return 0
    return 2


def _run_order(item: pytest.Item) -> tuple[int, bool]:
    long_running = any(item.get_closest_marker(name) for name in LONG_RUNNING_MARKERS)
    database_use = _database_use(item)
    if long_running and database_use == 2:
        return (-1, False)
    return (database_use, not long_running)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_run_order)


def pytest_runtest_setup(item: pytest.Item) -> None:
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    if item.get_closest_marker("postgres") and not on_postgres:
        pytest.skip(
            "needs PostgreSQL: this run uses SQLite (set DATABASE_URL=postgres://...; "
            "CI runs the suite a second time on PostgreSQL)"
        )
    if item.get_closest_marker("redis"):
        _needs(redis_available())
    if item.get_closest_marker("browser"):
        _needs(browser_available())


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """API throttle counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_config_memos() -> None:
    """No memo of configuration rows (core.config_memo) survives the rollback of the test that
    read them, and no kept statement, page part or row (core.process_memos) is left by earlier
    tests to reach its bound in the middle of this one."""
    from core.config_memo import clear_config_memos
    from core.process_memos import forget_process_memos

    clear_config_memos()
    forget_process_memos()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> None:
    # PBKDF2's deliberate slowness is for attackers, not for fixtures.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def l1_group(db: None) -> SupportGroup:
    return SupportGroupFactory(name="Service Desk L1", tier=Tier.L1)


@pytest.fixture
def l2_group(db: None) -> SupportGroup:
    return SupportGroupFactory(name="Application Support L2", tier=Tier.L2)


@pytest.fixture
def l3_group(db: None) -> SupportGroup:
    return SupportGroupFactory(name="Engineering L3", tier=Tier.L3)


@pytest.fixture
def service(l1_group: SupportGroup) -> Service:
    return ServiceFactory(name="Email", owner_group=l1_group)


@pytest.fixture
def end_user(db: None) -> User:
    return UserFactory(username="enduser", role=Role.END_USER)


@pytest.fixture
def other_end_user(db: None) -> User:
    return UserFactory(username="otheruser", role=Role.END_USER)


@pytest.fixture
def agent_l1(l1_group: SupportGroup) -> User:
    user = UserFactory(username="agent1", role=Role.AGENT)
    l1_group.members.add(user)
    return user


@pytest.fixture
def agent_l2(l2_group: SupportGroup) -> User:
    user = UserFactory(username="agent2", role=Role.AGENT)
    l2_group.members.add(user)
    return user


@pytest.fixture
def manager(db: None) -> User:
    return UserFactory(username="manager", role=Role.MANAGER)


@pytest.fixture
def admin_user(db: None) -> User:  # overrides pytest-django's admin_user
    user = UserFactory(username="admin", role=Role.ADMIN)
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def use_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point the Celery app at another broker URL for this test (restored afterwards)."""
    yield from use_broker_fixture(monkeypatch)


@pytest.fixture
def chromium_path() -> str:
    return shutil.which("chromium") or "/usr/bin/chromium"


# --- SLA: calendars, policies for every incident priority, groups per tier -------------


@pytest.fixture
def always_open_calendar(db):
    return Calendar.objects.create(name="24x7", timezone="UTC", is_24x7=True)


@pytest.fixture
def office_calendar(db):
    calendar = Calendar.objects.create(name="Berlin office", timezone="Europe/Berlin")
    for day in range(5):
        WorkingHours.objects.create(calendar=calendar, weekday=day, start=time(8), end=time(18))
    return calendar


@pytest.fixture
def incident_policies(always_open_calendar):
    """Every incident priority: respond in 1h, resolve in 8h, warn at 75 %, 24x7."""
    policies = {}
    for priority in range(1, 6):
        policy = SlaPolicy.objects.create(
            name=f"Incidents P{priority}",
            ticket_kind="incident",
            priority=priority,
            response_target=timedelta(hours=priority),
            resolution_target=timedelta(hours=8 * priority),
            calendar=always_open_calendar,
        )
        SlaThreshold.objects.create(policy=policy, percent=75, action=ThresholdAction.NOTIFY)
        policies[priority] = policy
    return policies


@pytest.fixture
def tiers(l1_group, l2_group, l3_group, manager):
    for group in (l1_group, l2_group, l3_group):
        group.manager = manager
        group.email = f"{group.name.split()[0].lower()}@example.com"
        group.save()
    return {Tier.L1: l1_group, Tier.L2: l2_group, Tier.L3: l3_group}


@pytest.fixture
def extra_l2_group(db):
    return SupportGroupFactory(name="Zeta L2", tier=Tier.L2)
