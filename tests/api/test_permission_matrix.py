"""The permission matrix: every /api/ endpoint x role x method answers the expected status.

The expectations live in tests/api/matrix/<app>.py (format: tests/api/matrix/__init__.py). The
endpoints come from the URL conf, so a new route without a matrix entry fails
`test_every_endpoint_has_matrix_entries`.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from core.choices import Role, Tier
from core.models import User
from tests.api.matrix import ROLES, Case, MatrixContext, load_cases
from tests.factories import ServiceFactory, SupportGroupFactory, UserFactory

CASES = load_cases()
# Not endpoints: the catch-all that answers unknown /api/ paths with a JSON 404.
NOT_ENDPOINTS = {"api-not-found"}
IGNORED_METHODS = {"options", "head", "trace"}


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            yield prefix + str(pattern.pattern), namespace, pattern


def api_endpoints() -> dict[str, set[str] | None]:
    """URL name → methods it answers (None when the view does not say, e.g. a function view),
    for every route under /api/."""
    endpoints: dict[str, set[str] | None] = {}
    for path, namespace, pattern in _walk(get_resolver().url_patterns):
        if not path.startswith("api/"):
            continue
        name = f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {path}>"
        if name in NOT_ENDPOINTS:
            continue
        callback = pattern.callback
        actions = getattr(callback, "actions", None)
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        methods: set[str] | None
        if actions:
            methods = set(actions) - IGNORED_METHODS
        elif view_class is not None:
            methods = {
                method
                for method in view_class.http_method_names
                if method not in IGNORED_METHODS and hasattr(view_class, method)
            }
        else:
            methods = None
        known = endpoints.get(name)
        endpoints[name] = (
            None if methods is None and known is None else (known or set()) | (methods or set())
        )
    return endpoints


def test_every_endpoint_has_matrix_entries() -> None:
    endpoints = api_endpoints()
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.route, set()).add(case.method)
    problems = []
    for name, methods in sorted(endpoints.items()):
        if name.startswith("<unnamed"):
            problems.append(f"{name}: give the route a name so the matrix can refer to it")
            continue
        if methods is None:
            if name not in covered:
                problems.append(f"{name}: no Case (function view: add one per method it serves)")
            continue
        problems.extend(
            f"{name} {method.upper()}: no Case"
            for method in sorted(methods - covered.get(name, set()))
        )
    for name, methods in sorted(covered.items()):
        if name not in endpoints:
            problems.append(f"{name}: Case for a route that does not exist")
            continue
        known = endpoints[name]
        if known is not None:
            problems.extend(
                f"{name} {method.upper()}: Case for a method the route does not serve"
                for method in sorted(methods - known)
            )
    assert not problems, (
        "Permission matrix out of date (add Cases in tests/api/matrix/<app>.py, format in "
        "tests/api/matrix/__init__.py):\n  " + "\n  ".join(problems)
    )


def test_every_case_names_every_role() -> None:
    incomplete = [
        f"{case.id}: missing {sorted(set(ROLES) - set(case.expect))}"
        for case in CASES
        if set(case.expect) != set(ROLES)
    ]
    assert not incomplete, "\n".join(incomplete)


@pytest.fixture
def matrix(db: None) -> MatrixContext:
    groups = {
        tier: SupportGroupFactory(name=f"Matrix L{tier}", tier=tier)
        for tier in (Tier.L1, Tier.L2, Tier.L3)
    }
    users: dict[str, User | None] = {"anonymous": None}
    users["end_user"] = UserFactory(username="m-enduser", role=Role.END_USER)
    for tier in (1, 2, 3):
        agent = UserFactory(username=f"m-agent{tier}", role=Role.AGENT)
        groups[tier].members.add(agent)
        users[f"agent_l{tier}"] = agent
    users["manager"] = UserFactory(username="m-manager", role=Role.MANAGER)
    admin = UserFactory(username="m-admin", role=Role.ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    users["admin"] = admin
    users["alerts_token"] = admin
    return MatrixContext(
        users=users,
        other_end_user=UserFactory(username="m-other", role=Role.END_USER),
        groups=groups,
        service=ServiceFactory(name="Matrix service", owner_group=groups[Tier.L1]),
    )


def _client(case: Case, ctx: MatrixContext, role: str) -> APIClient:
    client = APIClient()
    user = ctx.users[role]
    if user is None:
        return client
    if role == "alerts_token":
        secret = api_token_create(user=user, name="alerts", scopes=["alerts"]).secret
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    elif case.auth == "session":
        client.force_authenticate(user=None)
        client.force_login(user)
    else:
        secret = api_token_create(user=user, name="matrix", scopes=["read", "write"]).secret
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _run(case: Case, ctx: MatrixContext, role: str) -> tuple[int, str]:
    ctx.role = role
    kwargs = case.setup(ctx)
    url = reverse(case.route, kwargs=kwargs)
    client = _client(case, ctx, role)
    body = case.body(ctx, kwargs) if case.body is not None else None
    send = getattr(client, case.method)
    if body is None:
        response = send(url)
    elif case.content == "multipart":
        response = send(url, body, format="multipart")
    else:
        response = send(url, body, format="json")
    detail = ""
    if response.get("Content-Type", "").startswith("application/json"):
        detail = str(response.json())[:300]
    return response.status_code, detail


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_permission_matrix(case: Case, matrix: MatrixContext) -> None:
    mismatches = []
    for role in ROLES:
        with transaction.atomic():
            got, detail = _run(case, matrix, role)
            transaction.set_rollback(True)
        want = case.expect.get(role)
        if got != want:
            mismatches.append(f"{role}: expected {want}, got {got} {detail}")
    assert not mismatches, (
        f"{case.method.upper()} {case.route} ({case.note or 'default'}):\n  "
        + "\n  ".join(mismatches)
    )
