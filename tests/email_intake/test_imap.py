"""The connection check against a real Dovecot: one clear sentence for each failure."""

import socket

import pytest

from email_intake.choices import AuthMethod, Security
from email_intake.imap import check_connection
from tests.email_intake.dovecot import free_port


def test_tls_connection_reports_what_waits(imap_mailbox, dovecot):
    from tests.email_intake.conftest import make_message

    dovecot.append(make_message(1))

    check = check_connection(imap_mailbox)

    assert check.ok, check.summary
    assert check.summary == (
        f"Connected to 127.0.0.1:{dovecot.tls_port} over TLS as 'desk'; "
        "1 messages in INBOX, 1 not yet taken."
    )


def test_starttls_connection(imap_mailbox, dovecot):
    imap_mailbox.port, imap_mailbox.security = dovecot.port, Security.STARTTLS

    check = check_connection(imap_mailbox)

    assert check.ok, check.summary
    assert "over STARTTLS" in check.summary


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"password": "wrong"}, "The server refused the login of 'desk'"),
        ({"folder": "Archive/None"}, "The folder 'Archive/None' does not exist"),
        ({"processed_folder": "Nope"}, "the processed folder 'Nope' does not exist"),
        ({"verify_certificate": True}, "is not trusted"),
        ({"host": "no-such-host.invalid"}, "could not be resolved (DNS)"),
        ({"host": ""}, "has no IMAP host"),
    ],
)
def test_failures_say_what_failed(imap_mailbox, change, expected):
    for name, value in change.items():
        setattr(imap_mailbox, name, value)

    check = check_connection(imap_mailbox)

    assert not check.ok
    assert expected in check.summary


def test_a_closed_port_is_a_refused_connection(imap_mailbox):
    imap_mailbox.port = free_port()

    check = check_connection(imap_mailbox)

    assert not check.ok and "refused the connection" in check.summary


def test_tls_against_a_plain_port_fails_the_handshake(imap_mailbox, dovecot):
    imap_mailbox.port = dovecot.port  # plain IMAP, but the mailbox says implicit TLS

    check = check_connection(imap_mailbox)

    assert not check.ok and "TLS handshake" in check.summary


def test_a_silent_server_times_out(imap_mailbox, settings):
    settings.EMAIL_INTAKE_IMAP_TIMEOUT_SECONDS = 1
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        imap_mailbox.port = silent.getsockname()[1]
        imap_mailbox.security = Security.STARTTLS

        check = check_connection(imap_mailbox)

    assert not check.ok and "did not answer within 1 seconds" in check.summary


def test_an_oauth_mailbox_without_a_refresh_token_says_so(imap_mailbox):
    imap_mailbox.auth_method = AuthMethod.XOAUTH2

    check = check_connection(imap_mailbox)

    assert not check.ok and "No OAuth access token" in check.summary
