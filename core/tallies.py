"""Tallies: counts the database keeps in step with a table through its own triggers, one row of
+1 or -1 per change, in the writing transaction (incidents.open_tally, problems.link_tally).

A rollback takes its rows with it and concurrent writers only insert, so they never wait on a
counter. `fold_tally` sums a tally's rows into one per key, in one transaction: the rows it
deletes are the rows it sums (DELETE ... RETURNING), so a change committed meanwhile keeps its
own row and is folded the next time.

A tally is only as right as its triggers: a load that bypasses them (triggers disabled, a
replication role that skips them) would leave it wrong for good. `tally_drift` compares it with
what it counts, in one statement (one snapshot, so writes in flight cannot make a difference
appear), and `rebuild_tally` makes it again while its tables take no writes.
"""

from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import connections, migrations, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, ExpressionWrapper, Model, Q, QuerySet


def fold_tally(model: type[Model], keys: tuple[str, ...]) -> tuple[int, int]:
    """Fold `model`'s rows (columns `keys` and `n`) into one per key with a sum other than 0.
    Returns the rows before and after; nothing is written when there is nothing to fold."""
    alias = router.db_for_write(model)
    table = model._meta.db_table
    columns = ", ".join(keys)
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        # The table and column names are the model's own, not input.
        cursor.execute(
            f"SELECT count(*), (SELECT count(*) FROM (SELECT 1 FROM {table} "  # noqa: S608
            f"GROUP BY {columns}) AS tally_keys) FROM {table}"
        )
        rows, distinct = cursor.fetchone()
        if rows == distinct:
            return rows, rows
        cursor.execute(f"DELETE FROM {table} RETURNING {columns}, n")  # noqa: S608
        deleted = cursor.fetchall()
        sums: Counter[tuple[Any, ...]] = Counter()
        for *key, n in deleted:
            sums[tuple(key)] += n
        kept = [model(**dict(zip(keys, key, strict=True)), n=n) for key, n in sums.items() if n]
        model._default_manager.using(alias).bulk_create(kept)
    return len(deleted), len(kept)


def tally_sums_statement(
    tally: QuerySet[Any], conditions: dict[str, Q | None]
) -> tuple[str, tuple[Any, ...]]:
    """One statement: for each key, the sum of `n` over the rows of `tally` that meet its
    condition (None: every row), 0 when there is none."""
    flags = {
        f"tally_flag_{number}": ExpressionWrapper(condition, output_field=BooleanField())
        for number, condition in enumerate(conditions.values())
        if condition is not None
    }
    sql, params = tally.order_by().annotate(**flags).values("n", *flags).query.sql_with_params()
    names = iter(flags)
    sums = [
        "COALESCE(SUM(n), 0)"
        if condition is None
        else f'COALESCE(SUM(n) FILTER (WHERE "{next(names)}"), 0)'
        for condition in conditions.values()
    ]
    # The rows' SQL is compiled by the ORM, with its parameters passed separately.
    return f"SELECT {', '.join(sums)} FROM ({sql}) AS tally", tuple(params)  # noqa: S608


def row_condition(
    connection: BaseDatabaseWrapper, model: type[Model], condition: Q, row: str
) -> str:
    """`condition` on `model`'s own columns as SQL over `row` (a trigger's NEW or OLD, or a
    table alias), its values written in: for a trigger, which takes no parameters. Only
    strings, integers and booleans are written in."""
    query = model._default_manager.filter(condition).query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(query.where)
    sql = sql.replace(f"{connection.ops.quote_name(model._meta.db_table)}.", f"{row}.")
    literals = []
    for value in params:
        if isinstance(value, bool):
            literals.append("true" if value else "false")
        elif isinstance(value, int):
            literals.append(str(value))
        elif isinstance(value, str):
            literals.append("'" + value.replace("'", "''") + "'")
        else:
            raise TypeError(f"A tally's trigger cannot write in {value!r}.")
    return sql % tuple(literals)


def tally_drift(model: type[Model], keys: tuple[str, ...], counted: str) -> int:
    """How many keys of `model`'s tally sum to another number than the SELECT `counted` gives
    (its columns: `keys`, then the count), in one statement."""
    alias = router.db_for_write(model)
    table = model._meta.db_table
    columns = ", ".join(keys)
    with connections[alias].cursor() as cursor:
        # The table and column names are the model's own; `counted` is the tally's own SQL.
        cursor.execute(
            f"SELECT 0, {columns}, SUM(n) FROM {table} GROUP BY {columns} "  # noqa: S608
            f"UNION ALL SELECT 1, counted.* FROM ({counted}) AS counted"
        )
        rows = cursor.fetchall()
    sums: tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]] = (Counter(), Counter())
    for side, *key, n in rows:
        # A flag reads 1 or True, depending on the database: equal as keys either way.
        sums[side][tuple(key)] += int(n)
    tallied, truth = ({key: n for key, n in side.items() if n} for side in sums)
    return sum(1 for key in {*tallied, *truth} if tallied.get(key) != truth.get(key))


def rebuild_tally(model: type[Model], rebuild: str, sources: tuple[str, ...]) -> None:
    """Empty `model`'s tally and fill it with `rebuild`, while `sources` take no writes (on
    PostgreSQL a SHARE lock until the transaction ends, waiting at most 5 s for it; SQLite has
    one writer at a time)."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL lock_timeout = '5s'")
            cursor.execute(f"LOCK TABLE {', '.join(sources)} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608
        cursor.execute(rebuild)


SqlFor = Callable[[BaseDatabaseWrapper], Any]


def tally_triggers(install: SqlFor, uninstall: SqlFor, rebuild: SqlFor) -> migrations.RunPython:
    """The migration operation that installs a tally's triggers (`install`: the statements for a
    connection), then fills the tally from what is there (`rebuild`: one statement); reversed,
    `uninstall`. In one transaction on PostgreSQL, where creating a trigger keeps other writers
    of its table waiting until it commits, so no change falls between the two."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        connection = schema_editor.connection
        for statement in install(connection):
            schema_editor.execute(statement)
        schema_editor.execute(rebuild(connection))

    def backwards(apps: Any, schema_editor: Any) -> None:
        for statement in uninstall(schema_editor.connection):
            schema_editor.execute(statement)

    return migrations.RunPython(forwards, backwards)
