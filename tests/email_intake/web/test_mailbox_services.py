"""mailbox_save: the one validation of a mailbox, for the admin form and the API alike."""

from typing import Any

import pytest

from core.exceptions import ValidationFailed
from email_intake.models import Mailbox
from email_intake.services import mailbox_delete, mailbox_save, parse_domains
from tests.email_intake.web.conftest import SECRET

pytestmark = pytest.mark.django_db


def _data(**extra: Any) -> dict[str, Any]:
    return {
        "name": "support",
        "address": "support@desk.example",
        "ticket_kind": "incident",
        "host": "imap.desk.example",
        "username": "support",
        "password": "pw",
        "port": 993,
        "poll_interval_seconds": 60,
        **extra,
    }


def test_a_valid_mailbox_is_saved(admin_user):
    mailbox = mailbox_save(
        mailbox=None, data=_data(allowed_domains="@Example.com, b.org"), actor=admin_user
    )
    assert mailbox.pk and mailbox.allowed_domains == "example.com\nb.org"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"ticket_kind": "problem"}, "ticket_kind"),  # a kind that takes no mail
        ({"ticket_kind": "nonsense"}, "ticket_kind"),
        ({"ticket_kind": "request"}, "catalog_item"),
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"poll_interval_seconds": 9}, "poll_interval_seconds"),
        ({"allowed_domains": "example.com\nnot a domain"}, "allowed_domains"),
        ({"sender_policy": "domains", "allowed_domains": ""}, "allowed_domains"),
        ({"auth_method": "xoauth2", "password": ""}, "oauth_token_url"),
        ({"auth_method": "xoauth2"}, "oauth_refresh_token"),
        ({"password": ""}, "password"),
        ({"address": "not-an-address"}, "address"),
    ],
)
def test_invalid_mailboxes_are_refused_and_nothing_is_stored(admin_user, extra, field):
    with pytest.raises(ValidationFailed) as error:
        mailbox_save(mailbox=None, data=_data(**extra), actor=admin_user)
    assert field in error.value.errors
    assert not Mailbox.objects.exists()


def test_inactive_group_service_and_catalog_item_are_refused(
    admin_user, l1_group, service, catalog_item
):
    l1_group.is_active = False
    l1_group.save()
    service.is_active = False
    service.save()
    catalog_item.is_active = False
    catalog_item.save()
    data = _data(
        ticket_kind="request", support_group=l1_group, service=service, catalog_item=catalog_item
    )
    with pytest.raises(ValidationFailed) as error:
        mailbox_save(mailbox=None, data=data, actor=admin_user)
    assert {"support_group", "service", "catalog_item"} <= set(error.value.errors)


def test_a_request_mailbox_with_an_active_item_is_saved(admin_user, catalog_item):
    mailbox = mailbox_save(
        mailbox=None, data=_data(ticket_kind="request", catalog_item=catalog_item), actor=admin_user
    )
    assert mailbox.catalog_item == catalog_item


def test_empty_secrets_keep_the_stored_ones(admin_user, mailbox):
    saved = mailbox_save(
        mailbox=mailbox,
        data={"password": "", "oauth_client_secret": "", "folder": "Support"},
        actor=admin_user,
    )
    saved.refresh_from_db()
    assert saved.password == SECRET and saved.oauth_client_secret == SECRET + "-client"
    assert saved.folder == "Support"


def test_an_invalid_update_changes_nothing(admin_user, mailbox):
    with pytest.raises(ValidationFailed):
        mailbox_save(mailbox=mailbox, data={"folder": "Other", "port": 0}, actor=admin_user)
    mailbox.refresh_from_db()
    assert mailbox.folder == "INBOX" and mailbox.port == 993


def test_names_and_addresses_are_unique(admin_user, mailbox):
    with pytest.raises(ValidationFailed) as error:
        mailbox_save(
            mailbox=None, data=_data(name="helpdesk", address="HELP@desk.example"), actor=admin_user
        )
    assert {"name", "address"} <= set(error.value.errors)


def test_a_mailbox_with_mail_is_deactivated_not_deleted(admin_user, mailbox, make_inbound):
    make_inbound()
    assert mailbox_delete(mailbox=mailbox, actor=admin_user) is False
    mailbox.refresh_from_db()
    assert mailbox.is_active is False
    empty = Mailbox.objects.create(name="empty", address="empty@desk.example")
    assert mailbox_delete(mailbox=empty, actor=admin_user) is True
    assert not Mailbox.objects.filter(pk=empty.pk).exists()


def test_parse_domains():
    assert parse_domains("@A.com\nb.org, c") == (["a.com", "b.org"], ["c"])
