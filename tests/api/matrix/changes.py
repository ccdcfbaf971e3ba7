"""Permission matrix: /api/v1/changes/ and its nested routes, /api/v1/change-templates/ (format
in tests/api/matrix/__init__.py).

Change templates: agents read them (active and retired); managers and admins create, change,
retire and reactivate them, other agents get a 403.

Changes are agents' work: agents, managers and admins may do everything the lifecycle allows;
end users get a 403 on every route (the role is refused before any change is looked up). Only
managers and members of the change's advisory group decide on it: other agents get a 409.
"""

from typing import Any

from django.utils import timezone

from changes.models import Change, ChangeIncident, ChangeProblem
from problems.choices import ProblemStatus
from tests.api.matrix import Case, MatrixContext, statuses
from tests.changes.factories import ChangeFactory, ChangeTemplateFactory, assessed
from tests.factories import SupportGroupFactory
from tests.problems.factories import ProblemFactory


def change(ctx: MatrixContext, **fields: Any) -> Change:
    fields.setdefault("requester", ctx.users["agent_l1"])
    fields.setdefault("service", ctx.service)
    fields = {**assessed(), **fields}
    return ChangeFactory(**fields)  # type: ignore[no-any-return]


def in_status(status: str = "draft", **fields: Any) -> Any:
    def setup(ctx: MatrixContext) -> dict[str, Any]:
        return {"number": change(ctx, status=status, **fields).number}

    return setup


def awaiting_a_board(ctx: MatrixContext) -> dict[str, Any]:
    """Awaiting approval by a board none of the agents of the matrix sits on."""
    board = SupportGroupFactory(name="Matrix CAB")
    return {"number": change(ctx, status="awaiting_approval", approval_group=board).number}


def with_links(ctx: MatrixContext) -> dict[str, Any]:
    found = change(ctx, status="assessing")
    now = timezone.now()
    ChangeProblem.objects.create(change=found, problem=ProblemFactory(), linked_at=now)
    ChangeIncident.objects.create(
        change=found, incident=ctx.incident(status="logged"), linked_at=now
    )
    return {"number": found.number}


def linked(field: str) -> Any:
    def make(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
        found = Change.objects.get(number=kwargs["number"])
        if field == "problem":
            return {"problem": found.problem_links.get().problem.number}
        return {"incident": found.incident_links.get().incident.number}

    return make


def with_attachment(ctx: MatrixContext) -> dict[str, Any]:
    found = change(ctx)
    return {"number": found.number, "token": ctx.attachment(found, is_internal=True).token}


def body(**values: Any) -> Any:
    return lambda ctx, kwargs: values


def assign_body(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    agent = ctx.users["agent_l1"]
    assert agent is not None
    return {"assignee": agent.pk}


def new_problem(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"problem": ProblemFactory(status=ProblemStatus.INVESTIGATING).number}


def new_incident(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"incident": ctx.incident(status="logged").number}


def with_template(ctx: MatrixContext) -> dict[str, Any]:
    ChangeTemplateFactory(name="Matrix template", service=ctx.service)
    return {}


def a_template(active: bool = True) -> Any:
    def setup(ctx: MatrixContext) -> dict[str, Any]:
        made = ChangeTemplateFactory(name="Matrix template", service=ctx.service, is_active=active)
        return {"pk": made.pk}

    return setup


def new_template(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "Matrix restart",
        "service": ctx.service.pk,
        "risk": "low",
        "impact": "degraded",
        "implementation_plan": "Restart the relay.",
        "test_plan": "Send a test mail.",
        "backout_plan": "Start the old relay.",
    }


AGENTS = statuses(end_user=403, agent=200)
AGENTS_CREATE = statuses(end_user=403, agent=201)
MANAGERS = statuses(end_user=403, agent=403, manager=200, admin=200)
MANAGERS_CREATE = statuses(end_user=403, agent=403, manager=201, admin=201)
NOW = timezone.now

CASES = [
    Case("changes-list", "get", AGENTS),
    Case("changes-list", "post", AGENTS_CREATE, body=body(title="Upgrade the relay")),
    Case("changes-detail", "get", AGENTS, setup=in_status()),
    Case(
        "changes-detail",
        "get",
        statuses(end_user=403, agent=404),
        setup=lambda ctx: {"number": "CHG-424242"},
        note="unknown number",
    ),
    Case("changes-detail", "patch", AGENTS, setup=in_status(), body=body(title="Renamed")),
    Case("changes-assess", "post", AGENTS, setup=in_status()),
    Case(
        "changes-submit",
        "post",
        AGENTS,
        setup=lambda ctx: {
            "number": change(ctx, status="assessing", approval_group=ctx.groups[1]).number
        },
    ),
    Case("changes-revise", "post", AGENTS, setup=in_status("rejected"), body=body(reason="Fixed.")),
    Case("changes-schedule", "post", AGENTS, setup=in_status("approved")),
    Case("changes-schedule-standard", "post", AGENTS, setup=in_status(change_type="standard")),
    Case("changes-start", "post", AGENTS, setup=in_status("scheduled")),
    Case("changes-start-emergency", "post", AGENTS, setup=in_status(change_type="emergency")),
    Case("changes-complete", "post", AGENTS, setup=in_status("implementing")),
    Case(
        "changes-fail",
        "post",
        AGENTS,
        setup=in_status("implementing"),
        body=body(outcome_notes="Broke."),
    ),
    Case(
        "changes-back-out",
        "post",
        AGENTS,
        setup=in_status("implementing"),
        body=body(outcome_notes="Rolled back."),
    ),
    Case("changes-review", "post", AGENTS, setup=in_status("implemented")),
    Case(
        "changes-close",
        "post",
        AGENTS,
        setup=lambda ctx: {
            "number": change(ctx, status="implemented", implemented_at=NOW()).number
        },
    ),
    Case(
        "changes-close-review",
        "post",
        AGENTS,
        setup=in_status("in_review"),
        body=body(review_notes="Fine."),
    ),
    Case("changes-cancel", "post", AGENTS, setup=in_status(), body=body(cancel_reason="No.")),
    Case("changes-assign", "post", AGENTS, setup=in_status("assessing"), body=assign_body),
    Case("changes-claim", "post", AGENTS, setup=in_status("assessing")),
    Case(
        "changes-decide",
        "post",
        statuses(end_user=403, agent=409, manager=200, admin=200),
        setup=awaiting_a_board,
        body=body(decision="approved"),
        note="only managers and the board's members decide",
    ),
    Case("changes-link-problem", "post", AGENTS, setup=in_status(), body=new_problem),
    Case("changes-link-incident", "post", AGENTS, setup=in_status(), body=new_incident),
    Case("changes-unlink-problem", "post", AGENTS, setup=with_links, body=linked("problem")),
    Case("changes-unlink-incident", "post", AGENTS, setup=with_links, body=linked("incident")),
    Case("changes-links", "get", AGENTS, setup=with_links),
    Case("changes-comments", "get", AGENTS, setup=in_status()),
    Case(
        "changes-comments",
        "post",
        AGENTS_CREATE,
        setup=in_status(),
        body=body(body="Note.", is_internal=True),
    ),
    Case(
        "changes-comments",
        "post",
        statuses(end_user=403, agent=400),
        setup=in_status(),
        body=body(body="Hello?"),
        note="no public reply on a change",
    ),
    Case("changes-attachments", "get", AGENTS, setup=in_status()),
    Case(
        "changes-attachments",
        "post",
        AGENTS_CREATE,
        setup=in_status(),
        body=lambda ctx, kw: {"file": ctx.upload()},
        content="multipart",
    ),
    Case("changes-attachment-download", "get", AGENTS, setup=with_attachment),
    Case("changes-timeline", "get", AGENTS, setup=in_status()),
    Case("change-templates-list", "get", AGENTS, setup=with_template),
    Case("change-templates-list", "post", MANAGERS_CREATE, body=new_template),
    Case("change-templates-detail", "get", AGENTS, setup=a_template(active=False)),
    Case(
        "change-templates-detail",
        "patch",
        MANAGERS,
        setup=a_template(),
        body=body(name="Renamed template"),
    ),
    Case("change-templates-retire", "post", MANAGERS, setup=a_template()),
    Case("change-templates-reactivate", "post", MANAGERS, setup=a_template(active=False)),
]
