"""Permission matrix: the reference resources (core.api.reference; format in
tests/api/matrix/__init__.py). Services and configuration items: everyone signed in; support
groups: agents; users: agents see everyone, end users only themselves (someone else is a 404).
"""

from typing import Any

from tests.api.matrix import Case, MatrixContext, statuses
from tests.factories import ConfigurationItemFactory

ALL = statuses(end_user=200, agent=200)
AGENTS = statuses(end_user=403, agent=200)


def yourself(ctx: MatrixContext) -> dict[str, Any]:
    person = ctx.user or ctx.users["end_user"]
    assert person is not None
    return {"pk": person.pk}


CASES = [
    Case("services-list", "get", ALL),
    Case("services-detail", "get", ALL, setup=lambda ctx: {"pk": ctx.service.pk}),
    Case("configuration-items-list", "get", ALL),
    Case(
        "configuration-items-detail",
        "get",
        ALL,
        setup=lambda ctx: {"pk": ConfigurationItemFactory(service=ctx.service).pk},
    ),
    Case("support-groups-list", "get", AGENTS),
    Case("support-groups-detail", "get", AGENTS, setup=lambda ctx: {"pk": ctx.groups[1].pk}),
    Case("users-list", "get", ALL),
    Case("users-me", "get", ALL),
    Case("users-detail", "get", ALL, setup=yourself, note="yourself"),
    Case(
        "users-detail",
        "get",
        statuses(end_user=404, agent=200),
        setup=lambda ctx: {"pk": ctx.other_end_user.pk},
        note="someone else",
    ),
]
