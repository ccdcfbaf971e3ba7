"""mail_check and mail_import: output and exit status."""

import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from email_intake import pipeline
from email_intake.choices import InboundOutcome, InboundStatus
from email_intake.models import InboundEmail, Mailbox
from tests.email_intake.conftest import make_message


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def done_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    def handle(inbound: InboundEmail) -> None:
        inbound.status = InboundStatus.DONE
        inbound.outcome = InboundOutcome.NEW_TICKET
        inbound.processed_at = timezone.now()
        inbound.save()

    monkeypatch.setattr(pipeline, "handle", handle)


def test_mail_check_ok(imap_mailbox):
    code, out, _ = _run("mail_check", "desk")

    assert code == 0
    assert out.startswith("desk: Connected to 127.0.0.1:")


def test_mail_check_failed(imap_mailbox):
    imap_mailbox.password = "nope"
    imap_mailbox.save()

    code, _, message = _run("mail_check", "desk")

    assert code == 1
    assert message.startswith("desk: The server refused the login of 'desk'")


def test_mail_check_unknown_mailbox(db):
    Mailbox.objects.create(name="support", address="support@example.com")

    code, _, message = _run("mail_check", "nope")

    assert (code, message) == (2, "No mailbox is named 'nope' (mailboxes: support).")


def test_mail_import_processes_each_file_and_reports_unreadable_ones(db, done_pipeline, tmp_path):
    Mailbox.objects.create(name="support", address="support@example.com")
    first, second = tmp_path / "a.eml", tmp_path / "b.eml"
    first.write_bytes(make_message(1))
    second.write_bytes(make_message(2))

    code, out, message = _run(
        "mail_import", str(first), str(tmp_path / "missing.eml"), str(second), str(first)
    )

    assert code == 2
    assert message == "1 of 4 files could not be imported."
    assert out.splitlines() == [
        f"{first}: processed, new ticket",
        f"{second}: processed, new ticket",
        f"{first}: already stored, processed, new ticket",
    ]
    assert InboundEmail.objects.filter(status=InboundStatus.DONE).count() == 2


def test_mail_import_reads_stdin_into_the_named_mailbox(db, done_pipeline, monkeypatch):
    Mailbox.objects.create(name="a-first", address="a@example.com")
    other = Mailbox.objects.create(name="requests", address="requests@example.com")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(make_message(1))))

    code, out, _ = _run("mail_import", "-", "--mailbox", "requests")

    assert (code, out) == (0, "-: processed, new ticket\n")
    assert InboundEmail.objects.get().mailbox == other


def test_mail_import_without_a_mailbox_is_refused(db, tmp_path):
    message = tmp_path / "a.eml"
    message.write_bytes(make_message(1))

    code, _, text = _run("mail_import", str(message))

    assert code == 2 and "no active mailbox" in text
    assert InboundEmail.objects.count() == 0


def test_mail_import_keeps_a_failing_message_visible(db, tmp_path, monkeypatch):
    Mailbox.objects.create(name="support", address="support@example.com")

    def broken(inbound: InboundEmail) -> None:
        raise ValueError("cannot parse")

    monkeypatch.setattr(pipeline, "handle", broken)
    message = tmp_path / "a.eml"
    message.write_bytes(make_message(1))

    code, out, _ = _run("mail_import", str(message))

    assert code == 0
    assert out == f"{message}: waiting (Attempt 1: ValueError: cannot parse)\n"
