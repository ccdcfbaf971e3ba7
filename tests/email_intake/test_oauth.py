"""XOAUTH2: tokens by the refresh-token grant (cached, rotated), and a real XOAUTH2 login to
Dovecot, whose oauth2 passdb asks our fake provider whether the token is good."""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from email_intake.choices import AuthMethod, Security
from email_intake.fetch import poll_mailbox
from email_intake.imap import check_connection
from email_intake.models import InboundEmail, Mailbox
from email_intake.oauth import OAuthError, access_token, xoauth2_string
from tests.conftest import _needs
from tests.email_intake.conftest import make_message
from tests.email_intake.dovecot import DovecotServer, dovecot_available
from tests.email_intake.oauth_server import FakeProvider


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as running:
        yield running


def _oauth_mailbox(provider: FakeProvider, **fields: object) -> Mailbox:
    values: dict[str, object] = {
        "name": "m365",
        "address": "desk@example.com",
        "auth_method": AuthMethod.XOAUTH2,
        "username": "desk",
        "oauth_token_url": f"{provider.url}/token",
        "oauth_client_id": "client-1",
        "oauth_client_secret": "s3cret",
        "oauth_refresh_token": "refresh-1",
        "oauth_scope": "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
        **fields,
    }
    return Mailbox.objects.create(**values)


def test_the_sasl_string_is_the_documented_one():
    assert xoauth2_string("desk@example.com", "abc") == (
        b"user=desk@example.com\x01auth=Bearer abc\x01\x01"
    )


def test_a_token_is_asked_with_the_refresh_grant_and_cached(db, provider):
    mailbox = _oauth_mailbox(provider)

    first = access_token(mailbox)
    second = access_token(mailbox)

    assert first == second == "token-1"
    assert provider.requests == [
        {
            "grant_type": "refresh_token",
            "refresh_token": "refresh-1",
            "client_id": "client-1",
            "client_secret": "s3cret",
            "scope": "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
        }
    ]


def test_a_token_about_to_expire_is_not_cached(db, provider):
    provider.expires_in = 60
    mailbox = _oauth_mailbox(provider)

    assert [access_token(mailbox), access_token(mailbox)] == ["token-1", "token-2"]


def test_a_rotated_refresh_token_is_saved(db, provider):
    provider.rotate = True
    mailbox = _oauth_mailbox(provider)

    access_token(mailbox)

    mailbox.refresh_from_db()
    assert mailbox.oauth_refresh_token == "refresh-2" == provider.refresh_token


def test_a_refused_grant_is_a_clear_error(db, provider):
    mailbox = _oauth_mailbox(provider, oauth_refresh_token="revoked")

    with pytest.raises(OAuthError, match=r"refused the refresh token \(HTTP 400\): AADSTS70000"):
        access_token(mailbox)


def test_an_unreachable_endpoint_is_a_clear_error(db):
    mailbox = Mailbox.objects.create(
        name="g",
        address="g@example.com",
        auth_method=AuthMethod.XOAUTH2,
        oauth_token_url="http://127.0.0.1:9/token",
        oauth_refresh_token="x",
    )

    with pytest.raises(OAuthError, match="could not be reached"):
        access_token(mailbox)


@pytest.fixture
def oauth_dovecot(provider: FakeProvider) -> Iterator[DovecotServer]:
    _needs(dovecot_available())
    root = Path(tempfile.mkdtemp(prefix="sd-dovecot-oauth-"))
    server = DovecotServer(root, introspection_url=f"{provider.url}/introspect").start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_xoauth2_login_to_dovecot_checks_and_polls(db, provider, oauth_dovecot):
    mailbox = _oauth_mailbox(
        provider,
        host=oauth_dovecot.host,
        port=oauth_dovecot.tls_port,
        security=Security.TLS,
        verify_certificate=False,
    )
    oauth_dovecot.append(make_message(1))

    check = check_connection(mailbox)
    result = poll_mailbox(mailbox)

    assert check.ok, f"{check.summary}\n{oauth_dovecot.diagnostics()}"
    assert (result.stored, result.error) == (1, "")
    assert InboundEmail.objects.count() == 1


def test_a_token_dovecot_does_not_accept_is_a_refused_login(db, provider, oauth_dovecot):
    mailbox = _oauth_mailbox(
        provider,
        host=oauth_dovecot.host,
        port=oauth_dovecot.tls_port,
        security=Security.TLS,
        verify_certificate=False,
    )
    provider.username = "someone-else"

    check = check_connection(mailbox)

    assert not check.ok and "refused the login of 'desk'" in check.summary
