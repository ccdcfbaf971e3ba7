"""`{% paging_panel %}`: the Paging panel of every kind's agent ticket page (its pages with who
was notified through what and who acknowledged, Acknowledge / End paging, and "Page the
on-call"). A template library rather than a kernel import, as email_intake's links are: core
never imports the on-call app. Two queries whatever the number of pages and notifications
(pages, their notifications), none for a ticket never paged (core.tickets.panel_rows); the
groups one can page are memoised per process."""

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from core.choices import Source
from core.models import SupportGroup, TicketBase
from core.roles import is_agent
from core.tickets.kinds import kind_of
from core.tickets.panel_rows import has_panel_rows
from core.web.field_row import field_row
from oncall.models import PageStatus
from oncall.paging.forms import PageTicketForm
from oncall.paging.ticket_panel import (
    PAGES,
    PAGING_GROUPS_MEMO,
    page_position,
    paging_groups,
    ticket_pages,
)

register = template.Library()

_VIA = {str(source.value): str(source.label) for source in Source}


def _form_rows(groups: list[SupportGroup], group_id: int | None) -> SafeString:
    """The "Page the on-call" form's fields (`{% field_row %}` of each), written once per
    process and group the form starts on, and kept with the groups (PAGING_GROUPS_MEMO, renewed
    when a group or an escalation policy changes): the form and its select were made on every
    agent ticket page, about 0.6 ms of its CPU (issue 18)."""
    initial = group_id if group_id in {group.pk for group in groups} else None

    def rows() -> SafeString:
        form = PageTicketForm(groups=groups)
        if initial is not None:
            form.initial["support_group"] = initial
        return mark_safe("".join(field_row(field) for field in form.visible_fields()))  # noqa: S308 (field_row escapes every value)

    return PAGING_GROUPS_MEMO.get(("form rows", initial), rows)


@register.inclusion_tag("oncall/_ticket_pages.html", takes_context=True)
def paging_panel(context: template.Context, ticket: TicketBase) -> dict[str, Any]:
    user = context.get("user")
    if user is None or not is_agent(user):
        return {"show": False}
    pages = ticket_pages(ticket) if has_panel_rows(ticket, PAGES) else []
    live = next((page for page in pages if page.status == PageStatus.TRIGGERED), None)
    is_open = getattr(ticket, "status", "") in kind_of(ticket).lifecycle.open
    can_page = is_open and live is None
    groups = paging_groups() if can_page else []
    form_rows = _form_rows(groups, ticket.support_group_id) if can_page else ""
    return {
        "show": True,
        "ticket": ticket,
        "rows": [
            {
                "page": page,
                "position": page_position(page),
                "via": _VIA.get(page.acknowledged_via, ""),
            }
            for page in pages
        ],
        "live": live,
        "is_open": is_open,
        "form_rows": form_rows,
        "groups": groups,
        "next": context["request"].get_full_path() if "request" in context else "",
        "csrf_token": context.get("csrf_token"),
        "kind_name": kind_of(ticket).name,
    }
