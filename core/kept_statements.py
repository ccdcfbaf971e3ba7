"""Statements compiled once and run many times, for the lists whose queries are the same SQL
for the same inputs (incidents.queue_statements, sla.row_clocks): compiling a list's queries
was about half of an unchanged refresh's CPU (issue 18). A kept statement is run from the
cursor, its rows put through the converters the ORM would have applied.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet


@dataclass(frozen=True)
class Statement:
    """A compiled statement; for a values query, the width of its rows (the ORM leaves out
    any extra column it selects) and the converters of its columns by position."""

    sql: str
    params: tuple[Any, ...]
    width: int | None = None
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...] = ()


def rows_statement(rows: QuerySet[Any]) -> Statement | None:
    """A values_list query's statement; None when the query can have no rows (an empty page:
    the ORM answers it without a statement)."""
    compiler = rows.query.get_compiler(using=rows.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    width = compiler.col_count
    converters = compiler.get_converters([column for column, _, _ in compiler.select[:width]])
    return Statement(
        sql,
        tuple(params),
        width,
        tuple((position, tuple(convs), column) for position, (convs, column) in converters.items()),
    )


def fetch(alias: str, statement: Statement) -> list[tuple[Any, ...]]:
    """The rows of a kept values statement, as the ORM's values_list gives them."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        rows = cursor.fetchall()
    if not statement.converters and statement.width is None:
        return rows
    converted = []
    for row in rows:
        values = list(row[: statement.width])
        for position, convs, column in statement.converters:
            value = values[position]
            for converter in convs:
                value = converter(value, column, connection)
            values[position] = value
        converted.append(tuple(values))
    return converted
