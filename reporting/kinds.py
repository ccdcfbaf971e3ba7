"""The ticket kinds reports measure, as the kernel's registry declares them (core.tickets.kinds):
every registered kind with reporting milestones, in registration order. Reporting keeps no list
of kinds of its own and imports no domain app (DESIGN.md §3).

A kind is measured from `started` to `acknowledged` (MTTA) and to `resolved` (MTTR), e.g.
incidents identified -> logged -> resolved, service requests submitted -> in fulfilment (the
response clock stops there) -> fulfilled.
"""

from dataclasses import dataclass

from core.models import TicketBase
from core.tickets.kinds import ReportingExtras, TicketKind, kind_named, kinds


@dataclass(frozen=True)
class KindSpec:
    """What reports read of one registered kind: its table, milestone fields, the statuses in
    which `resolved` is set (lets the (status, resolved_at) index serve periods), those in
    which a ticket is open, those it ends in without having been resolved (cancelled), and what
    only some kinds have (`extras`: impact, reopen count, their agent list's filters)."""

    kind: TicketKind
    name: str
    model: type[TicketBase]
    started: str
    acknowledged: str
    resolved: str
    resolved_statuses: tuple[str, ...]
    open_statuses: tuple[str, ...]
    ended_unresolved: tuple[str, ...]
    noun: str
    extras: ReportingExtras

    @classmethod
    def of(cls, kind: TicketKind) -> "KindSpec":
        milestones = kind.reporting
        if milestones is None:
            raise LookupError(f"{kind.plural} are not measured by reports")
        return cls(
            kind=kind,
            name=kind.name,
            model=kind.model,
            started=milestones.started,
            acknowledged=milestones.acknowledged,
            resolved=kind.resolved_field,
            resolved_statuses=kind.resolved_statuses,
            open_statuses=tuple(sorted(kind.lifecycle.open)),
            ended_unresolved=tuple(sorted(kind.lifecycle.final - set(kind.resolved_statuses))),
            noun=kind.plural,
            extras=kind.reporting_extras or ReportingExtras(),
        )

    @property
    def content_type_id(self) -> int:
        return self.kind.content_type_id

    @property
    def label(self) -> str:
        """The kind in a choice list: "Incidents", "Service requests"."""
        return self.noun[:1].upper() + self.noun[1:]

    @property
    def is_rated(self) -> bool:
        """Whether requesters rate this kind's tickets (satisfaction_score, satisfaction_at)."""
        return self.kind.rating is not None

    @property
    def measures_outages(self) -> bool:
        return self.extras.impact is not None

    @property
    def measures_reopens(self) -> bool:
        return self.extras.reopen_count is not None


def reported_kinds() -> list[KindSpec]:
    """Every registered kind that reports measure, in registration order."""
    return [KindSpec.of(kind) for kind in kinds() if kind.reporting is not None]


def reported_kind_names() -> list[str]:
    return [kind.name for kind in kinds() if kind.reporting is not None]


def default_kind() -> str:
    """The kind a report is about when it names none: the first registered (incidents)."""
    names = reported_kind_names()
    if not names:
        raise LookupError("no registered ticket kind declares reporting milestones")
    return names[0]


def spec_named(name: str) -> KindSpec:
    """The kind of that name (LookupError when none is registered or it is not measured)."""
    return KindSpec.of(kind_named(name))


def nouns(specs: list[KindSpec]) -> str:
    """The kinds in a sentence: "incidents", "incidents and problems"."""
    words = [spec.noun for spec in specs]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def outage_refusal(name: str) -> str:
    """Why MTBF is not measured on the kind of that name ("" when it is): only kinds whose
    tickets have an impact (ReportingExtras.impact) are."""
    if spec_named(name).measures_outages:
        return ""
    measured = [spec for spec in reported_kinds() if spec.measures_outages]
    if not measured:
        return "No ticket kind is measured for MTBF."
    return f"MTBF is measured on {nouns(measured)} only."


def reopen_refusal(name: str) -> str:
    """Why the kind of that name has no reopen rate ("" when it has): only kinds that count
    their reopens (ReportingExtras.reopen_count) do."""
    if spec_named(name).measures_reopens:
        return ""
    measured = [spec for spec in reported_kinds() if spec.measures_reopens]
    if not measured:
        return "No ticket kind counts its reopens."
    return f"Only {nouns(measured)} can be reopened."
