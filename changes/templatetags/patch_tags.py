"""Patch rollout panels for other pages, which never import changes: their templates load these
tags.

- `change_rollout_panel` (the change page): a patch rollout's progress and patches, with a link
  to its page.
- `ticket_patch_rollouts` (incident and problem pages, agents only): live rollouts for a CVE the
  ticket names or still pending on its configuration item, written in Python
  (tests/changes/patches/test_patch_panel_html.py): through a template a row cost a URL tag, a
  badge tag and a date filter.
"""

from collections.abc import Sequence
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from changes.models import Change
from changes.patches.selectors import (
    is_patch_rollout,
    rollout_advisories,
    rollout_progress,
    rollouts_for_ticket,
)
from changes.permissions import can_work_changes
from core.web.cells import day_month_year, status_badge_html
from core.web.timeline_html import escape

register = template.Library()


@register.inclusion_tag("changes/patches/_change_panel.html")
def change_rollout_panel(change: Any) -> dict[str, Any]:
    if not is_patch_rollout(change):
        return {"show": False}
    return {
        "show": True,
        "change": change,
        "progress": rollout_progress(change),
        "advisories": list(rollout_advisories(change).values_list("vendor_id", "cve_id")),
    }


@register.simple_tag(takes_context=True)
def ticket_patch_rollouts(context: template.Context, ticket: Any) -> SafeString:
    request = context.get("request")
    if request is None or not can_work_changes(getattr(request, "user", None)):
        return rollouts_panel_html([])
    return rollouts_panel_html(rollouts_for_ticket(ticket))


_PANEL = (
    '\n<section class="card rollout-panel" aria-labelledby="ticket-rollouts-title">\n'
    '  <h2 id="ticket-rollouts-title">Patch rollouts</h2>\n'
    '  <p class="muted">For a CVE this ticket names, or still pending on its configuration '
    "item.</p>\n"
    '  <ul class="problem-links">\n'
    "    {rows}\n"
    "  </ul>\n"
    "</section>\n"
)


def rollouts_panel_html(rollouts: Sequence[Change]) -> SafeString:
    """The panel of `rollouts` (dates in the current zone); nothing without one."""
    rows = "".join(
        f'\n    <li><a href="{escape(reverse("changes:rollout", args=[change.number]))}" '
        f'class="mono">{escape(change.number)}</a> {escape(change.title)} '
        f"{status_badge_html(Change, change.status)}"
        f"{f' · {day_month_year(change.planned_start)}' if change.planned_start else ''}</li>"
        "\n    "
        for change in rollouts
    )
    panel = _PANEL.format(rows=rows) if rollouts else ""
    return mark_safe(f"\n{panel}\n")  # noqa: S308 (every value escaped above)
