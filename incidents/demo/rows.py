"""Fast bulk insertion of plain rows for a model, for fixture loads of hundreds of thousands.

QuerySet.bulk_create prepares every value through the field API and compiles an INSERT per few
dozen rows (SQLite's 999-parameter limit): loading 100,000 demo incidents with their timelines
that way took almost five minutes, most of it in that preparation. This writer takes rows as
sequences in a fixed field order, appends the model defaults of the fields it was not given,
converts only what the driver cannot take as is (times, JSON), and inserts with one executemany
(SQLite) or one COPY (PostgreSQL) per call. No signals, no outbox, no services: callers are
fixture loads.

Times are given as integer seconds since the epoch (UTC): building millions of datetimes and
formatting them is the largest cost of a load otherwise. Aware datetimes are accepted too.
"""

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import chain
from operator import itemgetter
from typing import Any

from django.db import connection, models

_SQLITE_MAX_PARAMS = 999  # the oldest SQLite limit per statement; newer ones allow more
_LOOKUP_CHUNK = 900
DAY_SECONDS = 86_400


class TimestampText:
    """Epoch seconds (or an aware datetime) -> 'YYYY-MM-DD HH:MM:SS' in UTC, plus `suffix`.

    Formatting costs more than inserting the row on a slow machine, and a load repeats itself:
    each milestone time appears on the incident and on its event, a six-month load has a few
    hundred distinct days and at most 86,400 times of day. So results, days and times of day
    are cached; share one instance between the writers of a load.
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
        if isinstance(value, datetime):
            # Django's own storage format on SQLite: naive UTC, microseconds kept.
            return str(value.astimezone(UTC).replace(tzinfo=None)) + self.suffix
        day, second = divmod(int(value), DAY_SECONDS)
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


class JSONText(str):
    """A value already encoded as JSON, stored as is (lets callers encode repeated values once)."""


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"{model._meta.label}.{name} is not a column.")
    return field.column


def _json(value: Any) -> str:
    if isinstance(value, JSONText):
        return value
    # Most timeline events change nothing: skip the encoder for them.
    return "{}" if value == {} else json.dumps(value)


class RowWriter:
    """Inserts rows given in `fields` order into `model`'s table. The column list comes from the
    model, so a field added to it later is filled with its default instead of breaking the load."""

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
        by_name = {
            f.attname: f for f in meta.concrete_fields if not (f.primary_key and f.auto_created)
        }
        unknown = set(fields) - set(by_name)
        if unknown:
            raise ValueError(f"{meta.label} has no fields {sorted(unknown)}.")
        given = [by_name[name] for name in fields]
        rest = [f for name, f in by_name.items() if name not in set(fields)]
        self.fields = tuple(fields)
        self.columns = [_column(model, f.name) for f in (*given, *rest)]
        times = times or TimestampText.for_connection()
        self._convert: list[tuple[int, Callable[[Any], Any]]] = []
        for index, field in enumerate(given):
            if isinstance(field, models.JSONField):
                self._convert.append((index, _json))
            elif isinstance(field, models.DateTimeField):
                self._convert.append((index, times))
        self._tail = [self._default(f, times) for f in rest]
        getter = itemgetter(*self.fields)
        single = len(self.fields) == 1
        self._from_mapping: Callable[[Mapping[str, Any]], Sequence[Any]] = (
            (lambda values: (getter(values),)) if single else getter
        )

    @staticmethod
    def _default(field: "models.Field[Any, Any]", times: TimestampText) -> Any:
        value = field.get_default()
        if value is None:
            return None
        if isinstance(field, models.JSONField):
            return _json(value)
        if isinstance(field, models.DateTimeField):
            return times(value)
        return value

    def prepare(self, values: Sequence[Any]) -> list[Any]:
        """One row's values for the driver: given fields converted, then the defaults."""
        out = [*values, *self._tail]
        for index, convert in self._convert:
            value = out[index]
            if value is not None:
                out[index] = convert(value)
        return out

    def insert(self, rows: Iterable[Sequence[Any]]) -> int:
        """Insert rows (sequences in `fields` order) in the current transaction; return how many."""
        prepared = [self.prepare(values) for values in rows]
        if not prepared:
            return 0
        quote = connection.ops.quote_name
        table = quote(self.table)
        columns = ", ".join(quote(c) for c in self.columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for values in prepared:
                        copy.write_row(values)
            else:
                insert = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 — model names
                one = "(" + ", ".join(["%s"] * len(self.columns)) + ")"
                # Many rows per statement: a third faster than one statement per row on SQLite.
                per = max(1, _SQLITE_MAX_PARAMS // len(self.columns))
                whole = len(prepared) // per * per
                if whole:
                    cursor.executemany(
                        insert + ", ".join([one] * per),
                        [
                            list(chain.from_iterable(prepared[start : start + per]))
                            for start in range(0, whole, per)
                        ],
                    )
                if whole < len(prepared):
                    cursor.executemany(insert + one, prepared[whole:])
        return len(prepared)

    def insert_mappings(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert rows given as {field attname: value} holding every field in `fields`."""
        return self.insert(self._from_mapping(values) for values in rows)


def ids_by(
    model: type[models.Model], key: str, values: Sequence[Any], **equal: Any
) -> dict[Any, int]:
    """{key value: primary key} for rows whose `key` is in `values` (and whose `equal` fields
    match): to find the ids of rows just inserted by a key that is unique among them."""
    meta = model._meta
    quote = connection.ops.quote_name
    key_column = quote(_column(model, key))
    pk_column = quote(_column(model, meta.pk.name if meta.pk else "id"))
    conditions = "".join(f" AND {quote(_column(model, name))} = %s" for name in equal)
    found: dict[Any, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(values), _LOOKUP_CHUNK):
            chunk = list(values[start : start + _LOOKUP_CHUNK])
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {key_column}, {pk_column} FROM {quote(meta.db_table)} "  # noqa: S608 — names from the model
                f"WHERE {key_column} IN ({placeholders}){conditions}",
                [*chunk, *equal.values()],
            )
            found.update(cursor.fetchall())
    return found
