"""core.session_store reads a session as Django's database store does, in one statement: the
same data for a live key, nothing (and the key forgotten) for an expired, unknown or missing
one, and a signed-in page still knows who it is for."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import User
from core.session_store import SessionStore

pytestmark = pytest.mark.django_db


def _saved(**data: object) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    assert store.session_key
    return store.session_key


def test_it_is_the_configured_engine() -> None:
    assert settings.SESSION_ENGINE == "core.session_store"


def test_a_live_session_reads_as_djangos_store_reads_it_in_one_statement() -> None:
    key = _saved(name="Zoë <b>", count=3, nested={"a": [1, 2]})
    with CaptureQueriesContext(connection) as queries:
        ours = SessionStore(key).load()
    assert len(queries) == 1
    expected = {"name": "Zoë <b>", "count": 3, "nested": {"a": [1, 2]}}
    assert ours == DjangoStore(key).load() == expected


@pytest.mark.parametrize("case", ["expired", "unknown", "none"])
def test_a_session_it_cannot_use_is_empty_and_its_key_forgotten(case: str) -> None:
    key: str | None = _saved(name="x")
    if case == "expired":
        Session.objects.filter(session_key=key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )
    elif case == "unknown":
        key = "k" * 32
    else:
        key = None
    ours, django = SessionStore(key), DjangoStore(key)
    assert ours.load() == django.load() == {}
    assert ours.session_key is None and django.session_key is None


def test_a_signed_in_page_knows_its_user_and_sign_out_ends_the_session(
    client, agent_l1: User
) -> None:
    client.force_login(agent_l1)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert SessionStore(key).load()["_auth_user_id"] == str(agent_l1.pk)
    assert client.get("/agent/incidents/").status_code == 200
    client.post("/accounts/logout/")
    assert SessionStore(key).load() == {}
    assert client.get("/agent/incidents/").status_code == 302
