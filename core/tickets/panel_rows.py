"""Whether a ticket has any rows for each panel of its agent page, in one statement.

The panels of a ticket page (its files, the pages of the on-call, conversions, linked changes
and problems, patch rollouts, a change's approvals) each read their rows through their own
selector, and most tickets have none. Through the ORM each of those reads cost a page more
compiling than the database spent finding nothing, so a panel first asks `has_panel_rows`:
the first question about a ticket runs one EXISTS per table registered for its kind, in one
statement (kept for every ticket of the kind), and the answers are kept on the ticket for the
rest of the request.
"No rows" is certain (the panel shows its empty state); "rows" sends the panel to its selector,
which applies the viewer's scope as before.

The questions are EXISTS annotations of a query of the ticket's model (`panel_rows_probes`): a
ticket read for a page asks them in its own statement and `panel_rows_keep` keeps the answers
on the instance read, so the page runs no probe of its own; a ticket read any other way asks
them on its first question, reading its row by id.

An app names the table that holds a panel's rows, per kind, from its `AppConfig.ready()`
(`panel_rows_register`); core registers its own (files, conversion links) below.
"""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import router
from django.db.models import Exists, OuterRef

from core.kept_statements import kept_rows_by
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
_PROBES: dict[tuple[str, int], "PanelProbes"] = {}
_MEMO = "_panel_rows"


def panel_rows_register(name: str, rows: PanelRows, *, kinds: tuple[str, ...]) -> None:
    """Register the table behind the panel `name` for these kind names (EVERY_KIND: all)."""
    for kind in kinds:
        _REGISTRY.setdefault(kind, {})[name] = rows
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
    annotations: dict[str, Exists] = {}
    panels = []
    for index, (name, rows) in enumerate(_registered(kind)):
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
    """The answers for a ticket read any other way: the same `EXISTS` about its row, in one
    statement of their own, kept for every ticket of its kind. A ticket not stored (deleted
    meanwhile) has no answers, and its panels read as before."""
    model = type(ticket)
    probes = panel_rows_probes(model)
    if not probes.panels:
        return {}
    alias = ticket._state.db or router.db_for_read(model)
    columns = [annotation for annotation, _ in probes.panels]
    found = kept_rows_by(
        ("panel rows", model._meta.label, alias, probes.panels),
        lambda pk: (
            model._base_manager.using(alias)
            .filter(pk=pk)
            .annotate(**probes.annotations)
            .values_list(*columns)
        ),
        ticket.pk,
    )
    if not found:
        return {}
    return {name: bool(exists) for (_, name), exists in zip(probes.panels, found[0], strict=True)}


def _registered(kind: str) -> list[tuple[str, PanelRows]]:
    """The panels registered for `kind` (and for every kind), by name."""
    return sorted({**_REGISTRY[EVERY_KIND], **_REGISTRY.get(kind, {})}.items())


panel_rows_register(
    FILES, PanelRows("core.Attachment", "ticket_id", "ticket_type"), kinds=(EVERY_KIND,)
)
panel_rows_register(
    LINKED_FROM, PanelRows("core.TicketLink", "to_id", "to_type"), kinds=(EVERY_KIND,)
)
panel_rows_register(
    LINKED_TO, PanelRows("core.TicketLink", "from_id", "from_type"), kinds=(EVERY_KIND,)
)
