"""Permission matrix: personal tokens, the schema and the docs (see tests/api/matrix/__init__.py).

Everyone signed in manages their own tokens; creating one needs the browser session (a token
cannot mint tokens); someone else's token is a 404. The schema and docs are public.
"""

from typing import Any

from core.api.tokens import api_token_create
from tests.api.matrix import Case, MatrixContext, statuses


def own_token(ctx: MatrixContext) -> dict[str, Any]:
    owner = ctx.user or ctx.users["end_user"]
    assert owner is not None
    return {"pk": api_token_create(user=owner, name="ci", scopes=["read"]).token.pk}


def others_token(ctx: MatrixContext) -> dict[str, Any]:
    return {"pk": api_token_create(user=ctx.other_end_user, name="ci", scopes=["read"]).token.pk}


def new_token(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"name": "backup script", "scopes": ["read"]}


PUBLIC = statuses(anonymous=200, end_user=200, agent=200, alerts_token=200)

CASES = [
    Case("tokens-list", "get", statuses(end_user=200, agent=200)),
    Case(
        "tokens-list",
        "post",
        statuses(end_user=403, agent=403),
        body=new_token,
        note="with a token",
    ),
    Case(
        "tokens-list",
        "post",
        statuses(end_user=201, agent=201),
        body=new_token,
        auth="session",
        note="in a session",
    ),
    Case("tokens-detail", "delete", statuses(end_user=200, agent=200), setup=own_token),
    Case(
        "tokens-detail",
        "delete",
        statuses(end_user=404, agent=404),
        setup=others_token,
        note="someone else's",
    ),
    Case("api-schema", "get", PUBLIC),
    Case("api-docs", "get", PUBLIC),
]
