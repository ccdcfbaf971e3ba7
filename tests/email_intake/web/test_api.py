"""/api/v1/mailboxes/ and /api/v1/inbound-emails/ (admins), and the `source` of comments."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from core.choices import Source
from core.services import comment_add
from email_intake import processing
from email_intake.choices import InboundStatus
from email_intake.models import InboundEmail, Mailbox
from incidents.choices import IncidentStatus
from tests.email_intake.web.conftest import SECRET
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

MAILBOXES = reverse("mailboxes-list")
INBOUND = reverse("inbound-emails-list")


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def api(user, scopes=("read", "write")) -> APIClient:
    client = APIClient()
    secret = api_token_create(user=user, name="script", scopes=list(scopes)).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _payload(**extra):
    return {
        "name": "support",
        "address": "support@desk.example",
        "ticket_kind": "incident",
        "host": "imap.desk.example",
        "username": "support",
        "password": "pw-" + SECRET,
        **extra,
    }


def test_only_admins(end_user, agent_l1, manager, mailbox, make_inbound):
    inbound = make_inbound()
    assert APIClient().get(MAILBOXES).status_code == 401
    for user in (end_user, agent_l1, manager):
        client = api(user)
        assert client.get(MAILBOXES).status_code == 403
        assert client.post(MAILBOXES, _payload(), format="json").status_code == 403
        assert client.get(INBOUND).status_code == 403
        retry = reverse("inbound-emails-retry", args=[inbound.pk])
        assert client.post(retry).status_code == 403
    assert Mailbox.objects.count() == 1


def test_admin_creates_reads_updates_and_no_secret_comes_back(group_admin, mailbox):
    client = api(group_admin)
    created = client.post(MAILBOXES, _payload(allowed_domains="Example.com"), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["has_password"] is True and body["allowed_domains"] == "example.com"
    assert "password" not in body
    pk = body["id"]
    texts = [
        created.content,
        client.get(MAILBOXES).content,
        client.get(reverse("mailboxes-detail", args=[mailbox.pk])).content,
    ]
    detail = reverse("mailboxes-detail", args=[pk])
    patched = client.patch(detail, {"folder": "Support", "password": ""}, format="json")
    assert patched.status_code == 200 and patched.json()["folder"] == "Support"
    texts.append(patched.content)
    for text in texts:
        assert SECRET.encode() not in text
    assert Mailbox.objects.get(pk=pk).password == "pw-" + SECRET
    assert (
        client.get(reverse("mailboxes-detail", args=[mailbox.pk])).json()["has_oauth_refresh_token"]
        is True
    )


def test_the_api_validates_like_the_form(admin_user):
    client = api(admin_user)
    for extra, field in (
        ({"ticket_kind": "request"}, "catalog_item"),
        ({"ticket_kind": "problem"}, "ticket_kind"),
        ({"poll_interval_seconds": 5}, "poll_interval_seconds"),
        ({"port": 70000}, "port"),
        ({"auth_method": "xoauth2"}, "oauth_token_url"),
        ({"allowed_domains": "not a domain"}, "allowed_domains"),
    ):
        response = client.post(MAILBOXES, _payload(**extra), format="json")
        assert response.status_code == 400, (extra, response.content)
        assert field in str(response.json()), (extra, response.json())
    assert not Mailbox.objects.exists()


def test_delete_deactivates_a_mailbox_with_mail(admin_user, mailbox, make_inbound):
    make_inbound()
    client = api(admin_user)
    response = client.delete(reverse("mailboxes-detail", args=[mailbox.pk]))
    assert response.status_code == 200 and response.json()["is_active"] is False
    empty = Mailbox.objects.create(name="empty", address="empty@desk.example")
    assert client.delete(reverse("mailboxes-detail", args=[empty.pk])).status_code == 204


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_lists_cost_the_same_for_1_and_20_rows(admin_user, mailbox, make_inbound):
    client = api(admin_user)
    make_inbound()
    _queries(client, MAILBOXES)
    mailboxes, inbound = _queries(client, MAILBOXES), _queries(client, INBOUND)
    for n in range(19):
        box = Mailbox.objects.create(name=f"box-{n}", address=f"box-{n}@desk.example")
        make_inbound(box=box)
    assert InboundEmail.objects.count() == 20 and Mailbox.objects.count() == 20
    assert _queries(client, MAILBOXES) == mailboxes
    assert _queries(client, INBOUND) == inbound


def test_the_log_filters_and_retries(admin_user, mailbox, make_inbound, monkeypatch):
    client = api(admin_user)
    held = make_inbound(InboundStatus.HELD)
    make_inbound(InboundStatus.REFUSED)
    make_inbound(InboundStatus.DONE)
    ignored = make_inbound(InboundStatus.IGNORED)
    listed = client.get(INBOUND).json()["results"]
    assert listed[0]["id"] == ignored.pk and len(listed) == 3
    assert listed[0]["mailbox"] == "helpdesk" and listed[0]["raw_url"].endswith("/raw/")
    only = client.get(INBOUND, {"status": "held"}).json()["results"]
    assert [row["id"] for row in only] == [held.pk]
    assert client.get(INBOUND, {"status": "nonsense"}).status_code == 400

    def retry(inbound, *, actor):
        InboundEmail.objects.filter(pk=inbound.pk).update(status=InboundStatus.PENDING)
        inbound.status = InboundStatus.PENDING
        return inbound

    monkeypatch.setattr(processing, "retry_inbound", retry)
    response = client.post(reverse("inbound-emails-retry", args=[held.pk]))
    assert response.status_code == 200 and response.json()["status"] == "pending"
    refused = client.post(reverse("inbound-emails-retry", args=[ignored.pk]))
    assert refused.status_code == 409
    assert client.post(reverse("inbound-emails-retry", args=[999999])).status_code == 404


def test_comments_carry_their_source(end_user, agent_l1):
    incident = IncidentFactory(requester=end_user, status=IncidentStatus.LOGGED)
    with transaction.atomic():
        comment_add(
            ticket=incident, author=end_user, body="By mail", is_internal=False, source=Source.EMAIL
        )
    url = reverse("incidents-comments", args=[incident.number])
    results = api(agent_l1).get(url).json()["results"]
    assert [c["source"] for c in results] == ["email"]
    posted = api(agent_l1).post(url, {"body": "On it"}, format="json")
    assert posted.status_code == 201 and posted.json()["source"] == "api"
