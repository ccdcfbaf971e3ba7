"""Every write to a change, by what it does: raising and editing (creation), the lifecycle
(lifecycle), the advisory group's decisions (approvals), links to problems and incidents
(links), and closing with the problems it fixes (closed_loop). Only agents write changes; each
service opens its own transaction (nested calls join the caller's)."""

from changes.services.approvals import approvals_required_for, change_decide
from changes.services.closed_loop import change_close, change_close_review
from changes.services.creation import (
    change_create,
    change_create_from_template,
    change_update_details,
)
from changes.services.lifecycle import (
    change_assess,
    change_back_out,
    change_cancel,
    change_complete,
    change_fail,
    change_review,
    change_revise,
    change_schedule,
    change_start,
    change_start_emergency,
    change_submit,
)
from changes.services.links import (
    change_link_incident,
    change_link_problem,
    change_unlink_incident,
    change_unlink_problem,
)

__all__ = [
    "approvals_required_for",
    "change_assess",
    "change_back_out",
    "change_cancel",
    "change_close",
    "change_close_review",
    "change_complete",
    "change_create",
    "change_create_from_template",
    "change_decide",
    "change_fail",
    "change_link_incident",
    "change_link_problem",
    "change_review",
    "change_revise",
    "change_schedule",
    "change_start",
    "change_start_emergency",
    "change_submit",
    "change_unlink_incident",
    "change_unlink_problem",
    "change_update_details",
]
