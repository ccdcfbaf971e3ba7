"""The mailbox pages: who may open them, the list in one query, the form (secrets write-only,
the service's validation), Test connection and deactivate."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from email_intake import imap
from email_intake.choices import InboundStatus
from email_intake.imap import ConnectionCheck
from email_intake.models import Mailbox
from tests.email_intake.web.conftest import SECRET

pytestmark = pytest.mark.django_db

LIST = reverse("email_intake:mailbox_list")
NEW = reverse("email_intake:mailbox_create")


def _form(**extra: str) -> dict[str, str]:
    return {
        "name": "support",
        "address": "support@desk.example",
        "is_active": "on",
        "ticket_kind": "incident",
        "sender_policy": "anyone",
        "host": "imap.desk.example",
        "port": "993",
        "security": "tls",
        "auth_method": "password",
        "username": "support",
        "password": "pw-secret",
        "folder": "INBOX",
        "poll_interval_seconds": "60",
        **extra,
    }


def test_end_users_and_agents_get_404(client_for, end_user, agent_l1, mailbox):
    for user in (end_user, agent_l1):
        client = client_for(user)
        for url in (LIST, NEW, reverse("email_intake:mailbox_detail", args=[mailbox.pk])):
            assert client.get(url).status_code == 404, (user, url)
        test_url = reverse("email_intake:mailbox_test", args=[mailbox.pk])
        assert client.post(test_url).status_code == 404


def test_managers_read_but_do_not_change(client_for, manager, mailbox, monkeypatch):
    called = []
    monkeypatch.setattr(imap, "check_connection", called.append)
    client = client_for(manager)
    assert client.get(LIST).status_code == 200
    page = client.get(reverse("email_intake:mailbox_detail", args=[mailbox.pk]))
    assert page.status_code == 200
    assert b"Test connection" not in page.content
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, _form()).status_code == 403
    assert client.post(reverse("email_intake:mailbox_test", args=[mailbox.pk])).status_code == 403
    deactivate = reverse("email_intake:mailbox_deactivate", args=[mailbox.pk])
    assert client.post(deactivate).status_code == 403
    mailbox.refresh_from_db()
    assert mailbox.is_active and not called
    assert Mailbox.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, mailbox):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_shows_counts(client_for, admin_user, mailbox, make_inbound):
    make_inbound(InboundStatus.PENDING)
    make_inbound(InboundStatus.QUARANTINED)
    make_inbound(InboundStatus.HELD)
    make_inbound(InboundStatus.DONE)
    page = client_for(admin_user).get(LIST)
    rows = {m.name: m for m in page.context["mailboxes"]}
    assert rows["helpdesk"].waiting_count == 1 and rows["helpdesk"].refused_count == 2
    assert b"help@desk.example" in page.content and SECRET.encode() not in page.content


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_for_1_and_20_mailboxes(
    client_for, admin_user, mailbox, make_inbound
):
    client = client_for(admin_user)
    make_inbound()
    one = _list_queries(client)
    for n in range(19):
        box = Mailbox.objects.create(name=f"box-{n}", address=f"box-{n}@desk.example")
        make_inbound(box=box)
    assert Mailbox.objects.count() == 20
    assert _list_queries(client) == one


def test_empty_list_says_what_to_do(client_for, admin_user, manager):
    assert b"No mailbox yet" in client_for(admin_user).get(LIST).content
    assert b"Ask an admin" in client_for(manager).get(LIST).content


def test_admin_creates_a_mailbox(client_for, group_admin):
    response = client_for(group_admin).post(NEW, _form())
    mailbox = Mailbox.objects.get(name="support")
    assert response.status_code == 302
    assert response["Location"] == reverse("email_intake:mailbox_detail", args=[mailbox.pk])
    assert mailbox.password == "pw-secret" and mailbox.is_active


def test_invalid_input_is_shown_and_nothing_is_stored(client_for, admin_user):
    client = client_for(admin_user)
    for extra, message in (
        ({"poll_interval_seconds": "5"}, b"at most every 10 seconds"),
        ({"port": "0"}, b"from 1 to 65535"),
        ({"ticket_kind": "request"}, b"needs the catalog item"),
        ({"auth_method": "xoauth2"}, b"OAuth 2.0 sign-in needs"),
        ({"allowed_domains": "exa mple"}, b"Not a domain name"),
    ):
        response = client.post(NEW, _form(**extra))
        assert response.status_code == 400, extra
        assert message in response.content, extra
        assert b"pw-secret" not in response.content
    assert not Mailbox.objects.exists()


def test_secrets_are_never_rendered_and_empty_keeps_them(client_for, admin_user, mailbox):
    client = client_for(admin_user)
    edit = reverse("email_intake:mailbox_edit", args=[mailbox.pk])
    for url in (edit, reverse("email_intake:mailbox_detail", args=[mailbox.pk]), LIST):
        assert SECRET.encode() not in client.get(url).content, url
    response = client.post(edit, _form(name="helpdesk", address="help@desk.example", password=""))
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.password == SECRET and mailbox.oauth_refresh_token == SECRET + "-refresh"
    client.post(edit, _form(name="helpdesk", address="help@desk.example", password="new-one"))
    mailbox.refresh_from_db()
    assert mailbox.password == "new-one"


def test_test_connection_shows_the_summary(client_for, admin_user, mailbox, monkeypatch):
    client = client_for(admin_user)
    url = reverse("email_intake:mailbox_test", args=[mailbox.pk])
    monkeypatch.setattr(
        imap, "check_connection", lambda m: ConnectionCheck(True, "Connected; 3 messages wait.")
    )
    page = client.post(url, follow=True)
    assert b"Connected; 3 messages wait." in page.content and b"message-success" in page.content
    monkeypatch.setattr(
        imap, "check_connection", lambda m: ConnectionCheck(False, "Login refused by the server.")
    )
    page = client.post(url, follow=True)
    assert b"Login refused by the server." in page.content and b"message-error" in page.content

    def broken(m: Mailbox) -> ConnectionCheck:
        raise OSError("Connection refused")

    monkeypatch.setattr(imap, "check_connection", broken)
    page = client.post(url, follow=True)
    assert b"Connection refused" in page.content and b"message-error" in page.content
    assert client.get(url).status_code == 405


def test_deactivate_keeps_the_mailbox(client_for, admin_user, mailbox):
    client = client_for(admin_user)
    page = client.post(reverse("email_intake:mailbox_deactivate", args=[mailbox.pk]), follow=True)
    mailbox.refresh_from_db()
    assert not mailbox.is_active and b"no longer read" in page.content


def test_nav_links_admins_and_managers_to_the_email_pages(
    client_for, admin_user, manager, agent_l1
):
    home = reverse("incidents:agent_list")
    assert LIST.encode() in client_for(admin_user).get(home).content
    assert LIST.encode() in client_for(manager).get(home).content
    assert LIST.encode() not in client_for(agent_l1).get(home).content
