"""The API permission matrix: every endpoint x every role x every method → expected status.

tests/api/test_permission_matrix.py walks the URL conf under /api/ and FAILS for any
(URL name, method) without a Case here, so a new endpoint cannot ship without saying who may
call it. Each app keeps its cases in its own module, `tests/api/matrix/<app>.py`, exporting

    CASES: list[Case]

A Case is one request, made once per role in ROLES, each inside its own savepoint (so every role
starts from the same fresh objects and nothing leaks between roles):

    Case(
        route="incidents-accept",                 # the URL name (router basename + action)
        method="post",                            # lowercase HTTP method
        setup=lambda ctx: {"number": ctx.incident(status="identified").number},
                                                  # builds what the request needs; returns the
                                                  # URL kwargs (default: none)
        body=lambda ctx, kwargs: {"reason": "x"}, # request body (default: none); JSON unless
        content="multipart",                      # "multipart" (files: ctx.upload())
        auth="token",                             # how roles sign in: "token" (read+write
                                                  # token) or "session" (force_login; CSRF off)
        expect=statuses(end_user=403, agent=200), # role -> status, every role required
        note="requester may not accept",          # shown when the case fails
    )

Roles: anonymous (no credentials), end_user, agent_l1, agent_l2, agent_l3, manager, admin, and
alerts_token (the admin's token with only the `alerts` scope: must be refused everywhere except
alert intake). `statuses()` fills the usual defaults: anonymous 401, alerts_token 403, the three
agents from `agent`, manager and admin from `agent` unless given.

`ctx` (MatrixContext) holds the people (`ctx.users[role]`, `ctx.user` = the role being run, None
when anonymous; `ctx.other_end_user` owns tickets the end user must not see), `ctx.groups[tier]`,
`ctx.service`, `ctx.role`, and builders: `ctx.incident(**fields)` (requester: the end user unless
given), `ctx.attachment(ticket)`, `ctx.upload(name, content)`. Add builders for your kind here
(or in your module) when you need them.

Several Cases may cover the same (route, method), e.g. one on the end user's own ticket (200) and
one on someone else's (404). A Case whose route or method no longer exists fails too.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import Attachment, Service, SupportGroup, User
from core.services import attachment_add
from incidents.models import Incident
from tests.factories import IncidentFactory

ROLES = (
    "anonymous",
    "end_user",
    "agent_l1",
    "agent_l2",
    "agent_l3",
    "manager",
    "admin",
    "alerts_token",
)


def statuses(
    *,
    end_user: int,
    agent: int,
    anonymous: int = 401,
    alerts_token: int = 403,
    manager: int | None = None,
    admin: int | None = None,
    agent_l1: int | None = None,
    agent_l2: int | None = None,
    agent_l3: int | None = None,
) -> dict[str, int]:
    """The expected status per role, with the defaults described in the module docstring."""
    return {
        "anonymous": anonymous,
        "end_user": end_user,
        "agent_l1": agent if agent_l1 is None else agent_l1,
        "agent_l2": agent if agent_l2 is None else agent_l2,
        "agent_l3": agent if agent_l3 is None else agent_l3,
        "manager": agent if manager is None else manager,
        "admin": agent if admin is None else admin,
        "alerts_token": alerts_token,
    }


def no_kwargs(ctx: "MatrixContext") -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    route: str
    method: str
    expect: dict[str, int]
    setup: Callable[["MatrixContext"], dict[str, Any]] = no_kwargs
    body: Callable[["MatrixContext", dict[str, Any]], Any] | None = None
    content: Literal["json", "multipart"] = "json"
    auth: Literal["token", "session"] = "token"
    note: str = ""

    @property
    def id(self) -> str:
        suffix = f"-{self.note}" if self.note else ""
        return f"{self.route}-{self.method}{suffix}".replace(" ", "_")


@dataclass
class MatrixContext:
    users: dict[str, User | None]
    other_end_user: User
    groups: dict[int, SupportGroup]
    service: Service
    role: str = "anonymous"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def user(self) -> User | None:
        return self.users[self.role]

    def incident(self, **fields: Any) -> Incident:
        """An incident stored directly in the given state (defaults: identified, the end user's,
        L1 group, the service). Milestones for later states are filled in."""
        now = timezone.now()
        fields.setdefault("requester", self.users["end_user"])
        fields.setdefault("support_group", self.groups[1])
        fields.setdefault("service", self.service)
        status = fields.setdefault("status", "identified")
        reached = {
            "logged": ("logged_at",),
            "classified": ("logged_at", "classified_at"),
            "contained": ("logged_at", "classified_at", "contained_at"),
            "diagnosed": ("logged_at", "classified_at", "diagnosed_at"),
            "resolved": ("logged_at", "classified_at", "resolved_at"),
            "closed": ("logged_at", "classified_at", "resolved_at", "closed_at"),
            "cancelled": ("cancelled_at",),
            "on_hold": ("logged_at",),
        }
        for name in reached.get(status, ()):
            fields.setdefault(name, now - timedelta(minutes=5))
        if status == "on_hold":
            fields.setdefault("status_before_hold", "logged")
            fields.setdefault("on_hold_reason", "awaiting_user")
        if status == "resolved":
            fields.setdefault("resolution_code", "fixed")
            fields.setdefault("resolution_notes", "Fixed.")
        return IncidentFactory(**fields)

    def upload(self, name: str = "log.txt", content: bytes = b"some log\n") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, content, content_type="text/plain")

    def attachment(self, ticket: Any, *, is_internal: bool = False) -> Attachment:
        uploader = ticket.requester if not is_internal else self.users["agent_l1"]
        assert uploader is not None
        return attachment_add(
            ticket=ticket, uploaded_by=uploader, upload=self.upload(), is_internal=is_internal
        )

    def content_type(self, model: type) -> ContentType:
        return ContentType.objects.get_for_model(model)


def load_cases() -> list[Case]:
    """Every CASES list from the modules of this package."""
    cases: list[Case] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        cases.extend(getattr(module, "CASES", []))
    return cases
