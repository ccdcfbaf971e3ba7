"""Permission matrix: /api/v1/problems/ and its nested routes, /api/v1/known-errors/ (format in
tests/api/matrix/__init__.py).

Problems are agents' work: agents, managers and admins may do everything the lifecycle allows;
end users get a 403 on every route (the role is refused before any problem is looked up).
"""

from typing import Any

from django.utils import timezone

from problems.models import Problem, ProblemIncident
from tests.api.matrix import Case, MatrixContext, statuses
from tests.problems.factories import ProblemFactory


def problem(ctx: MatrixContext, **fields: Any) -> Problem:
    fields.setdefault("requester", ctx.users["agent_l1"])
    fields.setdefault("service", ctx.service)
    return ProblemFactory(**fields)  # type: ignore[no-any-return]


def in_status(status: str = "new", **fields: Any) -> Any:
    def setup(ctx: MatrixContext) -> dict[str, Any]:
        return {"number": problem(ctx, status=status, **fields).number}

    return setup


def linked(ctx: MatrixContext) -> dict[str, Any]:
    found = problem(ctx, status="investigating")
    ProblemIncident.objects.create(
        problem=found, incident=ctx.incident(status="logged"), linked_at=timezone.now()
    )
    return {"number": found.number}


def linked_incident(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    link = ProblemIncident.objects.get(problem__number=kwargs["number"])
    return {"incident": link.incident.number}


def new_incident(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"incident": ctx.incident(status="logged").number}


def with_attachment(ctx: MatrixContext) -> dict[str, Any]:
    found = problem(ctx)
    return {"number": found.number, "token": ctx.attachment(found, is_internal=True).token}


def body(**values: Any) -> Any:
    return lambda ctx, kwargs: values


def assign_body(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    agent = ctx.users["agent_l1"]
    assert agent is not None
    return {"assignee": agent.pk}


AGENTS = statuses(end_user=403, agent=200)
AGENTS_CREATE = statuses(end_user=403, agent=201)

CASES = [
    Case("problems-list", "get", AGENTS),
    Case("problems-list", "post", AGENTS_CREATE, body=body(title="Mail keeps failing")),
    Case("problems-detail", "get", AGENTS, setup=in_status()),
    Case(
        "problems-detail",
        "get",
        statuses(end_user=403, agent=404),
        setup=lambda ctx: {"number": "PRB-424242"},
        note="unknown number",
    ),
    Case("problems-detail", "patch", AGENTS, setup=in_status(), body=body(priority=2)),
    Case("problems-investigate", "post", AGENTS, setup=in_status("new")),
    Case(
        "problems-known-error",
        "post",
        AGENTS,
        setup=in_status("investigating"),
        body=body(root_cause="Cert expired.", workaround="Use webmail."),
    ),
    Case(
        "problems-resolve",
        "post",
        AGENTS,
        setup=in_status("investigating"),
        body=body(root_cause="Cert expired.", permanent_fix="Renewed."),
    ),
    Case("problems-close", "post", AGENTS, setup=in_status("resolved")),
    Case(
        "problems-reopen", "post", AGENTS, setup=in_status("resolved"), body=body(reason="Again.")
    ),
    Case("problems-cancel", "post", AGENTS, setup=in_status(), body=body(cancel_reason="Dup.")),
    Case("problems-analysis", "post", AGENTS, setup=in_status(), body=body(symptoms="Bounces.")),
    Case("problems-assign", "post", AGENTS, setup=in_status("investigating"), body=assign_body),
    Case("problems-claim", "post", AGENTS, setup=in_status("investigating")),
    Case("problems-incidents", "get", AGENTS, setup=linked),
    Case("problems-link-incident", "post", AGENTS_CREATE, setup=in_status(), body=new_incident),
    Case(
        "problems-unlink-incident",
        "post",
        statuses(end_user=403, agent=204),
        setup=linked,
        body=linked_incident,
    ),
    Case(
        "problems-resolve-incidents",
        "post",
        AGENTS,
        setup=in_status("resolved", permanent_fix="Renewed."),
        body=body(incident_resolution_code="fixed"),
    ),
    Case("problems-comments", "get", AGENTS, setup=in_status()),
    Case("problems-comments", "post", AGENTS_CREATE, setup=in_status(), body=body(body="Note.")),
    Case("problems-attachments", "get", AGENTS, setup=in_status()),
    Case(
        "problems-attachments",
        "post",
        AGENTS_CREATE,
        setup=in_status(),
        body=lambda ctx, kw: {"file": ctx.upload()},
        content="multipart",
    ),
    Case("problems-attachment-download", "get", AGENTS, setup=with_attachment),
    Case("problems-timeline", "get", AGENTS, setup=in_status()),
    Case("known-errors-list", "get", AGENTS),
]
