"""Which statuses the calendar shows and checks, and the few reads of changes by window that the
calendar, its conflicts and its feed share."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch

from changes.choices import ChangeStatus as S
from changes.models import Change, FreezeWindow
from changes.transitions import ACTIVE_STATUSES
from core.models import Service
from core.tickets.kinds import kind_named

# Shown on the calendar and in the feed: planned, running and implemented changes.
CALENDAR_STATUSES = ACTIVE_STATUSES | {S.IMPLEMENTED}
# A change whose clashes are worth showing: an active one, or one still being planned.
CHECKED_STATUSES = ACTIVE_STATUSES | {S.DRAFT, S.ASSESSING}


def intersects(start: datetime, end: datetime) -> Q:
    """Changes whose window meets [start, end)."""
    return Q(planned_start__lt=end, planned_end__gt=start)


def calendar_changes(
    start: datetime,
    end: datetime,
    *,
    service: Service | None = None,
    services: Iterable[Service] = (),
) -> QuerySet[Change]:
    """Changes on the calendar between `start` and `end` (optionally touching `service` or any
    of `services`, as its main service or one of its services), earliest first, with what a
    row shows and what conflict checks read. Backed by the partial index
    change_calendar_window."""
    changes = Change.objects.filter(intersects(start, end), status__in=sorted(CALENDAR_STATUSES))
    ids = sorted({s.pk for s in services} | ({service.pk} if service is not None else set()))
    if ids:
        touching = Change.services.through.objects.filter(service_id__in=ids).values("change_id")
        changes = changes.filter(Q(service_id__in=ids) | Q(pk__in=touching))
    return (
        changes.select_related("service", "configuration_item")
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.only("id", "name")),
        )
        .only(
            "id",
            "number",
            "title",
            "status",
            "change_type",
            "planned_start",
            "planned_end",
            "version",
            "updated_at",
            "service__id",
            "service__name",
            "configuration_item__id",
            "configuration_item__name",
        )
        # Ordered by an expression, not the column: with the column, a LIMIT tempts PostgreSQL
        # to walk change_planned_start from the first change ever until enough rows pass the
        # window test (300 ms at 100,000 changes); with it, the partial index finds the window's
        # rows and a top-N sort orders them (a few ms).
        .order_by(Coalesce("planned_start", "planned_end"), "id")
    )


def freeze_windows_between(
    start: datetime, end: datetime, *, services: Iterable[Service] = ()
) -> QuerySet[FreezeWindow]:
    """Freeze windows that meet [start, end), earliest first, with their services; with
    `services`, only those that freeze one of them (naming it, or global: naming none)."""
    windows = FreezeWindow.objects.filter(starts_at__lt=end, ends_at__gt=start)
    ids = sorted({s.pk for s in services})
    if ids:
        through = FreezeWindow.services.through.objects
        naming = through.filter(service_id__in=ids).values("freezewindow_id")
        windows = windows.filter(Q(pk__in=naming) | ~Q(pk__in=through.values("freezewindow_id")))
    return windows.prefetch_related(
        Prefetch("services", queryset=Service.objects.only("id", "name"))
    ).order_by("starts_at", "id")


def service_ids(change: Change) -> set[int]:
    """The main service and every service the change names (reads a prefetch when there is
    one)."""
    found = {service.pk for service in change.services.all()}
    if change.service_id is not None:
        found.add(change.service_id)
    return found


def change_path(number: str) -> str:
    """The change's agent page, or "" while no such page is routed."""
    try:
        return kind_named("change").agent_path(number)
    except NoReverseMatch:
        return ""


def window_span(changes: Iterable[Change]) -> tuple[datetime, datetime] | None:
    """The earliest start and latest end of these changes' windows (None without any)."""
    windows = [
        (c.planned_start, c.planned_end)
        for c in changes
        if c.planned_start is not None and c.planned_end is not None
    ]
    if not windows:
        return None
    return min(w[0] for w in windows), max(w[1] for w in windows)
