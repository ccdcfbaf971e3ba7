"""Template helpers shared by every ticket kind: Markdown, status and priority badges, ages,
readable timeline changes and accessible form widgets.

They read labels from the ticket's own model fields, so core never imports a domain app.
"""

import re
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.forms import BoundField
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.utils.timesince import timesince

from core.markdown import render_markdown
from core.models import TimelineEvent

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """User text as sanitised HTML (core.markdown)."""
    return render_markdown(text or "")


def _choice_label(model: type[Model], field_name: str, value: Any) -> str:
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return str(value)
    for choice_value, label in getattr(field, "flatchoices", ()) or ():
        if str(choice_value) == str(value):
            return str(label)
    return str(value)


@register.simple_tag
def status_badge(ticket: Model, status: str | None = None) -> SafeString:
    """A coloured badge that also says the status in words (colour is never the only cue)."""
    value = getattr(ticket, "status", "") if status is None else status
    label = _choice_label(type(ticket), "status", value)
    return format_html(
        '<span class="badge badge-status status-{}">{}</span>', slugify(value), label
    )


@register.simple_tag
def priority_badge(ticket: Model) -> SafeString:
    value = getattr(ticket, "priority", "")
    label = _choice_label(type(ticket), "priority", value)
    return format_html('<span class="badge badge-priority prio-{}">{}</span>', value, label)


@register.filter
def age(moment: datetime | None) -> str:
    """A compact age for lists: 45m, 5h, 3d 4h, 12d."""
    if moment is None:
        return ""
    minutes = max(0, int((timezone.now() - moment).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days, rest = divmod(hours, 24)
    if days < 7 and rest:
        return f"{days}d {rest}h"
    return f"{days}d"


@register.filter
def ago(moment: datetime | None) -> str:
    """ "just now", "5 minutes ago", "2 days, 3 hours ago" (Django's timesince, made readable)."""
    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"


def _readable_value(model: type[Model], name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name == "tier" and isinstance(value, int):
        return f"L{value}"
    return _choice_label(model, name, value)


def _readable_name(model: type[Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
        verbose = str(getattr(field, "verbose_name", name.replace("_", " ")))
    except FieldDoesNotExist:
        verbose = name.replace("_", " ")
    return verbose[:1].upper() + verbose[1:]


@register.simple_tag
def event_changes(ticket: Model, event: TimelineEvent) -> list[tuple[str, str]]:
    """The event's changed fields as (label, readable value) pairs. Notes that are already the
    event's message are left out, so they are not shown twice."""
    model = type(ticket)
    pairs = []
    for name, value in (event.changes or {}).items():
        if isinstance(value, str) and value.strip() and value.strip() == event.message.strip():
            continue
        pairs.append((_readable_name(model, name), _readable_value(model, name, value)))
    return pairs


@register.simple_tag
def widget(field: BoundField, **attrs: Any) -> SafeString:
    """Render a field's widget with the ARIA links to its help text and errors."""
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_help")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs={k.replace("_", "-"): v for k, v in attrs.items()})


@register.filter
def duration(value: timedelta | None) -> str:
    """A timedelta in words: "15 minutes", "1 hour 30 minutes"."""
    if value is None:
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def span_words(seconds: float | None) -> str:
    """A wall-clock length for the timeline: "<1m", "45m", "3h 10m", "2d 4h"."""
    if seconds is None:
        return ""
    minutes = int(max(0, seconds) // 60)
    if minutes < 1:
        return "<1m"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes}m"
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


@register.simple_tag
def tier_move(event: TimelineEvent) -> dict[str, str]:
    """An escalated / de-escalated event in words: the route ("L1 → L2"), the group it went
    to, and how long the ticket had been in the tier it left."""
    changes = event.changes or {}
    from_tier, to_tier = changes.get("from_tier"), changes.get("to_tier")
    # Groups are recorded as str(group), "Name (L2)"; the route already says the tier.
    group = str(changes.get("to_group") or "").removesuffix(f" (L{to_tier})")
    return {
        "verb": "escalated" if event.kind == "escalated" else "de-escalated",
        "route": f"L{from_tier} → L{to_tier}" if from_tier and to_tier else "",
        "group": group,
        "from_tier": f"L{from_tier}" if from_tier else "",
        "time_in_tier": span_words(changes.get("time_in_tier_seconds")),
    }


# ISO 8601 instants as the SLA engine writes them into messages ("due 2026-03-02T14:00:00+00:00").
_ISO_INSTANT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})"
)


@register.filter
def local_instants(text: str | None) -> str:
    """System messages with their ISO instants shown in the site's time zone, as people read
    them ("2 Mar 2026, 15:00 CET"). Text that is not an instant is left as it is."""

    def local(match: re.Match[str]) -> str:
        try:
            moment = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
        except ValueError:
            return match.group(0)
        return format_date(timezone.localtime(moment), "j M Y, H:i T")

    return _ISO_INSTANT.sub(local, text or "")
