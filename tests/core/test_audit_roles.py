"""The audit trail survives its own application (DESIGN.md §8): on PostgreSQL, web, worker and
beat connect as a runtime role that owns nothing and may only read and append timeline events.

Each test connects with the runtime role's own login (trust auth on the test server), never
with SET ROLE from a superuser session: the refusals below are the server's, for that role. The
role gets its privileges the way production does, from `manage.py migrate` with
DATABASE_RUNTIME_ROLE set (core/db_roles.py).
"""

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from psycopg import sql

from core.audit_sql import TRUNCATE_TRIGGER
from core.db_roles import RuntimeRoleError, runtime_privileges_grant_configured
from core.models import TimelineEvent, User
from incidents.models import Incident
from incidents.services import incident_create
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
INIT_SCRIPT = ROOT / "docker" / "postgres-init" / "10-servicedesk-runtime-role.sh"
TIMELINE = "core_timelineevent"


def _server() -> dict[str, str]:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
        "dbname": db["NAME"],
        "user": db["USER"],
    }


def _connect(user: str) -> psycopg.Connection:
    server = _server()
    return psycopg.connect(
        host=server["host"],
        port=server["port"],
        dbname=server["dbname"],
        user=user,
        autocommit=True,
        connect_timeout=5,
    )


def _unique_role() -> str:
    return f"sd_test_runtime_{uuid.uuid4().hex[:10]}"


def _drop_role(role: str) -> None:
    with _connect(_server()["user"]) as admin:
        name = sql.Identifier(role)
        admin.execute(sql.SQL("DROP OWNED BY {}").format(name))
        admin.execute(sql.SQL("DROP ROLE {}").format(name))


def _grant_by_migrate(role: str) -> None:
    with override_settings(DATABASE_RUNTIME_ROLE=role):
        call_command("migrate", verbosity=0, interactive=False)


@pytest.fixture
def runtime_role(transactional_db: None) -> Iterator[str]:
    """A LOGIN role with no password and no attributes, granted by `migrate`; dropped after."""
    role = _unique_role()
    with _connect(_server()["user"]) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        _grant_by_migrate(role)
        yield role
    finally:
        _drop_role(role)


@pytest.fixture
def as_runtime(runtime_role: str) -> Iterator[psycopg.Connection]:
    with _connect(runtime_role) as runtime:
        assert runtime.execute("SELECT session_user, current_user").fetchone() == (
            runtime_role,
            runtime_role,
        )
        yield runtime


@pytest.fixture
def incident(end_user: User) -> Incident:
    return incident_create(requester=end_user, title="Mail is down")


def _triggers_enabled() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass "
            "AND NOT tgisinternal",
            [TIMELINE],
        )
        return dict(cursor.fetchall())


REFUSED = {
    "update": f"UPDATE {TIMELINE} SET message = 'rewritten'",
    "delete": f"DELETE FROM {TIMELINE}",
    "truncate": f"TRUNCATE {TIMELINE}",
    "disable one trigger": f"ALTER TABLE {TIMELINE} DISABLE TRIGGER {TIMELINE}_append_only",
    "disable all triggers": f"ALTER TABLE {TIMELINE} DISABLE TRIGGER ALL",
    "drop the row trigger": f"DROP TRIGGER {TIMELINE}_append_only ON {TIMELINE}",
    "drop the truncate trigger": f"DROP TRIGGER {TRUNCATE_TRIGGER} ON {TIMELINE}",
    "drop the table": f"DROP TABLE {TIMELINE}",
    "take the table": f"ALTER TABLE {TIMELINE} OWNER TO CURRENT_USER",
    "drop the trigger function": "DROP FUNCTION core_timeline_append_only() CASCADE",
    "rewrite a reply": "UPDATE core_comment SET body = 'rewritten'",
    "delete a reply": "DELETE FROM core_comment",
    "delete a file's record": "DELETE FROM core_attachment",
    "truncate an ordinary table": "TRUNCATE incidents_incident CASCADE",
    "record a migration": (
        "INSERT INTO django_migrations (app, name, applied) VALUES ('core', 'fake', now())"
    ),
    "create a table": "CREATE TABLE runtime_owned (id int)",
}


@pytest.mark.postgres
def test_the_runtime_role_cannot_rewrite_the_audit_trail(
    as_runtime: psycopg.Connection, incident: Incident
) -> None:
    """One test for every statement: each transactional test costs a flush of every table."""
    events = TimelineEvent.objects.count()
    triggers = _triggers_enabled()
    assert events > 0 and triggers == {f"{TIMELINE}_append_only": "O", TRUNCATE_TRIGGER: "O"}

    allowed = []
    for name, statement in REFUSED.items():
        try:
            as_runtime.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            continue
        allowed.append(name)

    assert allowed == []
    assert TimelineEvent.objects.count() == events
    assert _triggers_enabled() == triggers
    assert not TimelineEvent.objects.filter(message="rewritten").exists()


@pytest.mark.postgres
def test_the_runtime_role_reads_and_appends_events(
    as_runtime: psycopg.Connection, incident: Incident
) -> None:
    before = TimelineEvent.objects.count()
    seen = as_runtime.execute(f"SELECT count(*) FROM {TIMELINE}").fetchone()
    assert seen == (before,)
    template = TimelineEvent.objects.order_by("id").first()
    assert template is not None
    as_runtime.execute(
        f"INSERT INTO {TIMELINE} (ticket_type_id, ticket_id, source, kind, from_status, "
        "to_status, changes, message, is_public, created_at) "
        "VALUES (%s, %s, 'system', 'commented', '', '', '{}', 'appended', true, now())",
        [template.ticket_type_id, template.ticket_id],
    )
    assert TimelineEvent.objects.count() == before + 1
    assert TimelineEvent.objects.filter(message="appended").exists()


@pytest.mark.postgres
def test_the_runtime_role_changes_ordinary_tables_and_numbers(
    as_runtime: psycopg.Connection, incident: Incident
) -> None:
    as_runtime.execute(
        "UPDATE incidents_incident SET title = 'Mail is slow' WHERE id = %s", [incident.pk]
    )
    assert Incident.objects.get(pk=incident.pk).title == "Mail is slow"
    as_runtime.execute("DELETE FROM core_idempotencyrecord")
    row = as_runtime.execute("SELECT nextval('core_ticket_number_inc')").fetchone()
    assert row is not None
    as_runtime.execute("SELECT setval('core_ticket_number_inc', %s)", [row[0] + 10])


@pytest.mark.postgres
def test_a_table_the_owner_creates_later_is_granted_by_default(
    as_runtime: psycopg.Connection,
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE later_feature (id bigint GENERATED BY DEFAULT AS IDENTITY)")
    try:
        as_runtime.execute("INSERT INTO later_feature DEFAULT VALUES")
        as_runtime.execute("UPDATE later_feature SET id = id + 1")
        as_runtime.execute("DELETE FROM later_feature")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_runtime.execute("TRUNCATE later_feature")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE later_feature")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("statement", [f"TRUNCATE {TIMELINE}", "TRUNCATE core_user CASCADE"])
def test_truncate_is_refused_by_a_trigger_even_for_the_owner(
    incident: Incident, statement: str
) -> None:
    events = TimelineEvent.objects.count()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert TimelineEvent.objects.count() == events


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("attributes", "refusal"),
    [
        (None, "does not exist"),
        ("LOGIN SUPERUSER", "is a superuser"),
        ("LOGIN IN ROLE {owner}", "member of the owner role"),
    ],
    ids=["missing", "superuser", "member of the owner"],
)
def test_migrate_refuses_a_runtime_role_that_could_rewrite_the_timeline(
    attributes: str | None, refusal: str
) -> None:
    role = _unique_role()
    owner = sql.Identifier(_server()["user"]).as_string(None)
    if attributes is not None:
        with _connect(_server()["user"]) as admin:
            admin.execute(
                f"CREATE ROLE {sql.Identifier(role).as_string(None)} "
                + attributes.format(owner=owner)
            )
    try:
        with pytest.raises(RuntimeRoleError, match=refusal):
            _grant_by_migrate(role)
        if attributes is not None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_class, aclexplode(relacl) AS acl "
                    "WHERE acl.grantee = to_regrole(%s)",
                    [role],
                )
                assert cursor.fetchone() == (0,)  # nothing granted
    finally:
        if attributes is not None:
            _drop_role(role)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_ticket_lives_its_whole_life_as_the_runtime_role(
    runtime_role: str, tmp_path: Path
) -> None:
    server = _server()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": (
            f"postgres://{runtime_role}@{server['host']}:{server['port']}/{server['dbname']}"
        ),
        "CELERY_BROKER_URL": "memory://",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SERVICEDESK_VAR_DIR": str(tmp_path / "var"),
    }
    walk = subprocess.run(
        [sys.executable, "-m", "tests.core.runtime_role_walk"],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert walk.returncode == 0, walk.stderr[-3000:]
    seen = json.loads(walk.stdout.strip().splitlines()[-1])
    assert seen["status"] == "closed"
    assert seen["events"] >= 6
    assert set(seen["outbox"]) == {"done"}, seen

    # The demo data that docker compose users load (README) is only inserted: runtime is enough.
    seed = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--quiet", "--incidents", "20"],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert seed.returncode == 0, seed.stderr[-3000:]
    assert Incident.objects.count() >= 21


@pytest.mark.postgres
def test_a_bulk_load_as_the_runtime_role_stops_with_a_clear_error(runtime_role: str) -> None:
    from demo.bulk import DeferredIndexes

    role = sql.Identifier(runtime_role).as_string(None)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {role}")
        with pytest.raises(RuntimeError, match="only their owner may do"):
            DeferredIndexes([Incident, TimelineEvent]).drop()


@pytest.fixture
def psql() -> str:
    found = shutil.which("psql")
    if found is None:
        reason = "the init script needs psql (apt-get install postgresql-client)"
        if IN_CI:
            pytest.fail(f"{reason} — required when CI=true", pytrace=False)
        pytest.skip(reason)
    return found


def _run_init_script(role: str, password: str) -> subprocess.CompletedProcess[str]:
    server = _server()
    env = {
        **os.environ,
        "PGHOST": server["host"],
        "PGPORT": server["port"],
        "POSTGRES_USER": server["user"],
        "POSTGRES_DB": server["dbname"],
        "SERVICEDESK_RUNTIME_ROLE": role,
        "SERVICEDESK_RUNTIME_PASSWORD": password,
    }
    return subprocess.run(
        ["bash", str(INIT_SCRIPT)], check=False, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_compose_init_script_makes_a_runtime_role_that_owns_nothing(
    psql: str, incident: Incident
) -> None:
    role = _unique_role()
    refused = _run_init_script(role, "")
    assert refused.returncode != 0
    assert "SERVICEDESK_RUNTIME_PASSWORD" in refused.stderr
    try:
        for _ in range(2):  # safe to run again on an existing volume
            created = _run_init_script(role, "a-password")
            assert created.returncode == 0, created.stderr
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, "
                "rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s",
                [role],
            )
            assert cursor.fetchone() == (True, False, False, False, True)
        _grant_by_migrate(role)
        with _connect(role) as runtime:
            assert runtime.execute(f"SELECT count(*) FROM {TIMELINE}").fetchone() == (
                TimelineEvent.objects.count(),
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                runtime.execute(f"ALTER TABLE {TIMELINE} DISABLE TRIGGER ALL")
    finally:
        _drop_role(role)


@override_settings(DATABASE_RUNTIME_ROLE="servicedesk_app")
def test_grants_are_for_postgresql_only(db: None) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the grants run: the tests above cover them")
    runtime_privileges_grant_configured("default")  # SQLite has no roles: nothing to do
