"""A short cache in front of the dashboard's tiles, so a tile answers within its budget
(DESIGN.md §7: reports ≤ 2 s uncached, dashboard tiles ≤ 300 ms) when several managers look at
the same view, or one flips between filters.

A tile's numbers are keyed by the tile, the filter (its resolved period and dimensions, and the
viewer's time zone, in which its days are cut) and a version of the data: the newest timeline
event id (every change to a ticket appends one, including the SLA sweeper's breaches and
escalations and the requesters' ratings) and the current time slot of DASHBOARD_CACHE_SECONDS.
So a change to any ticket shows at once, and numbers that move with the clock alone (the
backlog's ages) are at most one slot old. Tiles that depend on the viewer ("now": read through
the viewer's selectors) are never cached. A cache that is down (Redis unreachable) means
computing, never an error.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from core.models import TimelineEvent
from reporting.filters import ReportFilter

logger = logging.getLogger(__name__)

KEY_VERSION = 1
UNCACHED_TILES = frozenset({"now"})


def cache_seconds() -> int:
    return settings.DASHBOARD_CACHE_SECONDS


def data_version() -> int:
    """The newest timeline event id (one indexed lookup): it moves with every ticket change."""
    return TimelineEvent.objects.aggregate(newest=Max("id"))["newest"] or 0


def tile_key(name: str, report: ReportFilter, *, now: datetime, seconds: int) -> str:
    # Days are cut in the viewer's time zone (core.time_zones): two zones, two sets of days.
    params = {**report.as_params(), "zone": timezone.get_current_timezone_name()}
    filters = json.dumps(params, sort_keys=True)
    digest = hashlib.sha256(filters.encode()).hexdigest()[:24]
    slot = int(now.timestamp() // seconds)
    return f"dashboard:v{KEY_VERSION}:{name}:{digest}:{slot}:{data_version()}"


def cached_tile(
    name: str,
    report: ReportFilter,
    *,
    now: datetime,
    compute: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """The tile's data from the cache, or computed (and stored). Adds `computed_at`."""
    seconds = cache_seconds()
    if seconds <= 0 or name in UNCACHED_TILES:
        return {**compute(), "computed_at": now}
    key = tile_key(name, report, now=now, seconds=seconds)
    try:
        found = cache.get(key)
    except Exception:  # the cache is an optimisation: any failure means "compute"
        logger.warning("dashboard cache unavailable (get)", exc_info=True)
        found = None
    if found is not None:
        return dict(found)
    data = {**compute(), "computed_at": now}
    try:
        cache.set(key, data, timeout=seconds * 2)
    except Exception:
        logger.warning("dashboard cache unavailable (set)", exc_info=True)
    return data
