"""The triggers that keep problems.LinkTally, as SQL for PostgreSQL and SQLite.

Made from the linked kind as the registry declares it (problems.linked_kind): its table, its
open statuses and its restriction, written in as SQL (core.tallies.row_condition). The migration
that installs them and the test that compares the installed triggers with these texts read them
from here, so a change of the kind is a new migration, never a silent drift. The SQL is made of
table and column names and the kind's own values (S608 below): nothing from a request.

- A link made or removed: a row of +1 or -1 for its problem, as its incident is.
- A linked incident that opens or closes, becomes or stops being restricted, or, restricted,
  changes assignee or requester: for each of its links, -1 as it was and +1 as it is.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper

from core.tallies import row_condition
from problems.linked_kind import linked_kind

TABLE = "problems_linktally"
LINKS = "problems_problemincident"
LINK_FUNCTION = "problems_link_tally_link"
TICKET_FUNCTION = "problems_link_tally_ticket"
LINK_TRIGGERS = ("problems_link_tally_insert", "problems_link_tally_delete")
TICKET_TRIGGER = "problems_link_tally_ticket_update"

_COLUMNS = f"INSERT INTO {TABLE} (problem_id, restricted, open, assignee_id, requester_id, n)"


class _Kind:
    """The linked kind's table and its open and restricted conditions on a row, in SQL."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        kind = linked_kind()
        self.table = kind.model._meta.db_table
        self.false = "false" if connection.vendor == "postgresql" else "0"
        statuses = ", ".join(f"'{status}'" for status in sorted(kind.lifecycle.open))
        self._statuses = statuses
        restriction = kind.restriction
        self._restriction = (
            None
            if restriction is None
            else (lambda row: row_condition(connection, kind.model, restriction.rows, row))
        )

    def open(self, row: str) -> str:
        return f"{row}.status IN ({self._statuses})"

    def restricted(self, row: str) -> str:
        if self._restriction is None:
            return self.false
        return f"COALESCE(({self._restriction(row)}), {self.false})"

    def values(self, problem: str, row: str, n: int) -> str:
        restricted = self.restricted(row)
        return (
            f"{problem}, {restricted}, {self.open(row)}, "
            f"CASE WHEN {restricted} THEN {row}.assignee_id END, "
            f"CASE WHEN {restricted} THEN {row}.requester_id END, {n}"
        )

    def moved(self, distinct: str) -> str:
        """An update of a ticket that changes what the tally counts of its links."""
        return (
            f"({self.open('OLD')}) {distinct} ({self.open('NEW')}) "
            f"OR {self.restricted('OLD')} {distinct} {self.restricted('NEW')} "
            f"OR ({self.restricted('NEW')} AND (OLD.assignee_id {distinct} NEW.assignee_id "
            f"OR OLD.requester_id {distinct} NEW.requester_id))"
        )

    def link_rows(self, link: str, n: int) -> str:
        """The rows for link `link` (NEW or OLD), as its ticket is now."""
        return (
            f"{_COLUMNS} SELECT {self.values(f'{link}.problem_id', 'ticket', n)} "  # noqa: S608
            f"FROM {self.table} AS ticket WHERE ticket.id = {link}.incident_id"
        )

    def ticket_rows(self, row: str, n: int) -> str:
        """The rows for every link of ticket `row` (NEW or OLD), as the ticket was or is."""
        return (
            f"{_COLUMNS} SELECT {self.values('link.problem_id', row, n)} "  # noqa: S608
            f"FROM {LINKS} AS link WHERE link.incident_id = {row}.id"
        )


def postgresql_install(connection: BaseDatabaseWrapper) -> list[str]:
    kind = _Kind(connection)
    insert, delete = LINK_TRIGGERS
    return [
        f"CREATE OR REPLACE FUNCTION {LINK_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        f"    {kind.link_rows('NEW', 1)};\n"
        "  ELSE\n"
        f"    {kind.link_rows('OLD', -1)};\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END\n"
        "$$",
        f"CREATE OR REPLACE FUNCTION {TICKET_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"  {kind.ticket_rows('OLD', -1)};\n"
        f"  {kind.ticket_rows('NEW', 1)};\n"
        "  RETURN NULL;\n"
        "END\n"
        "$$",
        f"CREATE TRIGGER {insert} AFTER INSERT ON {LINKS} FOR EACH ROW "
        f"EXECUTE FUNCTION {LINK_FUNCTION}()",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {LINKS} FOR EACH ROW "
        f"EXECUTE FUNCTION {LINK_FUNCTION}()",
        f"CREATE TRIGGER {TICKET_TRIGGER} AFTER UPDATE ON {kind.table} FOR EACH ROW "
        f"WHEN ({kind.moved('IS DISTINCT FROM')}) EXECUTE FUNCTION {TICKET_FUNCTION}()",
    ]


def sqlite_install(connection: BaseDatabaseWrapper) -> list[str]:
    kind = _Kind(connection)
    insert, delete = LINK_TRIGGERS
    return [
        f"CREATE TRIGGER {insert} AFTER INSERT ON {LINKS} BEGIN {kind.link_rows('NEW', 1)}; END",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {LINKS} BEGIN {kind.link_rows('OLD', -1)}; END",
        f"CREATE TRIGGER {TICKET_TRIGGER} AFTER UPDATE ON {kind.table} "
        f"WHEN {kind.moved('IS NOT')} BEGIN {kind.ticket_rows('OLD', -1)}; "
        f"{kind.ticket_rows('NEW', 1)}; END",
    ]


def install(connection: BaseDatabaseWrapper) -> list[str]:
    """The statements that create the triggers on `connection`'s database."""
    if connection.vendor == "postgresql":
        return postgresql_install(connection)
    if connection.vendor == "sqlite":
        return sqlite_install(connection)
    raise ImproperlyConfigured(
        f"The service desk runs on PostgreSQL or SQLite (DATABASE_URL), not {connection.vendor}: "
        "the problems' link tally has triggers for those two only."
    )


def uninstall(connection: BaseDatabaseWrapper) -> list[str]:
    postgresql = connection.vendor == "postgresql"
    table = linked_kind().model._meta.db_table
    drops = [
        f"DROP TRIGGER IF EXISTS {name}" + (f" ON {LINKS}" if postgresql else "")
        for name in LINK_TRIGGERS
    ]
    drops.append(
        f"DROP TRIGGER IF EXISTS {TICKET_TRIGGER}" + (f" ON {table}" if postgresql else "")
    )
    if postgresql:
        drops += [f"DROP FUNCTION IF EXISTS {name}()" for name in (LINK_FUNCTION, TICKET_FUNCTION)]
    return drops


def counted(connection: BaseDatabaseWrapper) -> str:
    """The links counted as the tally counts them, one row per problem and kind of link (the
    columns of the tally, n last)."""
    kind = _Kind(connection)
    restricted = kind.restricted("ticket")
    return (
        "SELECT problem_id, restricted, open, assignee_id, requester_id, count(*) "  # noqa: S608
        f"FROM (SELECT link.problem_id AS problem_id, {restricted} AS restricted, "
        f"{kind.open('ticket')} AS open, "
        f"CASE WHEN {restricted} THEN ticket.assignee_id END AS assignee_id, "
        f"CASE WHEN {restricted} THEN ticket.requester_id END AS requester_id "
        f"FROM {LINKS} AS link JOIN {kind.table} AS ticket ON ticket.id = link.incident_id) "
        "AS links GROUP BY problem_id, restricted, open, assignee_id, requester_id"
    )


def rebuild(connection: BaseDatabaseWrapper) -> str:
    """The statement that fills an empty tally from the links as they are (the migration, the
    audit's repair)."""
    return f"{_COLUMNS} {counted(connection)}"
