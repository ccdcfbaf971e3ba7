"""Tallies: counts the database keeps in step with a table through its own triggers, one row of
+1 or -1 per change, in the writing transaction (incidents.open_tally, problems.link_tally).

A rollback takes its rows with it and concurrent writers only insert, so they never wait on a
counter. `fold_tally` sums a tally's rows into one per key, in one transaction: the rows it
deletes are the rows it sums (DELETE ... RETURNING), so a change committed meanwhile keeps its
own row and is folded the next time.
"""

from collections import Counter
from typing import Any

from django.db import connections, router, transaction
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
