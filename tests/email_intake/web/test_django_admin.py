"""The Django admin shows mailboxes and stored mail read-only, and never a mailbox's secrets."""

import pytest
from django.urls import reverse

from tests.email_intake.web.conftest import SECRET

pytestmark = pytest.mark.django_db


def test_the_admin_never_shows_secrets_and_changes_nothing(
    client_for, admin_user, mailbox, make_inbound
):
    inbound = make_inbound()
    client = client_for(admin_user)
    for url in (
        reverse("admin:email_intake_mailbox_changelist"),
        reverse("admin:email_intake_mailbox_change", args=[mailbox.pk]),
        reverse("admin:email_intake_inboundemail_changelist"),
        reverse("admin:email_intake_inboundemail_change", args=[inbound.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET.encode() not in response.content, url
    assert client.get(reverse("admin:email_intake_mailbox_add")).status_code == 403
    change = reverse("admin:email_intake_mailbox_change", args=[mailbox.pk])
    assert client.post(change, {"name": "renamed"}).status_code == 403
    mailbox.refresh_from_db()
    assert mailbox.name == "helpdesk"
