"""Whose clock a date is read on. Every person reads dates in their own time zone: the one in
their preferences, else the site's TIME_ZONE. Pages get it from `UserTimeZoneMiddleware`, which
activates it for the request (Django's templates and `timezone.localtime` then follow it);
emails are written outside any request, so they format their instants for each recipient
with `instant_text` and `instants_localised`.

Stored data never depends on it: instants are stored and sent to the API in UTC offsets, and
SLA calendars keep their own zones.
"""

import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateformat import format as format_date

# How an instant reads in a message: "Fri 4 Dec 2026, 14:05 CET".
EMAIL_FORMAT = "D j M Y, H:i"

# ISO 8601 instants as services write them into messages ("due 2026-03-02T14:00:00+00:00").
ISO_INSTANT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})"
)

# Area prefixes of the tz database's canonical "Area/Location" names; the rest (US/Eastern,
# Etc/GMT+5, posixrules...) are aliases or oddities a person never needs to pick.
_AREAS: tuple[str, ...] = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


def zone_name_validate(value: str) -> None:
    """A name ZoneInfo knows ("Europe/Berlin"); the empty string means "the site's zone"."""
    if not value:
        return
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"'{value}' is not a known time zone; use a name like Europe/Berlin."
        ) from exc


@cache
def selectable_zones() -> tuple[str, ...]:
    """The zones offered on the preferences page: UTC and every canonical Area/Location."""
    names = sorted(name for name in available_timezones() if name.startswith(_AREAS))
    return ("UTC", *names)


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def zone_of(user: object) -> ZoneInfo:
    """The zone `user` reads dates in: their preference, else the site's TIME_ZONE. A stored
    name the system no longer knows (a tz database update) falls back instead of failing."""
    name = getattr(user, "time_zone", "") or ""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return site_zone()


def zone_abbreviation(moment: datetime) -> str:
    """ "CET", "EDT"; zones without a letter abbreviation get their offset ("UTC-03")."""
    abbreviation = moment.strftime("%Z")
    if abbreviation[:1] in "+-":
        return f"UTC{abbreviation}"
    return abbreviation


def instant_text(moment: datetime, zone: tzinfo) -> str:
    """An instant as a person reads it in `zone`, with the zone named: "Fri 4 Dec 2026, 14:05
    CET"."""
    local = moment.astimezone(zone)
    return f"{format_date(local, EMAIL_FORMAT)} {zone_abbreviation(local)}"


def instants_localised(
    text: str, zone: tzinfo, render: Callable[[datetime, tzinfo], str] = instant_text
) -> str:
    """`text` with every ISO 8601 instant in it rewritten for a reader in `zone`; anything else
    (and a string that only looks like an instant) is left as it is."""

    def local(match: re.Match[str]) -> str:
        try:
            moment = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
        except ValueError:
            return match.group(0)
        return render(moment, zone)

    return ISO_INSTANT.sub(local, text)


class UserTimeZoneMiddleware:
    """Activate the signed-in person's zone for the request, so every date a page shows is in
    it. The API is left on the site's zone: a script reads the same offsets whoever's session
    or token it uses. A database that does not answer leaves the site's zone (the view will
    answer the outage itself, with its 503)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = None
        if not request.path.startswith("/api/"):
            try:
                user = request.user
                if user.is_authenticated:
                    zone = zone_of(user)
            except DatabaseError:
                zone = None
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
