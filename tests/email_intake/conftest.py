"""Fixtures of the email channel's tests: a real Dovecot per test worker and a mailbox on it
(fetching); a mailbox routed to incidents, a known requester with an incident and the
notification the desk sent about it, and a helper feeding a raw message through
store_message -> handle as email_intake.processing does (the pipeline)."""

import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.choices import Role
from core.models import Service, SupportGroup, TicketEmail, User
from core.numbering import advance_counter
from email_intake.choices import InboundStatus, Security
from email_intake.models import InboundEmail, Mailbox
from email_intake.pipeline import handle
from email_intake.store import store_message
from incidents.choices import IncidentStatus
from incidents.models import Incident
from tests.conftest import _needs
from tests.email_intake.dovecot import USERS, DovecotServer, dovecot_available
from tests.factories import IncidentFactory, UserFactory


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


CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def mailbox(service: Service, l1_group: SupportGroup) -> Mailbox:
    return Mailbox.objects.create(
        name="support",
        address="support@desk.example",
        ticket_kind="incident",
        service=service,
        support_group=l1_group,
    )


@pytest.fixture
def jane(db: None) -> User:
    return UserFactory(
        username="jane", first_name="Jane", last_name="Doe", email="jane@example.com"
    )


@pytest.fixture
def incident(jane: User, l1_group: SupportGroup) -> Incident:
    """INC-000042, Jane's, worked by L1; the desk's notification about it is known."""
    ticket = IncidentFactory(
        number="INC-000042",
        requester=jane,
        title="Printer on floor 3 does not print",
        support_group=l1_group,
        status=IncidentStatus.CLASSIFIED,
    )
    advance_counter("INC", 42)  # new tickets by mail never collide with it
    TicketEmail.objects.create(
        message_id="<notif-42-1@desk.example>",
        direction="out",
        ticket_type=ContentType.objects.get_for_model(Incident),
        ticket_id=ticket.pk,
        recipients=["jane@example.com"],
        created_at=timezone.now(),
    )
    return ticket


@pytest.fixture
def resolved(incident: Incident) -> Incident:
    Incident.objects.filter(pk=incident.pk).update(
        status=IncidentStatus.RESOLVED, resolved_at=timezone.now() - timedelta(hours=2)
    )
    incident.refresh_from_db()
    return incident


@pytest.fixture
def agent(l1_group: SupportGroup) -> User:
    user = UserFactory(username="alex", email="alex@desk.example", role=Role.AGENT)
    l1_group.members.add(user)
    return user


Feed = Callable[..., InboundEmail]


@pytest.fixture
def feed(mailbox: Mailbox) -> Feed:
    """feed(raw bytes or corpus file name) -> the processed InboundEmail."""

    def run(source: bytes | str, *, to: Mailbox | None = None) -> InboundEmail:
        raw = (CORPUS / source).read_bytes() if isinstance(source, str) else source
        inbound, _ = store_message(to or mailbox, raw)
        InboundEmail.objects.filter(pk=inbound.pk).update(status=InboundStatus.PROCESSING)
        inbound.refresh_from_db()
        with transaction.atomic():
            handle(inbound)
        inbound.refresh_from_db()
        return inbound

    return run


def simple_mail(
    *,
    sender: str = "Kim Lee <kim@example.com>",
    subject: str = "Laptop will not start",
    body: str = "It beeps three times.",
    message_id: str | None = "<m-1@example.com>",
    extra: str = "",
) -> bytes:
    lines = [f"From: {sender}", "To: support@desk.example", f"Subject: {subject}"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    if extra:
        lines.append(extra.strip())
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()
