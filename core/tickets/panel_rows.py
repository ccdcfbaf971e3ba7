"""Whether a ticket has any rows for each panel of its agent page, in one statement.

The panels of a ticket page (its files, the pages of the on-call, conversions, linked changes
and problems, patch rollouts, a change's approvals) each read their rows through their own
selector, and most tickets have none. Through the ORM each of those reads cost a page more
compiling than the database spent finding nothing, so a panel first asks `has_panel_rows`:
the first question about a ticket runs one EXISTS per table registered for its kind, in one
statement of plain SQL, and the answers are kept on the ticket for the rest of the request.
"No rows" is certain (the panel shows its empty state); "rows" sends the panel to its selector,
which applies the viewer's scope as before.

A ticket read for a page asks the same questions in its own statement: `panel_rows_probes`
gives them as EXISTS annotations of the ticket's query, and `panel_rows_keep` keeps their
answers on the instance read, so the page runs no probe of its own (one statement fewer).

An app names the table that holds a panel's rows, per kind, from its `AppConfig.ready()`
(`panel_rows_register`); core registers its own (files, conversion links) below.
"""

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists, OuterRef

from core.kept_statements import kept_cursor
from core.models import TicketBase
from core.tickets.kinds import kind_of

EVERY_KIND = "*"

FILES = "core.files"
LINKED_FROM = "core.linked_from"  # links that point at the ticket (it was converted from one)
LINKED_TO = "core.linked_to"  # links from the ticket (it was converted into one)


@dataclass(frozen=True)
class PanelRows:
    """The rows of `model` whose `field` holds the ticket's `attribute` (its id, or say its
    configuration item); for a table that holds rows of every kind, whose `type_field` holds
    the ticket's content type; with `status_in`, only rows in one of those statuses."""

    model: str
    field: str
    type_field: str = ""
    attribute: str = "pk"
    status_in: tuple[str, ...] = ()


_REGISTRY: dict[str, dict[str, PanelRows]] = {EVERY_KIND: {}}
_SQL: dict[str, tuple[str, list[tuple[str, PanelRows]]]] = {}
_PROBES: dict[tuple[str, int], "PanelProbes"] = {}
_MEMO = "_panel_rows"


def panel_rows_register(name: str, rows: PanelRows, *, kinds: tuple[str, ...]) -> None:
    """Register the table behind the panel `name` for these kind names (EVERY_KIND: all)."""
    for kind in kinds:
        _REGISTRY.setdefault(kind, {})[name] = rows
    _SQL.clear()
    _PROBES.clear()


def has_panel_rows(ticket: TicketBase, name: str) -> bool:
    """Whether the panel `name` may have rows for `ticket` (False: it certainly has none).
    A name not registered for the ticket's kind answers True: the panel reads as before."""
    answers: dict[str, bool] | None = ticket.__dict__.get(_MEMO)
    if answers is None:
        answers = _probe(ticket)
        ticket.__dict__[_MEMO] = answers
    return answers.get(name, True)


@dataclass(frozen=True)
class PanelProbes:
    """The panels' questions as annotations of a ticket query (`annotations`), and the panel
    each annotation answers for (`panels`: annotation name -> panel name)."""

    annotations: dict[str, Exists]
    panels: tuple[tuple[str, str], ...]


def panel_rows_probes(model: type[TicketBase]) -> PanelProbes:
    """The EXISTS of every panel registered for `model`'s kind, as `has_panel_rows` asks
    them, to annotate a query of `model`'s tickets with (the same rows: a table's own
    manager is not consulted, as the probe's plain SQL does not). Built once per process
    and kind (building them cost as much as the statement they save)."""
    kind = kind_of(model).name
    content_type = ContentType.objects.get_for_model(model).pk
    key = (kind, content_type)
    if key not in _PROBES:
        _PROBES[key] = _probes(kind, content_type)
    return _PROBES[key]


def _probes(kind: str, content_type: int) -> PanelProbes:
    _, probes = _statement(kind)
    annotations: dict[str, Exists] = {}
    panels = []
    for index, (name, rows) in enumerate(probes):
        found = (
            apps.get_model(rows.model)
            ._base_manager.order_by()
            .filter(**{rows.field: OuterRef(rows.attribute)})
        )
        if rows.type_field:
            found = found.filter(**{rows.type_field: content_type})
        if rows.status_in:
            found = found.filter(status__in=rows.status_in)
        annotation = f"panel_rows_{index}"
        annotations[annotation] = Exists(found)
        panels.append((annotation, name))
    return PanelProbes(annotations, tuple(panels))


def panel_rows_keep(ticket: TicketBase, probes: PanelProbes) -> None:
    """Keep the answers `ticket` was read with (a query annotated with `probes`) for
    `has_panel_rows`, taking the annotations off the instance."""
    ticket.__dict__[_MEMO] = {
        name: bool(ticket.__dict__.pop(annotation)) for annotation, name in probes.panels
    }


def _probe(ticket: TicketBase) -> dict[str, bool]:
    kind = kind_of(ticket).name
    sql, probes = _statement(kind)
    content_type = ContentType.objects.get_for_model(type(ticket)).pk
    answers: dict[str, bool] = {}
    params: list[Any] = []
    asked: list[str] = []
    for name, rows in probes:
        value = getattr(ticket, rows.attribute)
        if value is None:
            answers[name] = False
            value = 0  # keeps the statement's shape; its answer is ignored
        else:
            asked.append(name)
        params.append(value)
        if rows.type_field:
            params.append(content_type)
        params.extend(rows.status_in)
    if asked:
        with kept_cursor(ticket._state.db or DEFAULT_DB_ALIAS) as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchone()
        for (name, _), exists in zip(probes, found, strict=True):
            answers.setdefault(name, bool(exists))
    return answers


def _statement(kind: str) -> tuple[str, list[tuple[str, PanelRows]]]:
    """One `SELECT EXISTS (…), EXISTS (…)` for the kind's panels, built once per process."""
    if kind not in _SQL:
        probes = sorted({**_REGISTRY[EVERY_KIND], **_REGISTRY.get(kind, {})}.items())
        quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
        parts = []
        for _, rows in probes:
            meta = apps.get_model(rows.model)._meta
            where = f"{quote(meta.get_field(rows.field).column)} = %s"
            if rows.type_field:
                where += f" AND {quote(meta.get_field(rows.type_field).column)} = %s"
            if rows.status_in:
                marks = ", ".join(["%s"] * len(rows.status_in))
                where += f" AND {quote(meta.get_field('status').column)} IN ({marks})"
            # Only table and column names from the models are interpolated; values are parameters.
            table = quote(meta.db_table)
            parts.append(f"EXISTS (SELECT 1 FROM {table} WHERE {where})")  # noqa: S608
        _SQL[kind] = (f"SELECT {', '.join(parts) or '1'}", probes)
    return _SQL[kind]


panel_rows_register(
    FILES, PanelRows("core.Attachment", "ticket_id", "ticket_type"), kinds=(EVERY_KIND,)
)
panel_rows_register(
    LINKED_FROM, PanelRows("core.TicketLink", "to_id", "to_type"), kinds=(EVERY_KIND,)
)
panel_rows_register(
    LINKED_TO, PanelRows("core.TicketLink", "from_id", "from_type"), kinds=(EVERY_KIND,)
)
