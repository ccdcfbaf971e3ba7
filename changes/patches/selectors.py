"""Reads of patch rollouts: their advisories, targets and progress; the rollouts a ticket should
see; the configuration items still exposed per CVE. Each is one query (or two), whatever the
number of rows."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import router
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When

from changes.choices import PATCH_EXPOSED, ChangeStatus, PatchStatus
from changes.models import Change, ChangeTemplate, PatchAdvisory, PatchTarget
from changes.panel_rows import EXPOSED_ITEM
from changes.patches.cve import cve_ids_in
from core.kept_statements import Statement, fetch, rows_statement
from core.keyset_chunks import keyset_chunks
from core.tickets.panel_rows import has_panel_rows

EXPOSED = PATCH_EXPOSED  # still exposed on a CI (changes.choices)
# Rollouts that no longer track anything.
DEAD = (ChangeStatus.CANCELLED, ChangeStatus.REJECTED)
TICKET_PANEL_LIMIT = 5


def is_patch_rollout(change: Change) -> bool:
    """A standard change from a patch template (the template is read with the change)."""
    template = change.template
    return template is not None and template.is_patch


@dataclass(frozen=True)
class Progress:
    pending: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.done + self.failed + self.skipped

    @property
    def percent_done(self) -> int:
        """Done or skipped, as a whole percentage of the targets (0 with none)."""
        return (100 * (self.done + self.skipped)) // self.total if self.total else 0


def rollout_progress(change: Change) -> Progress:
    counts = dict(
        PatchTarget.objects.filter(change=change)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return Progress(**{status: counts.get(status, 0) for status in PatchStatus.values})


def rollout_advisories(change: Change) -> QuerySet[PatchAdvisory]:
    return PatchAdvisory.objects.filter(change=change).order_by("vendor_id", "cve_id")


def rollout_targets(change: Change) -> QuerySet[PatchTarget]:
    return (
        PatchTarget.objects.filter(change=change)
        .select_related("configuration_item__service")
        .order_by("configuration_item__name", "id")
    )


def rollouts_for_ticket(ticket: Any) -> list[Change]:
    """Live patch rollouts an incident or problem should show: those fixing a CVE its title or
    description names, and those still pending on its configuration item. Newest first."""
    cves = sorted(cve_ids_in(f"{ticket.title}\n{ticket.description}"))
    item = ticket.configuration_item_id
    if not cves and not has_panel_rows(ticket, EXPOSED_ITEM):
        # Most tickets name no CVE and have no rollout pending on their item: no query.
        return []
    wanted: list[str] = []
    params: list[Any] = [*DEAD]
    if cves:
        wanted.append(_BY_CVE.format(marks=_marks(cves)))
        params += cves
    if item is not None:
        wanted.append(_ON_ITEM)
        params += [item, *EXPOSED]
    sql = _ROLLOUTS_SQL.format(dead=_marks(DEAD), wanted=" OR ".join(wanted))
    alias = router.db_for_read(Change)
    rows = fetch(
        alias, replace(_rollout_columns(alias), sql=sql, params=(*params, TICKET_PANEL_LIMIT))
    )
    return [Change.from_db(alias, list(_ROLLOUT_COLUMNS), row) for row in rows]


_ROLLOUT_COLUMNS = ("id", "number", "title", "status", "planned_start", "planned_end")
_ROLLOUT_CONVERTERS: dict[str, Statement] = {}


def _rollout_columns(alias: str) -> Statement:
    """How the ORM reads _ROLLOUT_COLUMNS on database `alias` (the converters of its columns),
    found once: the panel's rows are read through a kept cursor (core.kept_statements, prepared
    on PostgreSQL) and made into changes as `Change.objects.raw` made them, for a third of its
    CPU (issue 18)."""
    if alias not in _ROLLOUT_CONVERTERS:
        statement = rows_statement(Change.objects.using(alias).values_list(*_ROLLOUT_COLUMNS))
        assert statement is not None
        _ROLLOUT_CONVERTERS[alias] = statement
    return _ROLLOUT_CONVERTERS[alias]


def _marks(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


# Written as SQL: every incident and problem page asks, and the ORM spent several times longer
# compiling the nested query than the database spent running it. Only table names and
# placeholders are interpolated; values are parameters.
_BY_CVE = (
    f"c.id IN (SELECT change_id FROM {PatchAdvisory._meta.db_table} WHERE cve_id IN ({{marks}}))"  # noqa: S608
)
_ON_ITEM = (
    f"c.id IN (SELECT change_id FROM {PatchTarget._meta.db_table}"  # noqa: S608
    f" WHERE configuration_item_id = %s AND status IN ({_marks(EXPOSED)}))"
)
_ROLLOUTS_SQL = f"""
SELECT c.id, c.number, c.title, c.status, c.planned_start, c.planned_end
  FROM {Change._meta.db_table} c
  JOIN {ChangeTemplate._meta.db_table} t ON t.id = c.template_id
 WHERE t.is_patch AND c.status NOT IN ({{dead}}) AND ({{wanted}})
 ORDER BY c.created_at DESC, c.id DESC
 LIMIT %s
"""  # noqa: S608


def exposure_rows(*, cve: str = "", service_id: int | None = None) -> QuerySet[Any]:
    """The configuration items still exposed, one row per (CVE, CI): a live rollout fixing that
    CVE has the CI pending or failed, and no live rollout fixing it has the CI done. One grouped
    query in the database; rows carry `cve`, `ci_id`, `ci_name`, `service_name` and `rollout`
    (the number of a rollout still open on it), ordered by CVE, then CI name."""
    targets = (
        PatchTarget.objects.filter(change__template__is_patch=True)
        .exclude(change__status__in=DEAD)
        .filter(change__patches__cve_id__gt="")
    )
    if cve:
        targets = targets.filter(change__patches__cve_id=cve)
    if service_id is not None:
        targets = targets.filter(configuration_item__service_id=service_id)
    return (
        targets.values(cve=F("change__patches__cve_id"), ci_id=F("configuration_item_id"))
        .annotate(
            ci_name=Max("configuration_item__name"),
            service_name=Max("configuration_item__service__name"),
            patched=_flag(Q(status=PatchStatus.DONE)),
            exposed=_flag(Q(status__in=EXPOSED)),
            rollout=Max(Case(When(status__in=EXPOSED, then=F("change__number")))),
        )
        .filter(patched=0, exposed=1)
        .order_by("cve", "ci_name")
    )


def exposure_chunks(rows: QuerySet[Any], *, chunk_size: int) -> Iterator[Sequence[Any]]:
    """`exposure_rows(...)` in keyset chunks on (cve, ci_name, ci_id), one query each: no
    server-side cursor (core.keyset_chunks). The CVE bound goes to WHERE, so a chunk groups only the
    targets of the CVEs not yet written; the rest of the bound compares aggregates (HAVING)."""

    def fetch(after: tuple[str, str, int] | None, limit: int) -> list[Any]:
        page = rows.order_by("cve", "ci_name", "ci_id")
        if after is not None:
            cve, name, ci_id = after
            page = page.filter(cve__gte=cve).filter(
                Q(cve__gt=cve)
                | Q(cve=cve, ci_name__gt=name)
                | Q(cve=cve, ci_name=name, ci_id__gt=ci_id)
            )
        return list(page[:limit])

    return keyset_chunks(
        fetch, lambda row: (row["cve"], row["ci_name"], row["ci_id"]), chunk_size=chunk_size
    )


def _flag(condition: Q) -> Max:
    """1 when any row of the group meets `condition`, else 0."""
    return Max(Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()))
