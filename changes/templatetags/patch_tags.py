"""Patch rollout panels for other pages, which never import changes: their templates load these
tags.

- `change_rollout_panel` (the change page): a patch rollout's progress and patches, with a link
  to its page.
- `ticket_patch_rollouts` (incident and problem pages, agents only): live rollouts for a CVE the
  ticket names or still pending on its configuration item.
"""

from typing import Any

from django import template

from changes.patches.selectors import (
    is_patch_rollout,
    rollout_advisories,
    rollout_progress,
    rollouts_for_ticket,
)
from changes.permissions import can_work_changes

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


@register.inclusion_tag("changes/patches/_ticket_panel.html", takes_context=True)
def ticket_patch_rollouts(context: template.Context, ticket: Any) -> dict[str, Any]:
    request = context.get("request")
    if request is None or not can_work_changes(getattr(request, "user", None)):
        return {"rollouts": []}
    return {"rollouts": rollouts_for_ticket(ticket)}
