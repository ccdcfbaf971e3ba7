"""Fixtures of the email channel's tests: a real Dovecot per test worker, a mailbox on it."""

import shutil
import tempfile
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from email_intake.choices import Security
from email_intake.models import Mailbox
from tests.conftest import _needs
from tests.email_intake.dovecot import USERS, DovecotServer, dovecot_available


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    """One Dovecot for this test worker; skips (fails when CI=true) where it is missing. Its
    directory is not pytest's tmp_path: that one is private to us, and as root Dovecot stores
    mail as its own unprivileged account, which must reach the directory."""
    _needs(dovecot_available())
    root = Path(tempfile.mkdtemp(prefix="sd-dovecot-"))
    server = DovecotServer(root).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_server: DovecotServer) -> DovecotServer:
    """The worker's Dovecot with the test user's folders emptied."""
    connection = dovecot_server.client("desk")
    try:
        for folder in ("INBOX", "Processed"):
            status, data = connection.select(folder)
            if status == "OK" and int(data[0] or 0):
                connection.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
                connection.expunge()
    finally:
        connection.logout()
    return dovecot_server


@pytest.fixture
def imap_mailbox(db: None, dovecot: DovecotServer) -> Mailbox:
    return Mailbox.objects.create(
        name="desk",
        address="desk@example.com",
        host=dovecot.host,
        port=dovecot.tls_port,
        security=Security.TLS,
        verify_certificate=False,
        username="desk",
        password=USERS["desk"],
    )


def make_message(
    number: int = 1,
    *,
    sender: str = "alice@example.org",
    subject: str | None = None,
    body: str = "The printer on floor 3 is jammed again.",
    message_id: str | None = "",
    attachment_bytes: int = 0,
) -> bytes:
    """A plain message; message_id "" makes a fresh one, None leaves the header out."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "desk@example.com"
    message["Subject"] = subject if subject is not None else f"Problem number {number}"
    if message_id is not None:
        message["Message-ID"] = message_id or make_msgid(domain="example.org")
    message.set_content(body)
    if attachment_bytes:
        message.add_attachment(
            b"\0" * attachment_bytes,
            maintype="application",
            subtype="octet-stream",
            filename="big.bin",
        )
    return bytes(message)
