"""The refused-mail log page: what it lists, its filters, one query per page whatever the
rows, and the admin's Retry and raw download."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from email_intake import processing
from email_intake.choices import InboundStatus
from email_intake.models import InboundEmail, Mailbox

pytestmark = pytest.mark.django_db

LOG = reverse("email_intake:inbound_log")


def test_it_lists_refusals_newest_first_and_not_processed_mail(
    client_for, admin_user, make_inbound
):
    refused = make_inbound(InboundStatus.REFUSED, reason="Sender not allowed")
    make_inbound(InboundStatus.DONE)
    make_inbound(InboundStatus.PENDING)
    held = make_inbound(InboundStatus.HELD, reason="Too many messages")
    ignored = make_inbound(InboundStatus.IGNORED, reason="Auto-reply")
    page = client_for(admin_user).get(LOG)
    assert [i.pk for i in page.context["page"]] == [ignored.pk, held.pk, refused.pk]
    assert b"Sender not allowed" in page.content and b"Retry" in page.content
    assert "Café printer".encode() in page.content
    assert b"&lt;script&gt;" not in page.content  # the body is never shown here


def test_filters_by_mailbox_and_status(client_for, admin_user, make_inbound):
    other = Mailbox.objects.create(name="sales", address="sales@desk.example")
    mine = make_inbound(InboundStatus.QUARANTINED)
    make_inbound(InboundStatus.REFUSED)
    theirs = make_inbound(InboundStatus.QUARANTINED, box=other)
    client = client_for(admin_user)
    page = client.get(LOG, {"mailbox": other.pk})
    assert [i.pk for i in page.context["page"]] == [theirs.pk]
    page = client.get(LOG, {"status": "quarantined"})
    assert {i.pk for i in page.context["page"]} == {mine.pk, theirs.pk}
    page = client.get(LOG, {"status": "done"})  # not a log status: the filter says so
    assert page.status_code == 200
    partial = client.get(LOG, {"status": "quarantined"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"Refused, held" in partial.content


def test_empty_log_and_empty_filter_say_so(client_for, admin_user, mailbox):
    client = client_for(admin_user)
    assert b"No refused mail" in client.get(LOG).content
    assert b"Nothing matches" in client.get(LOG, {"mailbox": mailbox.pk}).content


def _log_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LOG).status_code == 200
    return len(queries)


def test_the_log_costs_the_same_for_1_and_20_rows(client_for, admin_user, make_inbound):
    client = client_for(admin_user)
    first = make_inbound()
    first.released_by = admin_user
    first.save()
    one = _log_queries(client)
    for n in range(19):
        inbound = make_inbound(InboundStatus.HELD if n % 2 else InboundStatus.QUARANTINED)
        inbound.released_by = admin_user
        inbound.save()
    assert InboundEmail.objects.count() == 20
    assert _log_queries(client) == one


def test_who_may_see_and_retry(
    client_for, end_user, agent_l1, manager, admin_user, make_inbound, monkeypatch
):
    inbound = make_inbound(InboundStatus.QUARANTINED)
    retried = []
    monkeypatch.setattr(
        processing, "retry_inbound", lambda i, *, actor: retried.append((i.pk, actor)) or i
    )
    retry = reverse("email_intake:inbound_retry", args=[inbound.pk])
    raw = reverse("email_intake:message_raw", args=[inbound.pk])
    for user in (end_user, agent_l1):
        client = client_for(user)
        assert client.get(LOG).status_code == 404
        assert client.post(retry).status_code == 404
        assert client.get(raw).status_code == 404
    client = client_for(manager)
    page = client.get(LOG)
    assert page.status_code == 200 and b"Retry" not in page.content
    assert client.post(retry).status_code == 403
    assert client.get(raw).status_code == 404  # on no ticket: admins only
    assert not retried
    response = client_for(admin_user).post(retry, {"next": f"{LOG}?status=quarantined"})
    assert response.status_code == 302 and response["Location"] == f"{LOG}?status=quarantined"
    assert retried == [(inbound.pk, admin_user)]


def test_retry_refuses_what_cannot_be_retried(client_for, admin_user, make_inbound, monkeypatch):
    inbound = make_inbound(InboundStatus.IGNORED)
    monkeypatch.setattr(processing, "retry_inbound", lambda i, *, actor: pytest.fail("called"))
    page = client_for(admin_user).post(
        reverse("email_intake:inbound_retry", args=[inbound.pk]), follow=True
    )
    assert b"only refused, held or quarantined mail can be retried" in page.content


def test_admin_downloads_the_raw_source(client_for, admin_user, make_inbound):
    inbound = make_inbound()
    response = client_for(admin_user).get(reverse("email_intake:message_raw", args=[inbound.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"<script>alert(1)</script>" in b"".join(response.streaming_content)
