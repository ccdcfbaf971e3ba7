"""The triage queue's rows as HTML strings, made without the template engine.

Fifty rows through templates/incidents/agent/_rows.html cost most of the queue's CPU (issue 18:
322 `date` filter calls, badge tags, nested includes). Each row is built here from pre-formatted
values instead (core.web.cells, sla.badge); the row template keeps the table's frame and the
empty state. Every value from the database is escaped.

A row's fingerprint leaves out the texts static/js/queue.js moves on in the browser (the age,
a 24x7 badge's time left and state): a row is sent again when what it was made from changes,
not because a minute passed.
"""

from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from hashlib import blake2b
from html import escape
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone

from core.templatetags.servicedesk import age
from core.tickets.describe import choice_label
from core.web.cells import day_month_time, day_time, iso, priority_badge_html, status_badge_html
from incidents.models import Incident
from incidents.selectors import QueueItem
from incidents.transitions import OPEN_STATUSES
from sla.badge import BadgeHtml

_SLOT = "number-slot"


@dataclass(frozen=True)
class RowViewer:
    """What a row shows that depends on who looks and from where, not on the incident: the
    viewer's time zone (read once per page, core.web.cells), and the incident page and claim
    URLs with a slot for the number (one reverse() each per request, not two per row)."""

    user_id: int
    refresh_url: str
    detail_url: str = ""
    claim_url: str = ""
    zone: tzinfo | None = None

    @classmethod
    def of(cls, user_id: int, refresh_url: str) -> "RowViewer":
        return cls(
            user_id,
            refresh_url,
            reverse("incidents:agent_detail", args=[_SLOT]),
            reverse("incidents:agent_claim", args=[_SLOT]),
            timezone.get_current_timezone(),
        )


# Where a claim form's CSRF input goes. Django masks the token afresh for every request, so the
# row's fingerprint is taken before it is put in: a refresh must not see every row as changed.
CSRF_SLOT = "<!--csrf-->"


# Where the row's age goes: it is the row's one text that moves on with every minute (the
# browser moves it on too, and the fingerprint leaves it out), so a kept row is kept without it.
AGE_SLOT = "<!--age-->"


def shown_row(html: str, created: datetime, csrf_input: str) -> str:
    """A row made by queue_row_html as this request shows it: its age now, and this request's
    CSRF input in its claim form."""
    return html.replace(AGE_SLOT, age(created), 1).replace(CSRF_SLOT, csrf_input, 1)


def _alert_state(incident: QueueItem, zone: tzinfo | None) -> str:
    firing = incident.alert_firing_since
    if firing is not None:
        return (
            ' <span class="badge badge-alert-firing" title="Its monitoring alert is still '
            f'firing">Alert firing since <time datetime="{iso(firing, zone)}">'
            f"{day_month_time(firing, zone)}</time></span>"
        )
    recovered = incident.alert_last_recovered_at
    if recovered is not None:
        return (
            ' <span class="badge badge-alert-recovered" title="Its monitoring alerts have '
            f'recovered">Alert recovered at <time datetime="{iso(recovered, zone)}">'
            f"{day_month_time(recovered, zone)}</time></span>"
        )
    return ""


def _paged(tier_index: int | None) -> str:
    if tier_index is None:
        return ""
    if tier_index > 0:
        return (
            ' <span class="badge badge-alert-firing" title="Paged; nobody has acknowledged yet, '
            "and the page has moved on to a higher tier's policy\">Paged · escalated</span>"
        )
    return (
        ' <span class="badge badge-alert-firing" title="Paged; nobody has acknowledged yet">'
        "Paged</span>"
    )


def _display_name(incident: QueueItem) -> str:
    """core.models.User.display_name of the assignee: the full name, else the username."""
    full = f"{incident.assignee_first_name} {incident.assignee_last_name}".strip()
    return full or incident.assignee_username or ""


@cache
def _tier_label(tier: int) -> str:
    return choice_label(Incident, "tier", tier)


def _assignee(incident: QueueItem, number: str, viewer: RowViewer) -> str:
    if incident.assignee_id is not None:
        you = ' <span class="muted">(you)</span>' if incident.assignee_id == viewer.user_id else ""
        return f"{escape(_display_name(incident))}{you}"
    if incident.status not in OPEN_STATUSES:
        return '<span class="muted">Unassigned</span>'
    claim = viewer.claim_url.replace(_SLOT, quote(incident.number))
    return (
        f'<form method="post" action="{claim}" class="inline-form claim-form" '
        f'id="claim-form-{number}" hx-post="{claim}" hx-target="#queue-status" '
        f'hx-swap="innerHTML">{CSRF_SLOT}'
        f'<input type="hidden" name="next" value="{escape(viewer.refresh_url)}">'
        f'<button type="submit" class="btn btn-small btn-secondary" id="claim-{number}">'
        f'Claim<span class="visually-hidden"> {number}</span></button></form>'
    )


_SLA_SLOT = "<!--sla-->"


def queue_row_html(incident: QueueItem, sla: BadgeHtml, viewer: RowViewer) -> tuple[str, str]:
    """The row's HTML (with AGE_SLOT where its age goes and CSRF_SLOT where a claim form's
    token goes: shown_row puts them in) and its fingerprint, which the row also carries as
    data-digest: taken over the row without its age text and with the badge's `digest_key` for
    the badge."""
    number = escape(incident.number)
    detail = viewer.detail_url.replace(_SLOT, quote(incident.number))
    major = ' <span class="badge badge-major">Major</span>' if incident.is_major else ""
    group = incident.support_group_name if incident.support_group_name is not None else "no group"
    service = incident.service_name if incident.service_name is not None else "—"
    created = incident.created_at
    cells = (
        f'<td class="col-select" data-label="Select"><label class="select-hit" '
        f'for="select-{number}"><input type="checkbox" class="row-select" name="incidents" '
        f'value="{number}" form="bulk-form" id="select-{number}"><span class="visually-hidden">'
        f"Select {number}</span></label></td>"
        f'<td data-label="Incident" class="col-title"><span class="row-number mono">{number}'
        f'</span> <a href="{detail}" id="open-{number}" class="row-link">'
        f"{escape(incident.title)}</a>{major}{_paged(incident.paged_tier_index)}"
        f"{_alert_state(incident, viewer.zone)}</td>"
        f'<td data-label="SLA" class="col-sla">{_SLA_SLOT}</td>'
        f'<td data-label="Priority" class="col-priority">'
        f"{priority_badge_html(Incident, incident.priority)}</td>"
        f'<td data-label="Status" class="col-status">'
        f"{status_badge_html(Incident, incident.status)}</td>"
        f'<td data-label="Tier · group" class="col-group"><span class="tier-tag">'
        f"{escape(_tier_label(incident.tier))}</span> {escape(group)}</td>"
        f'<td data-label="Assignee" class="col-assignee">{_assignee(incident, number, viewer)}'
        "</td>"
        f'<td data-label="Service" class="col-service">{escape(service)}</td>'
        f'<td data-label="Age" class="col-age nowrap"><time datetime="{iso(created, viewer.zone)}" '
        f'data-age title="Reported {day_time(created, viewer.zone)}">{AGE_SLOT}</time></td>'
    )
    digest = blake2b(
        f"{incident.priority}{sla.digest_key}{cells}".encode(), digest_size=6
    ).hexdigest()
    cells = cells.replace(_SLA_SLOT, sla.html, 1)
    return (
        f'<tr id="row-{number}" class="queue-row prio-row-{incident.priority}" '
        f'data-number="{number}" data-digest="{digest}">{cells}</tr>'
    ), digest
