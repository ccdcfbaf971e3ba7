"""Fast bulk insertion of plain rows for a model, for fixture loads of millions of rows.

QuerySet.bulk_create prepares every value through the field API and compiles an INSERT per few
dozen rows (SQLite's 999-parameter limit): loading 100,000 demo incidents with their timelines
that way took almost five minutes, most of it in that preparation. This writer takes rows as
sequences in a fixed field order, already in the form the database stores (times as text from
TimestampText, JSON as encoded text), appends the model defaults of the fields it was not
given, and inserts with one multi-row executemany (SQLite) or one COPY (PostgreSQL) per call.
No signals, no outbox, no services: callers are fixture loads.

Turning rows into a payload (`payload`) is separate from sending it (`write`), so a worker
process can do the first: on PostgreSQL the payload is COPY text, formatted by psycopg's own
formatter (`Copy` with a `FileWriter`, which never talks to the server).

Ids are reserved from the table's own sequence (reserve_ids), so rows can refer to each other
before any of them is written and nothing has to be read back.
"""

import io
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

from django.db import connection, models

_SQLITE_MAX_PARAMS = 999  # the oldest SQLite limit per statement; newer ones allow more
DAY_SECONDS = 86_400
# COPY text (PostgreSQL) or rows (SQLite)
Payload = bytes | Sequence[Sequence[Any]]


class TimestampText:
    """Epoch seconds (or an aware datetime) -> 'YYYY-MM-DD HH:MM:SS' in UTC, plus `suffix`.

    Formatting costs more than inserting the row on a slow machine, and a load repeats itself:
    each milestone time appears on the incident and on its event, two years of history have
    730 distinct days and at most 86,400 times of day. So results, days and times of day are
    cached; share one instance between the writers of a load.
    """

    CACHE_LIMIT = 200_000

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix
        self.seen: dict[Any, str] = {}
        self.days: dict[int, str] = {}
        self.clock: dict[int, str] = {}

    def __call__(self, value: Any) -> str:
        text = self.seen.get(value)
        if text is None:
            text = self._format(value)
            if len(self.seen) >= self.CACHE_LIMIT:
                self.seen.clear()
            self.seen[value] = text
        return text

    def _format(self, value: Any) -> str:
        if value.__class__ is not int:
            if value.microsecond:
                # Django's own storage format on SQLite: naive UTC, microseconds kept.
                return str(value.astimezone(UTC).replace(tzinfo=None)) + self.suffix
            value = int(value.timestamp())
        day, second = divmod(value, DAY_SECONDS)
        date = self.days.get(day)
        if date is None:
            date = datetime.fromtimestamp(day * DAY_SECONDS, tz=UTC).strftime("%Y-%m-%d ")
            self.days[day] = date
        clock = self.clock.get(second)
        if clock is None:
            hour, rest = divmod(second, 3600)
            clock = f"{hour:02d}:{rest // 60:02d}:{rest % 60:02d}{self.suffix}"
            self.clock[second] = clock
        return date + clock

    @classmethod
    def for_connection(cls) -> "TimestampText":
        # SQLite stores naive UTC text; PostgreSQL parses the text with an explicit offset.
        return cls("" if connection.vendor == "sqlite" else "+00:00")


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"{model._meta.label}.{name} is not a column.")
    return field.column


def _microseconds(value: timedelta) -> int:
    return value // timedelta(microseconds=1)


class RowWriter:
    """Inserts rows given in `fields` order into `model`'s table. The column list comes from the
    model, so a field added to it later is filled with its default instead of breaking the load.

    Values must already be what the database stores: times from a TimestampText of this
    connection, JSON encoded to text. Durations may be timedeltas (converted for SQLite).
    """

    def __init__(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        *,
        times: TimestampText | None = None,
    ) -> None:
        meta = model._meta
        self.table = meta.db_table
        self.vendor = connection.vendor
        if self.vendor == "sqlite" and connection.timezone != UTC:
            raise RuntimeError("The demo loader expects the SQLite connection in UTC.")
        by_name = {f.attname: f for f in meta.concrete_fields}
        unknown = set(fields) - set(by_name)
        if unknown:
            raise ValueError(f"{meta.label} has no fields {sorted(unknown)}.")
        given = [by_name[name] for name in fields]
        rest = [
            f
            for name, f in by_name.items()
            if name not in set(fields) and not (f.primary_key and f.auto_created)
        ]
        self.fields = tuple(fields)
        self.columns = [_column(model, f.name) for f in (*given, *rest)]
        times = times or TimestampText.for_connection()
        self._convert: list[tuple[int, Callable[[Any], Any]]] = []
        if self.vendor == "sqlite":
            for index, field in enumerate(given):
                if isinstance(field, models.DurationField):
                    self._convert.append((index, _microseconds))
        self._tail = tuple(self._default(f, times) for f in rest)
        self._formatting: Any = None  # a cursor lending psycopg's adapters to payload()

    def _default(self, field: "models.Field[Any, Any]", times: TimestampText) -> Any:
        value = field.get_default()
        if value is None:
            return None
        if isinstance(field, models.JSONField):
            return json.dumps(value)
        if isinstance(field, models.DateTimeField):
            return times(value)
        if isinstance(field, models.DurationField) and self.vendor == "sqlite":
            return _microseconds(value)
        return value

    def _prepared(self, rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
        if not self._convert and not self._tail:
            return rows
        tail, convert = self._tail, self._convert
        prepared = []
        for values in rows:
            out = [*values, *tail]
            for index, function in convert:
                if out[index] is not None:
                    out[index] = function(out[index])
            prepared.append(out)
        return prepared

    def payload(self, rows: Sequence[Sequence[Any]]) -> Payload:
        """What `write` sends for `rows`: COPY text (PostgreSQL) or the rows with their
        defaults (SQLite). Needs no database round trip."""
        prepared = self._prepared(rows)
        if self.vendor != "postgresql":
            return prepared
        from psycopg import Copy
        from psycopg.copy import FileWriter

        self.prepare_to_fork()
        buffer = io.BytesIO()
        with Copy(self._formatting, binary=False, writer=FileWriter(buffer)) as copy:
            write = copy.write_row
            for values in prepared:
                write(values)
        return buffer.getvalue()

    def prepare_to_fork(self) -> None:
        """Borrow a cursor for payload() now, so forked workers inherit it and never open or
        use a connection of their own."""
        if self.vendor == "postgresql" and self._formatting is None:
            connection.ensure_connection()
            self._formatting = connection.connection.cursor()

    def write(self, payload: Payload) -> None:
        """Insert a payload from `payload` in the current transaction."""
        if not payload:
            return
        quote = connection.ops.quote_name
        table = quote(self.table)
        columns = ", ".join(quote(c) for c in self.columns)
        with connection.cursor() as cursor:
            if isinstance(payload, bytes):
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(payload)
                return
            insert = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 — model names
            one = "(" + ", ".join(["%s"] * len(self.columns)) + ")"
            # Many rows per statement: a third faster than one statement per row on SQLite.
            per = max(1, _SQLITE_MAX_PARAMS // len(self.columns))
            whole = len(payload) // per * per
            if whole:
                cursor.executemany(
                    insert + ", ".join([one] * per),
                    [
                        list(chain.from_iterable(payload[start : start + per]))
                        for start in range(0, whole, per)
                    ],
                )
            if whole < len(payload):
                cursor.executemany(insert + one, payload[whole:])

    def insert(self, rows: Sequence[Sequence[Any]]) -> int:
        """Insert rows (sequences in `fields` order) in the current transaction; return how many."""
        self.write(self.payload(rows))
        return len(rows)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` primary keys for `model` from its own sequence, as inserts would one by one.

    PostgreSQL: nextval on the identity sequence (concurrent inserts interleave safely).
    SQLite: moves the AUTOINCREMENT counter past the block; call inside a transaction, in which
    SQLite serialises writers (the project opens them IMMEDIATE). Unused ids are gaps, never
    reused.
    """
    if count <= 0:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk = _column(model, meta.pk.name if meta.pk else "id")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return sorted(int(row[0]) for row in cursor.fetchall())
        cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {table}")  # noqa: S608 — model's table
        highest = int(cursor.fetchone()[0])
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
        row = cursor.fetchone()
        base = max(highest, int(row[0]) if row else 0)
        if row:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [base + count, meta.db_table]
            )
        else:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                [meta.db_table, base + count],
            )
    return list(range(base + 1, base + count + 1))
