"""Fetch new mail from a mailbox's IMAP folder and store each message once.

Order of things, so nothing is lost and nothing is taken twice:

1. UID SEARCH for messages without our keyword (`$ServiceDesk`; see imap.unprocessed_criteria).
2. Per batch of UIDs: RFC822.SIZE first. A message over EMAIL_INTAKE_MAX_MESSAGE_BYTES is
   stored as a refusal (its headers only, status refused, the reason) and its body is never
   downloaded; it stays in the folder, unread, flagged with our keyword only.
3. The others: BODY.PEEK[] (PEEK: \\Seen is not set before the message is stored), a few MB per
   FETCH, then `store_message` (unique per mailbox and Message-ID: a second delivery stores
   nothing).
4. Only after the rows are committed: STORE +FLAGS ($ServiceDesk \\Seen), and, when the mailbox
   has a processed folder, MOVE there (or COPY + \\Deleted + EXPUNGE without MOVE). A crash
   between 3 and 4 means the next poll fetches the message again and finds it stored.
"""

import imaplib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.leases import lease_release, lease_take
from email_intake.choices import InboundStatus
from email_intake.imap import (
    KEYWORD,
    ImapError,
    keywords_allowed,
    open_mailbox,
    quote_folder,
    select_folder,
    uid_search,
    unprocessed_criteria,
)
from email_intake.models import InboundEmail, Mailbox
from email_intake.notices import tell_sender
from email_intake.store import store_message

logger = logging.getLogger(__name__)

TOO_LARGE_REASON = "too_large"
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
# Long enough for one batch on a slow server; renewed after every batch.
_LEASE_SECONDS = 600


@dataclass
class PollResult:
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    errors: int = 0
    error: str = ""  # why the whole mailbox failed (network, login, folder), else ""
    failures: list[str] = field(default_factory=list)  # one line per message that failed


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _uid_set(uids: list[int]) -> str:
    return ",".join(str(uid) for uid in uids)


def _fetch(connection: imaplib.IMAP4, uids: list[int], part: str) -> dict[int, object]:
    """UID FETCH `part` for `uids`: uid -> the literal (bytes) or the parenthesised line."""
    status, data = connection.uid("FETCH", _uid_set(uids), part)
    if status != "OK":
        raise ImapError(f"The server refused FETCH {part}: {data!r}.")
    result: dict[int, object] = {}
    pending: bytes | None = None
    for item in data:
        if isinstance(item, tuple):
            header, literal = item[0], item[1]
            match = _UID.search(header)
            if match:
                result[int(match.group(1))] = literal
            else:
                pending = literal  # the UID comes after the literal on this server
        elif isinstance(item, bytes):
            match = _UID.search(item)
            if match and pending is not None:
                result[int(match.group(1))] = pending
                pending = None
            elif match:
                result[int(match.group(1))] = item
    return result


def _sizes(connection: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    sizes: dict[int, int] = {}
    for uid, line in _fetch(connection, uids, "(UID RFC822.SIZE)").items():
        match = _SIZE.search(line) if isinstance(line, bytes) else None
        if match:
            sizes[uid] = int(match.group(1))
    return sizes


def _body_groups(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    """UIDs grouped so one FETCH brings at most EMAIL_INTAKE_FETCH_BYTES (or one message)."""
    budget = settings.EMAIL_INTAKE_FETCH_BYTES
    group: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if group and total + size > budget:
            yield group
            group, total = [], 0
        group.append(uid)
        total += size
    if group:
        yield group


def _store_refusal(
    mailbox: Mailbox, headers: bytes, *, uid: int, uid_validity: int | None, size: int
) -> bool:
    """Record a message too large to download: its headers, status refused, the reason."""
    limit = settings.EMAIL_INTAKE_MAX_MESSAGE_BYTES
    with transaction.atomic():
        inbound, created = store_message(mailbox, headers, uid=uid, uid_validity=uid_validity)
        if created:
            InboundEmail.objects.filter(pk=inbound.pk).update(
                status=InboundStatus.REFUSED,
                size=size,
                reason=(
                    f"{TOO_LARGE_REASON}: the message has {size} bytes, more than the limit of "
                    f"{limit}; it was not downloaded and stays on the mail server."
                ),
                processed_at=timezone.now(),
            )
            tell_sender(
                inbound,
                TOO_LARGE_REASON,
                f"it is larger than the {limit / (1024 * 1024):g} MB the service desk takes. "
                "Please send the files as a link, or split them over several messages.",
            )
    if created:
        logger.warning(
            "Mailbox %s: refused UID %s from %s (%s bytes, over the limit).",
            mailbox.name,
            uid,
            parseaddr(inbound.sender)[1],
            size,
        )
    return created


def _mark(connection: imaplib.IMAP4, mailbox: Mailbox, uids: list[int], *, keywords: bool) -> None:
    """Flag (and move) messages whose rows are committed."""
    if not uids:
        return
    flags = f"({KEYWORD} \\Seen)" if keywords else "(\\Seen)"
    uid_set = _uid_set(uids)
    connection.uid("STORE", uid_set, "+FLAGS.SILENT", flags)
    if not mailbox.processed_folder:
        return
    target = quote_folder(mailbox.processed_folder)
    if "MOVE" in connection.capabilities:
        status, data = connection.uid("MOVE", uid_set, target)
        if status != "OK":
            raise ImapError(f"MOVE to {mailbox.processed_folder!r} failed: {data!r}.")
        return
    status, data = connection.uid("COPY", uid_set, target)
    if status != "OK":
        # Never delete what was not copied: the messages stay, flagged as taken.
        raise ImapError(f"COPY to {mailbox.processed_folder!r} failed: {data!r}.")
    connection.uid("STORE", uid_set, "+FLAGS.SILENT", "(\\Deleted)")
    if "UIDPLUS" in connection.capabilities:
        connection.uid("EXPUNGE", uid_set)
    else:
        connection.expunge()


def _uid_validity(connection: imaplib.IMAP4) -> int | None:
    _, data = connection.response("UIDVALIDITY")
    try:
        return int(data[0]) if data and data[0] else None
    except (TypeError, ValueError):
        return None


def _take_batch(
    connection: imaplib.IMAP4,
    mailbox: Mailbox,
    uids: list[int],
    *,
    uid_validity: int | None,
    keywords: bool,
    result: PollResult,
) -> None:
    limit = settings.EMAIL_INTAKE_MAX_MESSAGE_BYTES
    sizes = _sizes(connection, uids)
    too_large = [uid for uid in uids if sizes.get(uid, 0) > limit]
    wanted = [uid for uid in uids if uid in sizes and sizes[uid] <= limit]
    taken: list[int] = []
    if too_large:
        headers = _fetch(connection, too_large, "(UID BODY.PEEK[HEADER])")
        refused: list[int] = []
        for uid in too_large:
            try:
                raw = headers.get(uid)
                if not isinstance(raw, bytes):
                    raise ImapError(f"no headers came back for UID {uid}")
                if _store_refusal(
                    mailbox, raw, uid=uid, uid_validity=uid_validity, size=sizes[uid]
                ):
                    result.refused += 1
                refused.append(uid)
            except Exception as exc:  # one bad message never stops the poll
                _failed(mailbox, uid, exc, result)
        if refused and keywords:
            # Kept where people see it: unread, in the folder; only our keyword is set.
            connection.uid("STORE", _uid_set(refused), "+FLAGS.SILENT", f"({KEYWORD})")
    for group in _body_groups(wanted, sizes):
        bodies = _fetch(connection, group, "(UID BODY.PEEK[])")
        # One commit per group rather than per message (the commit is most of a store's
        # cost); store_message inserts in its own savepoint, so a bad one rolls back alone.
        with transaction.atomic():
            for uid in group:
                try:
                    raw = bodies.pop(uid, None)
                    if not isinstance(raw, bytes):
                        raise ImapError(f"no body came back for UID {uid}")
                    _, created = store_message(mailbox, raw, uid=uid, uid_validity=uid_validity)
                    if created:
                        result.stored += 1
                    else:
                        result.duplicates += 1
                    taken.append(uid)
                except Exception as exc:  # one bad message never stops the poll
                    _failed(mailbox, uid, exc, result)
        del bodies
    # Marked only now: the rows above are committed.
    _mark(connection, mailbox, taken, keywords=keywords)


def _failed(mailbox: Mailbox, uid: int, exc: Exception, result: PollResult) -> None:
    logger.exception("Mailbox %s: UID %s could not be stored; left on the server.", mailbox, uid)
    result.errors += 1
    result.failures.append(f"UID {uid}: {type(exc).__name__}: {exc}"[:500])


def poll_mailbox(mailbox: Mailbox, *, on_batch: Callable[[], object] | None = None) -> PollResult:
    """Store every new message of `mailbox` once and mark it on the server. Never raises: a
    mailbox that cannot be read gets last_error/last_error_at, a message that cannot be stored
    is counted in `errors` and left for the next poll. `on_batch` runs between batches (the
    task renews its lease there)."""
    result = PollResult()
    try:
        with open_mailbox(mailbox) as connection:
            select_folder(connection, mailbox.folder)
            uid_validity = _uid_validity(connection)
            keywords = keywords_allowed(connection)
            uids = uid_search(connection, *unprocessed_criteria(keywords=keywords))
            for batch in _chunks(uids, settings.EMAIL_INTAKE_FETCH_BATCH):
                _take_batch(
                    connection,
                    mailbox,
                    batch,
                    uid_validity=uid_validity,
                    keywords=keywords,
                    result=result,
                )
                if on_batch is not None:
                    on_batch()
    except ImapError as exc:
        result.error = str(exc)
    except (OSError, imaplib.IMAP4.error) as exc:
        result.error = f"The connection to {mailbox.host} failed: {exc}."
    except Exception as exc:
        logger.exception("Mailbox %s: the poll failed.", mailbox)
        result.error = f"Unexpected failure: {type(exc).__name__}: {exc}."
    now = timezone.now()
    if result.error:
        logger.warning("Mailbox %s: %s", mailbox.name, result.error)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=now, last_error=result.error[:2000], last_error_at=now
        )
        mailbox.last_error, mailbox.last_error_at = result.error[:2000], now
    else:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error="")
        mailbox.last_error = ""
    mailbox.last_polled_at = now
    return result


def _is_due(mailbox: Mailbox, now: datetime) -> bool:
    if mailbox.last_polled_at is None:
        return True
    return mailbox.last_polled_at + timedelta(seconds=mailbox.poll_interval_seconds) <= now


def poll_due_mailboxes() -> list[PollResult]:
    """Poll every active mailbox with a host whose poll interval has passed. A lease per mailbox
    keeps two beats or workers from polling one mailbox at once; it is renewed between batches
    and released at the end (a dead poller's lease simply expires)."""
    now = timezone.now()
    results = []
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(host=""):
        if not _is_due(mailbox, now):
            continue
        name = f"email_intake.poll.{mailbox.pk}"
        if not lease_take(name, seconds=_LEASE_SECONDS):
            continue
        try:
            results.append(
                poll_mailbox(mailbox, on_batch=partial(lease_take, name, seconds=_LEASE_SECONDS))
            )
        finally:
            lease_release(name)
    return results
