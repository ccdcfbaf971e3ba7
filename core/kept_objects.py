"""Model instances read by a statement compiled once and kept (core.kept_statements keeps values
statements): for the pages that read the same few model rows with their select_related rows on
every request (a ticket page's timeline), where building and compiling the query cost about as
much CPU as making the objects (issue 18).

The instances are made as Django's ModelIterable makes them: the row's columns through the
converters the ORM would apply, the model's own columns by `Model.from_db`, each select_related
row by the ORM's RelatedPopulator, each annotation set as an attribute. Querysets with anything
else (extra columns, deferred fields, prefetches, objects known through a related manager, values
or raw iterables) are refused, not approximated.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import router
from django.db.models import ForeignKey, Model, QuerySet
from django.db.models.query import ModelIterable, RelatedPopulator, get_related_populators

from core.kept_statements import Statement, fetch, kept_by
from core.process_memos import process_memo


@dataclass(frozen=True)
class ObjectsStatement:
    """A compiled model query (`statement`) and how its rows become instances."""

    alias: str
    statement: Statement
    model: type[Model]
    init_list: tuple[str, ...]
    start: int
    end: int
    populators: tuple[RelatedPopulator, ...]
    annotations: tuple[tuple[str, int], ...] = ()


def _refusal(queryset: QuerySet[Any]) -> str:
    query = queryset.query
    if queryset._iterable_class is not ModelIterable:
        return "values or raw rows"
    # Private to QuerySet (and unknown to its stubs): what ModelIterable adds to select_related.
    private: Any = queryset
    if private._known_related_objects or private._prefetch_related_lookups:
        return "objects known through a relation or prefetched"
    if query.extra_select or query.deferred_loading[0]:
        return "extra columns or deferred fields"
    return ""


def objects_statement(queryset: QuerySet[Any]) -> ObjectsStatement | None:
    """`queryset`'s statement and the recipe of its instances; None when it can have no rows
    (the ORM answers it without a statement). ValueError for a queryset this cannot reproduce."""
    refusal = _refusal(queryset)
    if refusal:
        raise ValueError(f"a kept objects statement cannot make {refusal}")
    alias = queryset.db
    compiler = queryset.query.get_compiler(using=alias)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    select, klass_info = compiler.select, compiler.klass_info
    assert klass_info is not None
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    converters = compiler.get_converters([column for column, _, _ in select])
    return ObjectsStatement(
        alias,
        Statement(
            sql,
            tuple(params),
            compiler.col_count,
            tuple((position, tuple(convs), col) for position, (convs, col) in converters.items()),
        ),
        klass_info["model"],
        tuple(column[0].target.attname for column in select[start:end]),
        start,
        end,
        # The stubs describe a later Django's signature.
        tuple(get_related_populators(klass_info, select, alias)),  # type: ignore[call-arg]
        tuple(compiler.annotation_col_map.items()),
    )


def fetch_objects(kept: ObjectsStatement) -> list[Any]:
    """Run a kept objects statement: its instances, as the queryset would give them."""
    objects = []
    for row in fetch(kept.alias, kept.statement):
        obj = kept.model.from_db(kept.alias, list(kept.init_list), row[kept.start : kept.end])
        for populator in kept.populators:
            populator.populate(row, obj)
        for name, position in kept.annotations:
            setattr(obj, name, row[position])
        objects.append(obj)
    return objects


OBJECTS_KEPT = 512
_KEPT: dict[Hashable, ObjectsStatement | None] = process_memo({})


def kept_objects(key: Hashable, build: Callable[[], QuerySet[Any]]) -> list[Any]:
    """The instances `build()` reads, its statement compiled once for `key` (which must name
    every input of its SQL, the database included) and kept, OBJECTS_KEPT per process."""
    if key not in _KEPT:
        if len(_KEPT) >= OBJECTS_KEPT:
            _KEPT.clear()
        _KEPT[key] = objects_statement(build())
    kept = _KEPT[key]
    return [] if kept is None else fetch_objects(kept)


def kept_objects_by(key: Hashable, build: Callable[[Any], QuerySet[Any]], value: Any) -> list[Any]:
    """The instances `build(value)` reads, for a query that differs from one call to the next
    only in `value` (a ticket's id or number): its statement compiled once for `key` (which
    must name every other input of its SQL, the database included) with a stand-in for the
    value, which each call fills in (core.kept_statements.kept_by); else kept per value."""
    kept = kept_by(
        ("objects", key), lambda v: objects_statement(build(v)), lambda o: o.statement, value
    )
    if kept is None:
        return kept_objects((key, value), lambda: build(value))
    objects, statement = kept
    return fetch_objects(replace(objects, statement=statement))


M = TypeVar("M", bound=Model)


def kept_related(
    model: type[M],
    field: str,
    parent: Model,
    *,
    select: tuple[str, ...] = (),
    order: tuple[str, ...] = (),
) -> list[M]:
    """The rows of `model` whose foreign key `field` is `parent` (a request's tasks, a change's
    approvals), with their `select` related rows, in `order`, as reading them through the
    parent's related manager gives them (each with `parent` as its `field`). Their statement is
    kept as `kept_objects_by` keeps it, the parent's id filled in, under everything else it is
    made of: building that manager's query cost more CPU than running it (issue 18)."""
    foreign_key = model._meta.get_field(field)
    assert isinstance(foreign_key, ForeignKey)
    column = foreign_key.attname
    key = ("related", model._meta.label, column, select, order, router.db_for_read(model))
    rows: list[M] = kept_objects_by(
        key,
        lambda parent_id: (
            model._default_manager.filter(**{column: parent_id})
            .select_related(*select)
            .order_by(*order)
        ),
        parent.pk,
    )
    for row in rows:
        setattr(row, field, parent)
    return rows
