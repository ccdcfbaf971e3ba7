"""Who may do what to a service request; shared by the HTML views, the API and (through the
kind registry) the kernel's executor."""

from core.models import User
from core.roles import is_agent
from service_requests.choices import ApprovalMode
from service_requests.models import ServiceRequest

# What a requester may do to their own request: withdraw it, or confirm it was fulfilled.
REQUESTER_ACTIONS = frozenset({"close", "cancel"})
APPROVER_ACTIONS = frozenset({"approve", "reject"})
# Run by request_create only: a request goes to its approver as it is submitted.
SYSTEM_ACTIONS = frozenset({"submit_for_approval"})


def approver_group_ids(user: User) -> frozenset[int]:
    """The auth groups the user belongs to, memoised on the user object for the request."""
    cached: frozenset[int] | None = getattr(user, "_approver_group_ids", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("id", flat=True))
        setattr(user, "_approver_group_ids", cached)  # noqa: B010 — a per-request memo
    return cached


def can_approve(user: User, request: ServiceRequest) -> bool:
    """The request's approver: the requester's manager it was sent to, or any member of the
    approver group. Nobody approves their own request."""
    if not user.is_active or request.requester_id == user.pk:
        return False
    if request.approval_mode == ApprovalMode.MANAGER:
        return request.approver_id == user.pk
    if request.approval_mode == ApprovalMode.GROUP:
        return request.approver_group_id in approver_group_ids(user)
    return False


def can_perform(user: User | None, request: ServiceRequest, action: str) -> bool:
    """None is the system, which may do anything the table allows."""
    if user is None:
        return True
    if action in SYSTEM_ACTIONS:
        return False
    if action in APPROVER_ACTIONS:
        return can_approve(user, request)
    if is_agent(user):
        return True
    return action in REQUESTER_ACTIONS and request.requester_id == user.pk


def request_permission(user: User | None, request: ServiceRequest, action: str) -> str | None:
    if can_perform(user, request, action):
        return None
    return "You are not allowed to do that to this request."


def can_work(user: User) -> bool:
    """Assign, tick tasks, write internal notes, convert."""
    return is_agent(user)
