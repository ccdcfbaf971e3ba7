"""What an agent list's refresh answers 304 from without building a row (issue 18), for every
list that refreshes itself: the triage queue (incidents/views/queue_marker.py), the request list
and the problem list.

A list answer's ETag is `"<shown>.<marker>.<until>"`:

- `shown` fingerprints the answer as shown (for the queue, its rows' digests, the tab bar and
  the summary; a list that sends every row again anyway uses its marker);
- `marker` fingerprints what that HTML was made from (`list_marker`): the code and templates
  that make it (`code_digest`), the viewer, the time zone, the query string, the counts, the
  page's rows as the database gives them and their SLA clocks' columns (`rows_digest`);
- `until` is the Unix second before which no text of the page moves on where the browser
  cannot follow (static/js/queue.js moves ages, 24x7 time left and badge states on by itself;
  sla.badge.BadgeHtml.moves_at says when a business-hours time left moves).

A refresh carrying such a tag before `until` re-reads only what the marker is made from, as
values, and answers 304 when the marker is the same (`unchanged_tag`).
"""

import pickle
from collections.abc import Iterable
from datetime import datetime
from hashlib import blake2b
from math import floor
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import parse_etags

from core.process_memos import KeptTexts
from core.web.access import CountedPaginator

ROOT = Path(__file__).resolve().parents[2]


def code_digest(*sources: Path) -> str:
    """A digest of the code and templates that turn a marker's values into a list's HTML, read
    once per process: after a deploy that changes them, an open list's tag no longer matches
    and its next refresh gets the new HTML instead of a 304."""
    digest = blake2b(digest_size=8)
    for source in sources:
        if source.exists():
            digest.update(source.read_bytes())
    return digest.hexdigest()


def list_marker(code: str, user_id: int, refresh_url: str, *state: Any) -> str:
    """The marker of a list answer: its code digest, viewer, time zone, URL and `state` (the
    counts, the page's rows as values, their clocks as values: anything the page shows)."""
    parts = [code, user_id, timezone.get_current_timezone_name(), refresh_url, *state]
    return blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def page_count_label(page: Page[Any]) -> str:
    """The total of a page made by core.web.access.paginate_capped, as the list says it."""
    return cast(CountedPaginator, page.paginator).count.label


# Each page row's digest of what it is made from (rows_digest), kept per process under the row
# and its clocks: from one refresh to the next nearly every row is read the same, and a kept
# digest costs a dictionary lookup where pickling the row and its clocks again cost a tenth of
# the queue's CPU (issue 18). Entries are never changed once kept, so threads may share them.
ROW_DIGESTS_KEPT = 4096
_ROW_DIGESTS = KeptTexts(ROW_DIGESTS_KEPT)


def rows_digest(rows: Iterable[tuple[Any, ...]], clock_rows: Iterable[tuple[Any, ...]]) -> str:
    """A digest of a page's rows as values, in order (each row's id first), and of their SLA
    clock rows (sla.row_clocks: the ticket's id, then the metric, one clock each), which come
    in no particular order.

    Each row is digested with its clocks in the order of their metric, pickled, not repr()'d:
    a repr spells out every datetime. Only ever dumped, never loaded. Different rows never
    pickle alike (a pickle can be read back), so no 304 hides a change; equal rows pickle
    alike as long as they share objects alike, as the rows of one query do in every process (a
    pickle refers back to an object seen twice)."""
    by_ticket: dict[Any, list[tuple[Any, ...]]] = {}
    for clock in clock_rows:
        by_ticket.setdefault(clock[0], []).append(clock)
    digests = []
    for row in rows:
        clocks = by_ticket.get(row[0], [])
        if len(clocks) > 1:
            clocks.sort(key=itemgetter(1))
        key = (tuple(row), tuple(clocks))
        digests.append(_ROW_DIGESTS.get(key, _digest, key))
    return blake2b(" ".join(digests).encode(), digest_size=16).hexdigest()


def _digest(key: tuple[Any, ...]) -> str:
    return blake2b(pickle.dumps(key, protocol=5), digest_size=16).hexdigest()


def valid_until(moves_at: Iterable[datetime | None], now: datetime) -> int:
    """The Unix second before which none of these texts moves on (rounded down); a day ahead
    when none does."""
    changes = [moment for moment in moves_at if moment is not None]
    if not changes:
        return floor(now.timestamp()) + 24 * 3600
    return floor(min(changes).timestamp())


def etag_of(shown: str, marker: str, until: int) -> str:
    return f'"{shown}.{marker}.{until}"'


def split_etag(tag: str) -> tuple[str, str, int] | None:
    """(shown, marker, until) of a list ETag (without its quotes); None for anything else."""
    shown, _, rest = tag.partition(".")
    marker, _, until = rest.partition(".")
    if not (shown and marker and until.isdigit()):
        return None
    return shown, marker, int(until)


def sent_tags(request: HttpRequest) -> list[tuple[str, str, int]]:
    """The list ETags the refresh sent back (If-None-Match), split."""
    tags = parse_etags(request.headers.get("If-None-Match", ""))
    return [split for split in map(split_etag, (tag.strip('"') for tag in tags)) if split]


def current_tags(request: HttpRequest) -> list[tuple[str, str, int]]:
    """The sent tags whose texts still hold."""
    now = timezone.now().timestamp()
    return [tag for tag in sent_tags(request) if now < tag[2]]


def unchanged_tag(current: list[tuple[str, str, int]], marker: str) -> str | None:
    """The ETag to answer 304 with when one of the `current` tags has this marker."""
    for shown, sent_marker, until in current:
        if sent_marker == marker:
            return etag_of(shown, marker, until)
    return None


def not_modified(etag: str) -> HttpResponse:
    response = HttpResponseNotModified()
    response["ETag"] = etag
    return response
