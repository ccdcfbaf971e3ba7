"""The triggers that keep incidents.OpenTally, as SQL for PostgreSQL and SQLite.

Made from the incidents' open statuses (incidents.transitions) and their restriction
(incidents.visibility: category "security"); the migration that installs them and the test
that compares the installed triggers with these texts read them from here, so a change of
either is a new migration, never a silent drift.

Each trigger adds a row of -1 for the incident as it was, when it was open, and +1 for it as it
is, when it is open, whenever its openness, group, assignee or restriction changes: a
transaction that rolls back takes its rows with it, and concurrent changes only insert, so
they never wait for each other on a counter. The SQL is made of table and column names and the
kind's own values (S608 below): nothing from a request.
"""

from django.core.exceptions import ImproperlyConfigured

from incidents.choices import Category
from incidents.transitions import OPEN_STATUSES

TABLE = "incidents_opentally"
SOURCE = "incidents_incident"
FUNCTION = "incidents_open_tally"
TRIGGERS = (
    "incidents_open_tally_insert",
    "incidents_open_tally_update",
    "incidents_open_tally_delete",
)


def _open(row: str) -> str:
    statuses = ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES))
    return f"{row}.status IN ({statuses})"


def _restricted(row: str, false: str) -> str:
    return f"COALESCE({row}.category = '{Category.SECURITY}', {false})"


def _values(row: str, n: int, false: str) -> str:
    return f"{row}.support_group_id, {row}.assignee_id, {_restricted(row, false)}, {n}"


def _moved(distinct: str, false: str) -> str:
    """An update that changes what the tally counts of the row."""
    return (
        f"({_open('OLD')}) {distinct} ({_open('NEW')}) OR ({_open('NEW')} AND ("
        f"OLD.support_group_id {distinct} NEW.support_group_id "
        f"OR OLD.assignee_id {distinct} NEW.assignee_id "
        f"OR {_restricted('OLD', false)} {distinct} {_restricted('NEW', false)}))"
    )


_COLUMNS = f"INSERT INTO {TABLE} (support_group_id, assignee_id, restricted, n)"


def postgresql_install() -> list[str]:
    false = "false"
    function = (
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"  # noqa: S608
        "BEGIN\n"
        f"  IF TG_OP <> 'INSERT' AND {_open('OLD')} THEN\n"
        f"    {_COLUMNS} VALUES ({_values('OLD', -1, false)});\n"
        "  END IF;\n"
        f"  IF TG_OP <> 'DELETE' AND {_open('NEW')} THEN\n"
        f"    {_COLUMNS} VALUES ({_values('NEW', 1, false)});\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END\n"
        "$$"
    )
    insert, update, delete = TRIGGERS
    return [
        function,
        f"CREATE TRIGGER {insert} AFTER INSERT ON {SOURCE} FOR EACH ROW "
        f"WHEN ({_open('NEW')}) EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE TRIGGER {update} AFTER UPDATE ON {SOURCE} FOR EACH ROW "
        f"WHEN ({_moved('IS DISTINCT FROM', false)}) EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {SOURCE} "
        f"FOR EACH ROW WHEN ({_open('OLD')}) EXECUTE FUNCTION {FUNCTION}()",
    ]


def sqlite_install() -> list[str]:
    false = "0"
    insert, update, delete = TRIGGERS
    return [
        f"CREATE TRIGGER {insert} AFTER INSERT ON {SOURCE} WHEN {_open('NEW')} BEGIN "  # noqa: S608
        f"{_COLUMNS} VALUES ({_values('NEW', 1, false)}); END",
        f"CREATE TRIGGER {update} AFTER UPDATE ON {SOURCE} WHEN {_moved('IS NOT', false)} BEGIN "
        f"{_COLUMNS} SELECT {_values('OLD', -1, false)} WHERE {_open('OLD')}; "
        f"{_COLUMNS} SELECT {_values('NEW', 1, false)} WHERE {_open('NEW')}; END",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {SOURCE} WHEN {_open('OLD')} BEGIN "
        f"{_COLUMNS} VALUES ({_values('OLD', -1, false)}); END",
    ]


def install(vendor: str) -> list[str]:
    """The statements that create the triggers on `vendor`."""
    if vendor == "postgresql":
        return postgresql_install()
    if vendor == "sqlite":
        return sqlite_install()
    raise ImproperlyConfigured(
        f"The service desk runs on PostgreSQL or SQLite (DATABASE_URL), not {vendor}: the open "
        "incidents' tally has triggers for those two only."
    )


def uninstall(vendor: str) -> list[str]:
    drops = [
        f"DROP TRIGGER IF EXISTS {name}" + (f" ON {SOURCE}" if vendor == "postgresql" else "")
        for name in TRIGGERS
    ]
    if vendor == "postgresql":
        drops.append(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    return drops


def counted(vendor: str) -> str:
    """The open incidents counted as the tally counts them, one row per group, assignee and
    restriction (the columns of the tally, n last)."""
    restricted = _restricted(SOURCE, "false" if vendor == "postgresql" else "0")
    return (
        "SELECT support_group_id, assignee_id, restricted, count(*) FROM "  # noqa: S608
        f"(SELECT support_group_id, assignee_id, {restricted} AS restricted "
        f"FROM {SOURCE} WHERE {_open(SOURCE)}) AS open_incidents "
        "GROUP BY support_group_id, assignee_id, restricted"
    )


def rebuild(vendor: str) -> str:
    """The statement that fills an empty tally from the incidents as they are (the migration,
    the audit's repair)."""
    return f"{_COLUMNS} {counted(vendor)}"
