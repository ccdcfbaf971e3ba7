"""Table cells of the agent lists as pre-formatted strings.

A page of 50 rows through the template engine made hundreds of `date` filter and badge tag
calls (issue 18: about two thirds of the queue's CPU); these produce the same text directly.
Instants are shown in the current time zone (core.time_zones activates the viewer's), in the
same formats as the templates' `date` filters (a list passes the zone, read once, as `zone`:
looking it up costs more than formatting); badge labels come from the model's choices, read
once per process.
"""

from datetime import datetime, tzinfo
from functools import cache
from html import escape

from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from core.tickets.describe import choice_label

# Django's `D` and `M` date formats in English (the project's only language).
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso(moment: datetime, zone: tzinfo | None = None) -> str:
    """`date:'c'`: ISO 8601 in the current time zone."""
    return timezone.localtime(moment, zone).isoformat()


def day_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """`date:'j M Y, H:i'`."""
    local = timezone.localtime(moment, zone)
    return f"{local.day} {MONTHS[local.month]} {local.year}, {local:%H:%M}"


def day_time_zone(moment: datetime, zone: tzinfo | None = None) -> str:
    """`date:'j M Y, H:i T'`."""
    local = timezone.localtime(moment, zone)
    return f"{local.day} {MONTHS[local.month]} {local.year}, {local:%H:%M} {local.tzname()}"


def day_month_year(moment: datetime, zone: tzinfo | None = None) -> str:
    """`date:'j M Y'`."""
    local = timezone.localtime(moment, zone)
    return f"{local.day} {MONTHS[local.month]} {local.year}"


def day_month_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """`date:'j M, H:i'`."""
    local = timezone.localtime(moment, zone)
    return f"{local.day} {MONTHS[local.month]}, {local:%H:%M}"


def weekday_time_zone(moment: datetime, zone: tzinfo | None = None) -> str:
    """`date:'D j M Y, H:i T'`."""
    local = timezone.localtime(moment, zone)
    return (
        f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month]} {local.year}, "
        f"{local:%H:%M} {local.tzname() or ''}"
    )


@cache
def status_badge_html(model: type[Model], value: str) -> str:
    """A coloured badge that also says the status in words (colour is never the only cue)."""
    label = escape(choice_label(model, "status", value))
    return f'<span class="badge badge-status status-{slugify(value)}">{label}</span>'


@cache
def priority_badge_html(model: type[Model], value: object) -> str:
    label = escape(choice_label(model, "priority", value))
    return f'<span class="badge badge-priority prio-{escape(str(value))}">{label}</span>'
