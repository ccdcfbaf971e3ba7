"""Fetching from a real Dovecot: each message stored once, marked only after it is stored."""

import threading

import pytest
from django.db import connection as db_connection

from core.models import OutboxMessage
from email_intake import fetch
from email_intake.choices import InboundStatus
from email_intake.fetch import poll_due_mailboxes, poll_mailbox
from email_intake.imap import KEYWORD
from email_intake.models import InboundEmail, Mailbox
from tests.email_intake.conftest import make_message


def _keyed(server, folder="INBOX"):  # type: ignore[no-untyped-def]
    return [text for text in server.flags(folder=folder).values() if KEYWORD in text]


def test_poll_stores_each_message_once_and_flags_it(imap_mailbox, dovecot):
    dovecot.append_many([make_message(n) for n in range(3)])

    first = poll_mailbox(imap_mailbox)
    second = poll_mailbox(imap_mailbox)

    assert (first.stored, first.duplicates, first.errors, first.error) == (3, 0, 0, "")
    assert (second.stored, second.duplicates) == (0, 0)
    rows = list(InboundEmail.objects.order_by("uid"))
    assert sorted(dovecot.flags()) == [row.uid for row in rows]
    assert all(row.status == InboundStatus.PENDING and row.uid_validity for row in rows)
    assert rows[0].raw.read().startswith(b"From: alice@example.org")
    flags = dovecot.flags()
    assert all(KEYWORD in text and "\\Seen" in text for text in flags.values())
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_polled_at is not None and imap_mailbox.last_error == ""


def test_a_crash_between_store_and_flag_stores_no_duplicate(imap_mailbox, dovecot, monkeypatch):
    dovecot.append_many([make_message(n) for n in range(2)])

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(fetch, "_mark", crash)
        crashed = poll_mailbox(imap_mailbox)
    assert crashed.stored == 2 and "worker killed" in crashed.error
    assert _keyed(dovecot) == []  # nothing marked: the next poll sees them again

    again = poll_mailbox(imap_mailbox)

    assert (again.stored, again.duplicates, again.error) == (0, 2, "")
    assert InboundEmail.objects.count() == 2
    assert len(_keyed(dovecot)) == 2


def test_processed_mail_is_moved_to_the_processed_folder(imap_mailbox, dovecot):
    imap_mailbox.processed_folder = "Processed"
    imap_mailbox.save()
    dovecot.append_many([make_message(n) for n in range(2)])

    result = poll_mailbox(imap_mailbox)

    assert result.stored == 2
    assert dovecot.count() == 0
    assert dovecot.count(folder="Processed") == 2
    assert len(_keyed(dovecot, "Processed")) == 2


def test_nothing_is_moved_or_flagged_before_it_is_stored(imap_mailbox, dovecot, monkeypatch):
    imap_mailbox.processed_folder = "Processed"
    imap_mailbox.save()
    dovecot.append_many([make_message(n) for n in range(2)])

    def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(fetch, "store_message", fail)
    result = poll_mailbox(imap_mailbox)

    assert (result.stored, result.errors) == (0, 2)
    assert dovecot.count() == 2 and dovecot.count(folder="Processed") == 0
    assert _keyed(dovecot) == [] and not any("\\Seen" in t for t in dovecot.flags().values())
    assert InboundEmail.objects.count() == 0


def test_one_bad_message_does_not_stop_the_poll(imap_mailbox, dovecot, monkeypatch):
    dovecot.append_many([make_message(1), make_message(2, subject="poison"), make_message(3)])
    store = fetch.store_message

    def store_unless_poison(mailbox, raw, **kwargs):  # type: ignore[no-untyped-def]
        if b"Subject: poison" in raw:
            raise ValueError("cannot store this one")
        return store(mailbox, raw, **kwargs)

    monkeypatch.setattr(fetch, "store_message", store_unless_poison)
    result = poll_mailbox(imap_mailbox)

    assert (result.stored, result.errors, result.error) == (2, 1, "")
    assert "cannot store this one" in result.failures[0]
    assert len(_keyed(dovecot)) == 2  # the bad one stays for the next poll


@pytest.mark.slow
def test_a_message_over_the_size_limit_is_refused_without_downloading_it(
    imap_mailbox, dovecot, settings, monkeypatch
):
    settings.EMAIL_INTAKE_MAX_MESSAGE_BYTES = 25 * 1024 * 1024
    dovecot.append(make_message(1, subject="huge", attachment_bytes=30 * 1024 * 1024))
    dovecot.append(make_message(2))
    parts: list[str] = []
    real_fetch = fetch._fetch

    def spy(connection, uids, part):  # type: ignore[no-untyped-def]
        parts.append(f"{uids} {part}")
        return real_fetch(connection, uids, part)

    monkeypatch.setattr(fetch, "_fetch", spy)
    result = poll_mailbox(imap_mailbox)
    again = poll_mailbox(imap_mailbox)

    assert (result.stored, result.refused, again.refused, again.stored) == (1, 1, 0, 0)
    refused = InboundEmail.objects.get(subject="huge")
    assert refused.status == InboundStatus.REFUSED
    assert refused.reason.startswith("too_large: the message has")
    assert refused.size > 30 * 1024 * 1024
    assert refused.raw.size < 10_000  # headers only
    assert "[1] (UID BODY.PEEK[])" not in parts
    assert "[2] (UID BODY.PEEK[])" in parts
    flags = dovecot.flags()
    assert KEYWORD in flags[1] and "\\Seen" not in flags[1]  # kept, unread, for people to see
    # Its sender is told once, by an automatic reply that loops cannot answer.
    notices = OutboxMessage.objects.filter(
        task_name="core.send_email", payload__to=[refused.sender]
    )
    assert notices.count() == 1
    notice = notices.get().payload
    assert "larger than the 25 MB" in notice["body"]
    assert notice["headers"] == {"Auto-Submitted": "auto-replied"}


def test_a_login_failure_is_recorded_on_the_mailbox_and_never_raised(imap_mailbox):
    imap_mailbox.password = "wrong"
    imap_mailbox.save()

    result = poll_mailbox(imap_mailbox)

    assert "refused the login of 'desk'" in result.error
    imap_mailbox.refresh_from_db()
    assert "refused the login" in imap_mailbox.last_error
    assert imap_mailbox.last_error_at is not None and imap_mailbox.last_polled_at is not None


def test_a_missing_folder_is_recorded(imap_mailbox):
    imap_mailbox.folder = "Nowhere"
    imap_mailbox.save()

    result = poll_mailbox(imap_mailbox)

    assert "The folder 'Nowhere' does not exist" in result.error


def test_due_mailboxes_respect_their_interval_and_the_lease(imap_mailbox, dovecot):
    from core.leases import lease_take

    dovecot.append(make_message(1))
    assert lease_take(f"email_intake.poll.{imap_mailbox.pk}", seconds=60, holder="other")
    assert poll_due_mailboxes() == []  # another poller holds it
    assert InboundEmail.objects.count() == 0

    from core.leases import lease_release

    lease_release(f"email_intake.poll.{imap_mailbox.pk}", holder="other")
    assert [r.stored for r in poll_due_mailboxes()] == [1]
    assert poll_due_mailboxes() == []  # polled a moment ago: not due


@pytest.mark.django_db(transaction=True)
def test_two_polls_racing_store_each_message_once(dovecot):
    mailbox = Mailbox.objects.create(
        name="race",
        address="race@example.com",
        host=dovecot.host,
        port=dovecot.port,
        security="starttls",
        verify_certificate=False,
        username="desk",
        password="desk-secret",
    )
    dovecot.append_many([make_message(n) for n in range(20)])
    results = []

    def run() -> None:
        try:
            results.append(poll_mailbox(Mailbox.objects.get(pk=mailbox.pk)))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    poll_mailbox(mailbox)  # whatever a lost race left behind

    assert InboundEmail.objects.count() == 20
    assert sum(r.stored for r in results) <= 20
    assert len(_keyed(dovecot)) == 20


def _without_capabilities(monkeypatch, *names):  # type: ignore[no-untyped-def]
    """Make the server look older: `names` vanish from its capabilities."""
    from contextlib import contextmanager

    real_open = fetch.open_mailbox

    @contextmanager
    def open_mailbox(mailbox):  # type: ignore[no-untyped-def]
        with real_open(mailbox) as connection:
            connection.capabilities = tuple(c for c in connection.capabilities if c not in names)
            yield connection

    monkeypatch.setattr(fetch, "open_mailbox", open_mailbox)


@pytest.mark.parametrize("missing", [("MOVE",), ("MOVE", "UIDPLUS")])
def test_without_move_mail_is_copied_then_expunged(imap_mailbox, dovecot, monkeypatch, missing):
    imap_mailbox.processed_folder = "Processed"
    imap_mailbox.save()
    _without_capabilities(monkeypatch, *missing)
    dovecot.append_many([make_message(n) for n in range(2)])

    result = poll_mailbox(imap_mailbox)

    assert (result.stored, result.error) == (2, "")
    assert dovecot.count() == 0 and dovecot.count(folder="Processed") == 2


def test_a_failed_copy_deletes_nothing(imap_mailbox, dovecot, monkeypatch):
    imap_mailbox.processed_folder = "Missing"
    imap_mailbox.save()
    _without_capabilities(monkeypatch, "MOVE")
    dovecot.append(make_message(1))

    result = poll_mailbox(imap_mailbox)

    assert "COPY to 'Missing' failed" in result.error
    assert dovecot.count() == 1 and "\\Deleted" not in dovecot.flags()[min(dovecot.flags())]
    assert InboundEmail.objects.count() == 1


def test_servers_without_keywords_get_unseen_and_seen(imap_mailbox, dovecot, monkeypatch):
    monkeypatch.setattr(fetch, "keywords_allowed", lambda connection: False)
    dovecot.append_many([make_message(n) for n in range(2)])

    first = poll_mailbox(imap_mailbox)
    second = poll_mailbox(imap_mailbox)

    assert (first.stored, second.stored, second.duplicates) == (2, 0, 0)
    flags = dovecot.flags().values()
    assert all("\\Seen" in text and KEYWORD not in text for text in flags)
