"""Template helpers shared by every ticket kind: Markdown, status and priority badges, ages,
readable timeline changes and accessible form widgets.

They read labels from the ticket's own model fields, so core never imports a domain app.
"""

from datetime import datetime, timedelta, tzinfo
from html import escape
from typing import Any

from django import template
from django.db.models import Model
from django.forms import BoundField
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from core.markdown import render_markdown
from core.models import TicketBase, TimelineEvent
from core.tickets.describe import EventView, describe
from core.tickets.kinds import find_kind
from core.tickets.rating import SCORE_LABELS
from core.time_zones import instants_localised
from core.web.cells import day_time, day_time_zone, iso, priority_badge_html, status_badge_html
from core.web.field_row import aria_widget
from core.web.field_row import field_row as row_of_field

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """User text as sanitised HTML (core.markdown)."""
    return render_markdown(text or "")


@register.simple_tag
def status_badge(ticket: Model, status: str | None = None) -> SafeString:
    """A coloured badge that also says the status in words (colour is never the only cue)."""
    value = getattr(ticket, "status", "") if status is None else status
    return mark_safe(status_badge_html(type(ticket), value))  # noqa: S308 (escaped there)


@register.simple_tag
def priority_badge(ticket: Model) -> SafeString:
    return mark_safe(  # noqa: S308 (escaped there)
        priority_badge_html(type(ticket), getattr(ticket, "priority", ""))
    )


@register.filter
def stars(score: int) -> str:
    """A rating as five stars, `score` of them filled: ★★★☆☆."""
    return "".join("★" if place <= score else "☆" for place in range(1, 6))


@register.filter
def score_words(score: int) -> str:
    """A rating's score in words (core.tickets.rating.SCORE_LABELS; "Excellent" above 4)."""
    return SCORE_LABELS.get(score, SCORE_LABELS[5])


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


def age_changes_at(moment: datetime, now: datetime) -> datetime:
    """The first instant after `now` at which `age(moment)` may read differently: the next
    minute of the age under an hour, the next hour under a week, else the next day."""
    minutes = max(0, int((now - moment).total_seconds() // 60))
    step = 1 if minutes < 60 else 60 if minutes < 7 * 24 * 60 else 24 * 60
    return moment + timedelta(minutes=(minutes // step + 1) * step)


@register.filter
def ago(moment: datetime | None) -> str:
    """ "just now", "5 minutes ago", "2 days, 3 hours ago" (Django's timesince, made readable)."""
    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"


@register.filter
def agent_path(ticket: TicketBase) -> str:
    """The ticket's page in the agent workspace, whatever its kind."""
    kind = find_kind(ticket)
    return kind.agent_path(ticket.number) if kind is not None else ""


@register.filter
def followed_in_portal(ticket: TicketBase) -> bool:
    """Whether requesters follow the ticket's kind in the portal (then "internal" means
    something on its timeline)."""
    kind = find_kind(ticket)
    return kind is not None and kind.has_portal


@register.simple_tag
def time_element(
    moment: datetime | None, css_class: str = "", *, titled: bool = False, zoned: bool = False
) -> SafeString:
    """`<time>` naming `moment` as `date:'c'` and showing it as `date:"j M Y, H:i"` (`zoned`:
    `"j M Y, H:i T"`; and in its title when `titled`), in the current time zone: core.web.cells'
    same text, without two or three `date` filters. No moment reads as the filters read it:
    empty."""
    if moment is None:
        shown = stamp = ""
    else:
        # Digits, an English month, punctuation and a zone's abbreviation: nothing to escape.
        shown = day_time_zone(moment) if zoned else day_time(moment)
        stamp = iso(moment)
    attributes = f' class="{escape(css_class)}"' if css_class else ""
    title = f' title="{shown}"' if titled else ""
    return mark_safe(f'<time{attributes} datetime="{stamp}"{title}>{shown}</time>')  # noqa: S308


@register.simple_tag
def milestone_rows(milestones: list[tuple[str, datetime]]) -> SafeString:
    """The Milestones card's rows, as `{% for label, moment in milestones %}` wrote them with
    `time_element`: a dozen template nodes a row, on every ticket page."""
    return mark_safe(  # noqa: S308 (the label escaped, the time made of digits and a month)
        "".join(
            f"\n          <div><dt>{conditional_escape(label)}</dt><dd>{time_element(moment)}"
            "</dd></div>\n        "
            for label, moment in milestones
        )
    )


_RATING = (
    '\n    \n    <p class="rating-display rating-score-{score}">\n'
    '      <span class="stars-static" aria-hidden="true">{stars}</span>\n'
    "      <strong>{score} of 5</strong> · {words}\n"
    "    </p>\n    \n    {comment}\n"
    '    <p class="help">Rated by {name} on {when}.</p>\n  '
)
_NOT_RATED = '\n    <p class="muted">Not rated yet.</p>\n  '


@register.simple_tag
def satisfaction_card(ticket: Any) -> SafeString:
    """The requester's rating on an agent ticket page (tests/core/test_satisfaction_card.py),
    written here rather than by a template of thirteen nodes."""
    score = getattr(ticket, "satisfaction_score", None)
    if not (score or getattr(ticket, "resolved_at", None) or getattr(ticket, "fulfilled_at", None)):
        return mark_safe("\n\n")
    if score:
        comment = ticket.satisfaction_comment
        shown = _RATING.format(
            score=conditional_escape(score),
            stars=stars(score),
            words=conditional_escape(score_words(score)),
            comment=f'<blockquote class="rating-comment">{linebreaksbr(comment, autoescape=True)}'
            "</blockquote>"
            if comment
            else "",
            name=conditional_escape(ticket.requester.display_name),
            when=time_element(ticket.satisfaction_at),
        )
    else:
        shown = _NOT_RATED
    return mark_safe(  # noqa: S308 (every value escaped above)
        '\n\n<section class="card satisfaction-card" aria-labelledby="satisfaction-title">\n'
        f'  <h2 id="satisfaction-title">Requester\'s rating</h2>\n  {shown}\n</section>\n\n'
    )


@register.simple_tag
def describe_event(event: TimelineEvent, ticket: TicketBase) -> EventView:
    """What the event means, in words (core.tickets.describe): every timeline uses this."""
    return describe(event, ticket)


@register.simple_tag
def widget(field: BoundField, **attrs: Any) -> SafeString:
    """Render a field's widget with the ARIA links to its help text and errors."""
    return aria_widget(field, **attrs)


@register.simple_tag
def field_row(field: BoundField, needed_for: str = "") -> SafeString:
    """A field with its label, help and errors: templates/includes/field.html, in Python."""
    return row_of_field(field, needed_for)


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


@register.filter
def local_instants(text: str | None) -> str:
    """System messages with their ISO instants shown in the reader's time zone (the one the
    request activated: core.time_zones), as people read them ("2 Mar 2026, 15:00 CET"). Text
    that is not an instant is left as it is."""
    return instants_localised(text or "", timezone.get_current_timezone(), _timeline_instant)


def _timeline_instant(moment: datetime, zone: tzinfo) -> str:
    return format_date(moment.astimezone(zone), "j M Y, H:i T")
