"""Permission matrix: /api/v1/requests/ and its nested routes, /api/v1/catalog-items/ (format in
tests/api/matrix/__init__.py).

Requesters see their own requests (someone else's is a 404), may request, reply, attach,
withdraw (cancel) and confirm (close); the approver a request was sent to sees it and approves or
rejects it, nobody else may (403 when the request is in scope, 404 when not: an agent who is not
the approver gets 403, the admin too); agents do everything else. The catalog is readable by
everyone signed in.
"""

from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from core.choices import Source
from service_requests import services
from service_requests.choices import ApprovalMode
from service_requests.models import CatalogCategory, CatalogItem, CatalogTask, ServiceRequest
from tests.api.matrix import Case, MatrixContext, statuses


def catalog_item(ctx: MatrixContext, *, approval: str = ApprovalMode.NONE) -> CatalogItem:
    """The catalog item for `approval` (one fulfilment task, fulfilled by the L1 group); with
    group approval, the end user is a member of its approver group."""
    category, _ = CatalogCategory.objects.get_or_create(slug="matrix", defaults={"name": "Matrix"})
    extra: dict[str, Any] = {}
    if approval == ApprovalMode.GROUP:
        group, _ = Group.objects.get_or_create(name="Matrix approvers")
        assert ctx.users["end_user"] is not None
        ctx.users["end_user"].groups.add(group)
        extra["approver_group"] = group
    item, created = CatalogItem.objects.get_or_create(
        slug=f"matrix-{approval}",
        defaults={
            "category": category,
            "name": f"Matrix {approval}",
            "summary": "For the permission matrix",
            "support_group": ctx.groups[1],
            "approval_mode": approval,
            **extra,
        },
    )
    if created:
        CatalogTask.objects.create(item=item, title="Do the thing")
    return item


def service_request(
    ctx: MatrixContext, *, mine: bool = True, approval: str = ApprovalMode.NONE, **fields: Any
) -> ServiceRequest:
    """A request submitted through the service, then put in the given state directly."""
    requester = ctx.users["end_user"] if mine else ctx.other_end_user
    assert requester is not None
    if approval == ApprovalMode.MANAGER:
        requester.manager = ctx.users["manager"]
        requester.save(update_fields=["manager"])
    created = services.request_create(
        requester=requester,
        item=catalog_item(ctx, approval=approval),
        answers={},
        source=Source.API,
    )
    if fields:
        ServiceRequest.objects.filter(pk=created.pk).update(updated_at=timezone.now(), **fields)
        created.refresh_from_db()
    return created


def own(**fields: Any) -> Any:
    def setup(ctx: MatrixContext) -> dict[str, Any]:
        return {"number": service_request(ctx, **fields).number}

    return setup


def others(**fields: Any) -> Any:
    def setup(ctx: MatrixContext) -> dict[str, Any]:
        return {"number": service_request(ctx, mine=False, **fields).number}

    return setup


def with_item(ctx: MatrixContext) -> dict[str, Any]:
    catalog_item(ctx)
    return {}


def fulfillable(ctx: MatrixContext) -> dict[str, Any]:
    """In fulfilment with every task done."""
    sr = service_request(ctx, status="in_fulfilment")
    sr.tasks.update(is_done=True)
    return {"number": sr.number}


def with_task(ctx: MatrixContext) -> dict[str, Any]:
    sr = service_request(ctx, status="in_fulfilment")
    return {"number": sr.number, "task_id": sr.tasks.get().pk}


def with_attachment(internal: bool) -> Any:
    def setup(ctx: MatrixContext) -> dict[str, Any]:
        sr = service_request(ctx)
        return {"number": sr.number, "token": ctx.attachment(sr, is_internal=internal).token}

    return setup


def assign_to_agent_l1(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    agent = ctx.users["agent_l1"]
    assert agent is not None
    return {"assignee": agent.pk}


def body(**values: Any) -> Any:
    return lambda ctx, kwargs: values


ALL = statuses(end_user=200, agent=200)
AGENT_ONLY = statuses(end_user=403, agent=200)
AGENT_ONLY_OTHERS = statuses(end_user=404, agent=200)
# Manager approval: only the requester's manager (the manager role here) decides.
MANAGER_DECIDES = statuses(end_user=403, agent=403, manager=200)
# Group approval of someone else's request: only the approver group's member (the end user).
GROUP_MEMBER_DECIDES = statuses(end_user=200, agent=403)

CASES = [
    # --- list, create, approvals ---------------------------------------------------------
    Case("requests-list", "get", ALL),
    Case(
        "requests-list",
        "post",
        statuses(end_user=201, agent=201),
        setup=with_item,
        body=body(catalog_item="matrix-none", details="Please."),
    ),
    Case("requests-approvals", "get", ALL),
    # --- one request -----------------------------------------------------------------------
    Case("requests-detail", "get", ALL, setup=own()),
    Case("requests-detail", "get", AGENT_ONLY_OTHERS, setup=others(), note="someone else's"),
    Case(
        "requests-detail",
        "get",
        statuses(end_user=200, agent=200),
        setup=others(approval=ApprovalMode.GROUP),
        note="sent to the end user for approval",
    ),
    # --- approval ----------------------------------------------------------------------------
    Case(
        "requests-approve",
        "post",
        MANAGER_DECIDES,
        setup=own(approval=ApprovalMode.MANAGER),
        body=body(comment="Fine."),
        note="by the requester's manager",
    ),
    Case(
        "requests-approve",
        "post",
        GROUP_MEMBER_DECIDES,
        setup=others(approval=ApprovalMode.GROUP),
        body=body(),
        note="by the approver group",
    ),
    Case(
        "requests-approve",
        "post",
        statuses(end_user=404, agent=403, manager=200),
        setup=others(approval=ApprovalMode.MANAGER),
        body=body(),
        note="someone else's, not sent to the end user",
    ),
    Case(
        "requests-reject",
        "post",
        MANAGER_DECIDES,
        setup=own(approval=ApprovalMode.MANAGER),
        body=body(reason="Not this year."),
    ),
    Case(
        "requests-reject",
        "post",
        GROUP_MEMBER_DECIDES,
        setup=others(approval=ApprovalMode.GROUP),
        body=body(reason="No."),
        note="by the approver group",
    ),
    # --- fulfilment ------------------------------------------------------------------------
    Case("requests-start", "post", AGENT_ONLY, setup=own()),
    Case("requests-start", "post", AGENT_ONLY_OTHERS, setup=others(), note="someone else's"),
    Case(
        "requests-fulfil",
        "post",
        AGENT_ONLY,
        setup=fulfillable,
        body=body(fulfilment_notes="Done."),
    ),
    Case(
        "requests-close",
        "post",
        ALL,
        setup=own(status="fulfilled", fulfilled_at=timezone.now()),
        note="the requester confirms",
    ),
    Case(
        "requests-close",
        "post",
        AGENT_ONLY_OTHERS,
        setup=others(status="fulfilled", fulfilled_at=timezone.now()),
        note="someone else's",
    ),
    Case(
        "requests-hold", "post", AGENT_ONLY, setup=own(), body=body(on_hold_reason="awaiting_user")
    ),
    Case(
        "requests-resume",
        "post",
        AGENT_ONLY,
        setup=own(status="on_hold", status_before_hold="submitted", on_hold_reason="awaiting_user"),
    ),
    Case(
        "requests-cancel",
        "post",
        ALL,
        setup=own(),
        body=body(cancel_reason="withdrawn"),
        note="the requester withdraws",
    ),
    Case(
        "requests-cancel",
        "post",
        AGENT_ONLY_OTHERS,
        setup=others(),
        body=body(cancel_reason="duplicate"),
        note="someone else's",
    ),
    Case("requests-assign", "post", AGENT_ONLY, setup=own(), body=assign_to_agent_l1),
    Case("requests-claim", "post", AGENT_ONLY, setup=own()),
    Case("requests-claim", "post", AGENT_ONLY_OTHERS, setup=others(), note="someone else's"),
    Case("requests-escalate", "post", AGENT_ONLY, setup=own(), body=body(reason="Needs L2.")),
    Case(
        "requests-deescalate",
        "post",
        AGENT_ONLY,
        setup=lambda ctx: {
            "number": service_request(ctx, tier=2, support_group=ctx.groups[2]).number
        },
        body=body(reason="Back to L1."),
    ),
    Case("requests-tasks", "get", ALL, setup=own()),
    Case("requests-tasks", "get", AGENT_ONLY_OTHERS, setup=others(), note="someone else's"),
    Case("requests-task", "patch", AGENT_ONLY, setup=with_task, body=body(is_done=True)),
    # --- conversation ----------------------------------------------------------------------
    Case("requests-comments", "get", ALL, setup=own()),
    Case("requests-comments", "get", AGENT_ONLY_OTHERS, setup=others(), note="someone else's"),
    Case(
        "requests-comments",
        "get",
        statuses(end_user=404, agent=200),
        setup=others(approval=ApprovalMode.GROUP),
        note="approvers do not join the conversation",
    ),
    Case(
        "requests-comments",
        "post",
        statuses(end_user=201, agent=201),
        setup=own(),
        body=body(body="Any news?"),
    ),
    Case(
        "requests-comments",
        "post",
        statuses(end_user=403, agent=201),
        setup=own(),
        body=body(body="Internal.", is_internal=True),
        note="internal note",
    ),
    Case(
        "requests-comments",
        "post",
        statuses(end_user=404, agent=201),
        setup=others(),
        body=body(body="Hello"),
        note="someone else's",
    ),
    Case("requests-attachments", "get", ALL, setup=own()),
    Case(
        "requests-attachments",
        "post",
        statuses(end_user=201, agent=201),
        setup=own(),
        body=lambda ctx, kw: {"file": ctx.upload()},
        content="multipart",
    ),
    Case(
        "requests-attachments",
        "post",
        statuses(end_user=404, agent=201),
        setup=others(),
        body=lambda ctx, kw: {"file": ctx.upload()},
        content="multipart",
        note="someone else's",
    ),
    Case("requests-attachment-download", "get", ALL, setup=with_attachment(internal=False)),
    Case(
        "requests-attachment-download",
        "get",
        statuses(end_user=404, agent=200),
        setup=with_attachment(internal=True),
        note="internal file",
    ),
    Case("requests-timeline", "get", ALL, setup=own()),
    Case("requests-timeline", "get", AGENT_ONLY_OTHERS, setup=others(), note="someone else's"),
    Case(
        "requests-timeline",
        "get",
        ALL,
        setup=others(approval=ApprovalMode.GROUP),
        note="sent to the end user for approval",
    ),
    # --- catalog -----------------------------------------------------------------------------
    Case("catalog-items-list", "get", ALL),
    Case(
        "catalog-items-detail",
        "get",
        ALL,
        setup=lambda ctx: {"slug": catalog_item(ctx).slug},
    ),
]
