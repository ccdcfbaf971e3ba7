"""The change calendar as an iCalendar feed behind a per-person secret URL (calendar apps cannot
sign in): active and implemented changes from FEED_PAST ago to FEED_AHEAD ahead, and the freeze
windows of that span; `?service=<id>` (repeated for several) keeps the changes touching those
services and the freeze windows that freeze them (naming one, or global).

Only a token's SHA-256 is stored (ChangeCalendarFeed); renewing it revokes the old URL. A feed
answers only while its owner is still an active agent. Each change is one VEVENT whose UID is
stable for the change, whose LAST-MODIFIED is the change's last update and whose SEQUENCE counts
its revisions (`version` - 1), so calendar apps update the event in place.
"""

import hashlib
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from changes.calendar.conflicts import Conflict, conflicts_by_change
from changes.calendar.windows import calendar_changes, freeze_windows_between
from changes.choices import ChangeStatus as S
from changes.models import Change, ChangeCalendarFeed, FreezeWindow
from core.models import Service, User
from core.roles import is_agent
from oncall.ical import escape_text, fold, utc_stamp

PRODID = "-//Service Desk//Change calendar//EN"
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=180)
# A feed is read by calendar apps every few minutes; past this many changes it keeps the
# earliest (the span is half a year: a desk with more changes than this filters by service).
FEED_MAX_CHANGES = 1000
MAX_TOKEN_LENGTH = 100
# `?service=` may name several services, up to this many.
FEED_MAX_SERVICES = 50

# RFC 5545 §3.8.1.11: a change not yet approved is tentative.
_EVENT_STATUS = {S.AWAITING_APPROVAL: "TENTATIVE"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token_renew(*, person: User) -> str:
    """A new secret for `person`'s change-calendar feed; the previous URL stops working.
    Returns the token (shown once: only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        ChangeCalendarFeed.objects.update_or_create(
            person=person,
            defaults={"token_hash": token_hash(token), "created_at": timezone.now()},
        )
    return token


def feed_owner(token: str) -> User | None:
    """Whose feed a secret opens, if it opens one and its owner may still read changes."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    feed = (
        ChangeCalendarFeed.objects.select_related("person")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if feed is None or not is_agent(feed.person):
        return None
    return feed.person


def feed_has_token(person: User) -> bool:
    return ChangeCalendarFeed.objects.filter(person=person).exists()


def _lines(props: list[tuple[str, str]]) -> list[str]:
    return ["BEGIN:VEVENT", *(f"{name}:{value}" for name, value in props), "END:VEVENT"]


def _change_event(
    change: Change, conflicts: list[Conflict], *, host: str, now: datetime, base_url: str
) -> list[str]:
    assert change.planned_start is not None and change.planned_end is not None
    names = sorted({s.name for s in change.services.all()} | _main_service(change))
    details = [
        f"{change.get_change_type_display()} change, {change.get_status_display().lower()}.",
        f"Services: {', '.join(names)}." if names else "",
        *(conflict.describe() for conflict in conflicts),
    ]
    props = [
        ("UID", escape_text(f"{change.number.lower()}@{host}")),
        ("DTSTAMP", utc_stamp(now)),
        ("LAST-MODIFIED", utc_stamp(change.updated_at)),
        ("SEQUENCE", str(max(change.version - 1, 0))),
        ("DTSTART", utc_stamp(change.planned_start)),
        ("DTEND", utc_stamp(change.planned_end)),
        ("SUMMARY", escape_text(f"{change.number} {change.title}")),
        ("DESCRIPTION", escape_text("\n".join(line for line in details if line))),
        ("CATEGORIES", escape_text(f"Change,{change.get_change_type_display()}")),
        ("STATUS", _EVENT_STATUS.get(S(change.status), "CONFIRMED")),
    ]
    if base_url:
        props.append(("URL", base_url))
    return _lines(props)


def _main_service(change: Change) -> set[str]:
    return {change.service.name} if change.service is not None else set()


def _freeze_event(freeze: FreezeWindow, *, host: str, now: datetime) -> list[str]:
    named = [s.name for s in freeze.services.all()]
    scope = f"Services: {', '.join(named)}." if named else "All services."
    description = "\n".join(part for part in (scope, freeze.reason) if part)
    return _lines(
        [
            ("UID", escape_text(f"freeze-{freeze.pk}@{host}")),
            ("DTSTAMP", utc_stamp(now)),
            ("DTSTART", utc_stamp(freeze.starts_at)),
            ("DTEND", utc_stamp(freeze.ends_at)),
            ("SUMMARY", escape_text(f"Change freeze: {freeze.name}")),
            ("DESCRIPTION", escape_text(description)),
            ("CATEGORIES", "Change freeze"),
            ("TRANSP", "TRANSPARENT"),
        ]
    )


def feed_services(values: Sequence[str]) -> list[Service]:
    """The services a feed's `?service=` values name (several allowed; none: every service),
    or ValueError saying what is wrong with them in words (the feed answers it as a 400)."""
    if len(values) > FEED_MAX_SERVICES:
        raise ValueError(f"Name at most {FEED_MAX_SERVICES} services (service=<id>).")
    ids: set[int] = set()
    for value in values:
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            raise ValueError("service: each value is a service id, a whole number (service=3).")
        ids.add(int(text))
    found = list(Service.objects.filter(pk__in=sorted(ids)).order_by("name", "pk"))
    unknown = sorted(ids - {service.pk for service in found})
    if unknown:
        listed = ", ".join(map(str, unknown))
        raise ValueError(f"service: no service has the id {listed}.")
    return found


def feed_calendar(
    *,
    host: str,
    now: datetime,
    change_url: Callable[[str], str],
    services: Sequence[Service] = (),
) -> str:
    """The feed's text: CRLF lines folded at 75 octets (RFC 5545 §3.1). `change_url` gives a
    change's absolute page URL ("" for none); with `services`, only the changes touching one
    of them and the freeze windows freezing one of them. Constant queries whatever the number
    of changes."""
    start, end = now - FEED_PAST, now + FEED_AHEAD
    changes = list(calendar_changes(start, end, services=services)[:FEED_MAX_CHANGES])
    conflicts = conflicts_by_change(changes)
    name = "Change calendar"
    if services:
        name += f": {', '.join(service.name for service in services)}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for change in changes:
        lines += _change_event(
            change,
            conflicts.get(change.pk, []),
            host=host,
            now=now,
            base_url=change_url(change.number),
        )
    for freeze in freeze_windows_between(start, end, services=services):
        lines += _freeze_event(freeze, host=host, now=now)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
