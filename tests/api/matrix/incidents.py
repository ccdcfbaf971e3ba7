"""Permission matrix: /api/v1/incidents/ and its nested routes (see tests/api/matrix/__init__.py).

Requesters see only their own incidents (someone else's is a 404 for them), may report, reply,
attach, and only close or reopen; agents, managers and admins may do everything the lifecycle
allows. Tokens need `read` for GET and `write` otherwise.
"""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.api.matrix import Case, MatrixContext, statuses


def own(status: str = "identified", **fields: Any) -> Any:
    """Setup: an incident of the end user in `status`; URL kwargs {"number": ...}."""

    def setup(ctx: MatrixContext) -> dict[str, Any]:
        return {"number": ctx.incident(status=status, **fields).number}

    return setup


def others(status: str = "identified", **fields: Any) -> Any:
    """Setup: an incident of another end user (out of the end user's scope)."""

    def setup(ctx: MatrixContext) -> dict[str, Any]:
        return {
            "number": ctx.incident(status=status, requester=ctx.other_end_user, **fields).number
        }

    return setup


def with_attachment(ctx: MatrixContext) -> dict[str, Any]:
    incident = ctx.incident(status="logged")
    return {"number": incident.number, "token": ctx.attachment(incident).token}


def with_internal_attachment(ctx: MatrixContext) -> dict[str, Any]:
    incident = ctx.incident(status="logged")
    return {"number": incident.number, "token": ctx.attachment(incident, is_internal=True).token}


def classify_body(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"category": "software", "impact": "low", "urgency": "low", "service": ctx.service.pk}


def assign_body(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    agent = ctx.users["agent_l1"]
    assert agent is not None
    return {"assignee": agent.pk}


def reason(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"reason": "Needs the next tier."}


def restored_body(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Between the report (an hour ago) and the resolution (5 minutes ago) of `ctx.incident`."""
    return {"service_restored_at": (timezone.now() - timedelta(minutes=30)).isoformat()}


def file_body(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"file": ctx.upload()}


AGENT_ONLY = statuses(end_user=403, agent=200)
AGENT_ONLY_OTHERS = statuses(end_user=404, agent=200)

CASES = [
    # --- list and create -----------------------------------------------------------------
    Case("incidents-list", "get", statuses(end_user=200, agent=200)),
    Case(
        "incidents-list",
        "post",
        statuses(end_user=201, agent=201),
        body=lambda ctx, kw: {"title": "Mail is down", "service": ctx.service.pk},
    ),
    # --- one incident --------------------------------------------------------------------
    Case("incidents-detail", "get", statuses(end_user=200, agent=200), setup=own()),
    Case(
        "incidents-detail",
        "get",
        AGENT_ONLY_OTHERS,
        setup=others(),
        note="someone else's",
    ),
    Case(
        "incidents-detail",
        "patch",
        AGENT_ONLY,
        setup=own("logged"),
        body=lambda ctx, kw: {"title": "Renamed"},
    ),
    Case(
        "incidents-detail",
        "patch",
        AGENT_ONLY_OTHERS,
        setup=others("logged"),
        body=lambda ctx, kw: {"title": "Renamed"},
        note="someone else's",
    ),
    # --- lifecycle -------------------------------------------------------------------------
    Case("incidents-accept", "post", AGENT_ONLY, setup=own("identified")),
    Case("incidents-accept", "post", AGENT_ONLY_OTHERS, setup=others(), note="someone else's"),
    Case("incidents-classify", "post", AGENT_ONLY, setup=own("logged"), body=classify_body),
    Case(
        "incidents-contain",
        "post",
        AGENT_ONLY,
        setup=own("classified"),
        body=lambda ctx, kw: {"containment_notes": "Isolated the host."},
    ),
    Case(
        "incidents-diagnose",
        "post",
        AGENT_ONLY,
        setup=own("classified"),
        body=lambda ctx, kw: {"diagnosis_notes": "Disk full."},
    ),
    Case(
        "incidents-resolve",
        "post",
        AGENT_ONLY,
        setup=own("classified"),
        body=lambda ctx, kw: {"resolution_code": "fixed", "resolution_notes": "Freed space."},
    ),
    Case(
        "incidents-close",
        "post",
        statuses(end_user=200, agent=200),
        setup=own("resolved"),
        note="requester confirms",
    ),
    Case("incidents-close", "post", AGENT_ONLY_OTHERS, setup=others("resolved"), note="others"),
    Case(
        "incidents-reopen",
        "post",
        statuses(end_user=200, agent=200),
        setup=own("resolved"),
        body=reason,
    ),
    Case(
        "incidents-reopen",
        "post",
        AGENT_ONLY_OTHERS,
        setup=others("resolved"),
        body=reason,
        note="someone else's",
    ),
    # --- category: to or from security changes who sees it (incidents.visibility) -----------
    Case(
        "incidents-recategorize",
        "post",
        AGENT_ONLY,
        setup=own("classified", category="hardware"),
        body=lambda ctx, kw: {"category": "software", "reason": "Driver, not hardware."},
    ),
    Case(
        "incidents-recategorize",
        "post",
        statuses(end_user=403, agent=204, manager=200, admin=200),
        setup=own("classified", category="software"),
        body=lambda ctx, kw: {"category": "security", "reason": "Malware found."},
        note="agents outside the security team lose sight of it: 204",
    ),
    Case(
        "incidents-detail",
        "get",
        statuses(end_user=200, agent=404, manager=200, admin=200),
        setup=own("classified", category="security"),
        note="a security incident: its requester, managers and the security team only",
    ),
    Case(
        "incidents-hold",
        "post",
        AGENT_ONLY,
        setup=own("logged"),
        body=lambda ctx, kw: {"on_hold_reason": "awaiting_user"},
    ),
    Case("incidents-resume", "post", AGENT_ONLY, setup=own("on_hold")),
    Case(
        "incidents-cancel",
        "post",
        AGENT_ONLY,
        setup=own("identified"),
        body=lambda ctx, kw: {"cancel_reason": "duplicate"},
    ),
    Case(
        "incidents-service-restored",
        "post",
        AGENT_ONLY,
        setup=own("resolved"),
        body=restored_body,
    ),
    Case(
        "incidents-service-restored",
        "post",
        AGENT_ONLY_OTHERS,
        setup=others("resolved"),
        body=restored_body,
        note="someone else's",
    ),
    # --- work: assignment and tiers -------------------------------------------------------
    Case("incidents-assign", "post", AGENT_ONLY, setup=own("logged"), body=assign_body),
    Case("incidents-claim", "post", AGENT_ONLY, setup=own("logged")),
    Case("incidents-claim", "post", AGENT_ONLY_OTHERS, setup=others("logged"), note="others"),
    Case("incidents-escalate", "post", AGENT_ONLY, setup=own("logged"), body=reason),
    Case(
        "incidents-deescalate",
        "post",
        AGENT_ONLY,
        setup=lambda ctx: {
            "number": ctx.incident(status="logged", tier=2, support_group=ctx.groups[2]).number
        },
        body=reason,
    ),
    # --- conversation ---------------------------------------------------------------------
    Case("incidents-comments", "get", statuses(end_user=200, agent=200), setup=own()),
    Case("incidents-comments", "get", AGENT_ONLY_OTHERS, setup=others(), note="someone else's"),
    Case(
        "incidents-comments",
        "post",
        statuses(end_user=201, agent=201),
        setup=own("logged"),
        body=lambda ctx, kw: {"body": "Any news?"},
    ),
    Case(
        "incidents-comments",
        "post",
        statuses(end_user=403, agent=201),
        setup=own("logged"),
        body=lambda ctx, kw: {"body": "Internal note.", "is_internal": True},
        note="internal note",
    ),
    Case(
        "incidents-comments",
        "post",
        statuses(end_user=404, agent=201),
        setup=others("logged"),
        body=lambda ctx, kw: {"body": "Hello"},
        note="someone else's",
    ),
    Case("incidents-attachments", "get", statuses(end_user=200, agent=200), setup=own()),
    Case(
        "incidents-attachments",
        "post",
        statuses(end_user=201, agent=201),
        setup=own("logged"),
        body=file_body,
        content="multipart",
    ),
    Case(
        "incidents-attachments",
        "post",
        statuses(end_user=404, agent=201),
        setup=others("logged"),
        body=file_body,
        content="multipart",
        note="someone else's",
    ),
    Case(
        "incidents-attachment-download",
        "get",
        statuses(end_user=200, agent=200),
        setup=with_attachment,
    ),
    Case(
        "incidents-attachment-download",
        "get",
        statuses(end_user=404, agent=200),
        setup=with_internal_attachment,
        note="internal file",
    ),
    Case("incidents-timeline", "get", statuses(end_user=200, agent=200), setup=own()),
    Case("incidents-timeline", "get", AGENT_ONLY_OTHERS, setup=others(), note="someone else's"),
]
