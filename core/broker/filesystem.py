"""kombu's filesystem transport without its races: the embedded broker of `make run`.

Why a fix is needed: kombu's `filesystem` transport (5.x) creates a message file, then locks it and
writes it; a consumer lists the folder, moves the file away and reads it without looking at the
lock. A consumer that lists the folder between the producer's create and write reads an empty or
half-written file, and the worker dies on `JSONDecodeError` (celery/kombu#1551: `make run` died
that way after 26 idle minutes, beat and worker alone). Its exchange tables (the fanout bindings of
Celery's remote control) are created and truncated in place the same way. And a consumer "claims"
a message with `shutil.move` into the system temp folder: on another filesystem (a tmpfs /tmp)
that is a copy then a delete, so two consumers can both copy one message, and the file is deleted
as soon as it is read, so a worker killed before acknowledging loses it.

Why this and not another embedded broker: the only other server-less transport kombu offers
across processes is SQLAlchemy's, which would add a dependency and, on SQLite, contend for the
database file's single writer lock with the web app and the worker's own transactions. Files
need nothing new, and three rules make them safe:

- **a producer never shows a partial file**: it writes into `<queue>/.staging/` and renames the
  finished file into the queue folder (one filesystem, so the rename is atomic);
- **a consumer claims by rename into its own claim folder** (`core.broker.claims`): of several
  consumers exactly one rename succeeds, and the file stays there until the message is
  acknowledged (deleted), rejected or requeued (put back as a new file first, then deleted). A
  consumer killed with SIGKILL leaves its claims behind, and any live process of the stack puts
  them back in the queue within RECOVER_EVERY_SECONDS: the transport loses nothing and hands a
  message to one consumer at a time; a message whose consumer died mid-task runs again, which is
  what `acks_late` asks for (tasks are idempotent);
- **a file that cannot be read is set aside, never fatal**: it moves to `<queue>/.corrupt/` with a
  logged error and the consumer carries on (only a power cut can still produce one: files are not
  fsynced, and the outbox relay publishes again what never ran).

Exchange tables are rewritten whole (temporary file, then `os.replace`) under a lock file, so a
reader always sees a complete table. Message names keep kombu's format
(`<time>_<uuid>.<queue>.msg`), so a queue folder left by the stock transport is still read.
Selected for `filesystem://` URLs by `config/celery.py`.
"""

import fcntl
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from queue import Empty
from typing import Any, cast

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, virtual
from kombu.utils.json import dumps, loads

from core.broker.claims import CLAIMED_FOLDER, STALE_AFTER_SECONDS, claim_folder_for
from core.broker.claims import recover_abandoned as recover_claims

logger = logging.getLogger(__name__)

STAGING_FOLDER = ".staging"
CORRUPT_FOLDER = ".corrupt"
TABLES_LOCK = ".tables.lock"
RECOVER_EVERY_SECONDS = 10.0


class ClaimingQoS(virtual.QoS):
    """kombu's QoS that also deletes a message's claimed file once the message is settled."""

    @property
    def claims(self) -> "Channel":
        return cast(Channel, self.channel)

    def ack(self, delivery_tag: str) -> None:
        super().ack(delivery_tag)
        self.claims.claim_release(delivery_tag)

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        # With requeue, kombu has put the message back (a new file) before we drop the claim.
        super().reject(delivery_tag, requeue=requeue)
        self.claims.claim_release(delivery_tag)

    def restore_unacked(self) -> Any:
        tags = list(self._delivered or ())
        # kombu returns the (error, message) pairs it could not put back (its stubs say None).
        errors: list[tuple[BaseException, Any]] = cast(Any, super().restore_unacked()) or []
        # A message kombu could not put back keeps its claim: recovery requeues it after we exit.
        unrestored = {message.delivery_tag for _, message in errors}
        for tag in tags:
            if tag not in unrestored:
                self.claims.claim_release(tag)
        return errors


class Channel(filesystem.Channel):
    """A filesystem channel with atomic publishing, claiming by rename and safe exchange tables."""

    QoS = ClaimingQoS

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        self._claims: dict[str, Path] = {}
        self._claims_lock = threading.Lock()
        self._no_ack_queues: set[str] = set()
        # Names from the last listing of each queue, oldest last (popped first): one listing
        # serves many gets, so a backlog of n messages costs n renames, not n listings.
        self._backlog: dict[str, list[str]] = {}
        self._next_recovery = 0.0
        super().__init__(connection, **kwargs)

    @cached_property
    def queue_folder(self) -> Path:
        return Path(self.data_folder_in)

    @cached_property
    def staging_folder(self) -> Path:
        staging = Path(self.data_folder_out) / STAGING_FOLDER
        staging.mkdir(exist_ok=True)
        return staging

    @cached_property
    def claimed_root(self) -> Path:
        return self.queue_folder / CLAIMED_FOLDER

    # --- publishing -----------------------------------------------------------------------------

    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{time.time_ns() // 1_000_000:015d}_{uuid.uuid4()}.{queue}.msg"
        staged = self.staging_folder / name
        try:
            staged.write_bytes(dumps(payload).encode("utf-8"))
            os.rename(staged, Path(self.data_folder_out) / name)
        except OSError as exc:
            staged.unlink(missing_ok=True)
            raise ChannelError(f"Cannot add message {name!r} to {self.data_folder_out}") from exc

    # --- consuming ------------------------------------------------------------------------------

    def _get(self, queue: str) -> dict[str, Any]:  # type: ignore[override]
        self._recover_if_due()
        payload = self._take(queue, self._backlog.get(queue) or [])
        if payload is None:
            payload = self._take(queue, self._listing(queue))
        if payload is None:
            raise Empty()
        return payload

    def _take(self, queue: str, candidates: list[str]) -> dict[str, Any] | None:
        """Claim the oldest candidate still there; the rest stay cached for the next get."""
        while candidates:
            payload = self._claim(queue, candidates.pop())
            if payload is not None:
                self._backlog[queue] = candidates
                return payload
        self._backlog[queue] = []
        return None

    def _listing(self, queue: str) -> list[str]:
        wanted = f"{queue}.msg"
        names = [
            name
            for name in os.listdir(self.queue_folder)
            if not name.startswith(".") and name.partition(".")[2] == wanted
        ]
        names.sort(reverse=True)
        return names

    def _claim(self, queue: str, name: str) -> dict[str, Any] | None:
        """Take one message file, or None if another consumer took it first or it is unreadable."""
        claimed = claim_folder_for(self.claimed_root).path / name
        try:
            os.rename(self.queue_folder / name, claimed)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ChannelError(f"Cannot claim message {name!r}") from exc
        try:
            payload: dict[str, Any] = loads(claimed.read_bytes().decode("utf-8"))
            tag: str = payload["properties"]["delivery_tag"]
        except (ValueError, KeyError, TypeError) as exc:
            self._set_aside(claimed, exc)
            return None
        if queue in self._no_ack_queues:
            claimed.unlink()
        else:
            with self._claims_lock:
                self._claims[tag] = claimed
        return payload

    def _set_aside(self, claimed: Path, error: Exception) -> None:
        corrupt = self.queue_folder / CORRUPT_FOLDER
        corrupt.mkdir(exist_ok=True)
        os.replace(claimed, corrupt / claimed.name)
        logger.error(
            "Broker: message file %s is unreadable (%s); moved to %s.", claimed.name, error, corrupt
        )

    def claim_release(self, delivery_tag: str) -> None:
        """The message is settled: forget its claimed file (kept in processed_folder if asked)."""
        with self._claims_lock:
            claimed = self._claims.pop(delivery_tag, None)
        if claimed is None:
            return
        if self.store_processed:
            os.replace(claimed, Path(self.processed_folder) / claimed.name)
        else:
            claimed.unlink(missing_ok=True)

    def basic_consume(self, queue: str, no_ack: bool, *args: Any, **kwargs: Any) -> Any:
        if no_ack:
            self._no_ack_queues.add(queue)
        else:
            self._no_ack_queues.discard(queue)
        return super().basic_consume(queue, no_ack, *args, **kwargs)

    def basic_get(self, queue: str, no_ack: bool = False, **kwargs: Any) -> Any:
        message = super().basic_get(queue, no_ack=no_ack, **kwargs)
        if message is not None and no_ack and message.delivery_tag:
            self.claim_release(message.delivery_tag)
        return message

    def _recover_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_recovery:
            return
        self._next_recovery = now + RECOVER_EVERY_SECONDS
        # Make ours first, so the scan knows which folder is alive without asking its lock.
        claim_folder_for(self.claimed_root)
        recover_claims(self.claimed_root, self.queue_folder)
        _remove_stale_staging(self.staging_folder)

    # --- exchange tables ------------------------------------------------------------------------

    def _table_path(self, exchange: str) -> Path:
        """kombu's checked path of an exchange table (it refuses names that could escape)."""
        path: Path = self._exchange_file(exchange)  # type: ignore[attr-defined]  # not in stubs
        return path

    def get_table(self, exchange: str) -> list[Any]:
        file = self._table_path(exchange)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc
        try:
            return [filesystem.exchange_queue_t(*row) for row in loads(text)]
        except (ValueError, TypeError):
            # Only the stock transport's in-place writes leave such a table; the next bind
            # rewrites it whole.
            logger.warning("Broker: exchange table %s is unreadable; treating it as empty.", file)
            return []

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str | None, queue: str) -> None:
        row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._tables_locked():
            rows = self.get_table(exchange)
            if row not in rows:
                self._table_write(exchange, [row, *rows])

    def _delete(
        self, queue: str, exchange: str, routing_key: str | None, pattern: str | None, *args: Any
    ) -> None:
        # The virtual channel's delete (purge the queue), not the stock filesystem table rewrite.
        super(filesystem.Channel, self)._delete(queue, exchange, routing_key, pattern, *args)
        row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._tables_locked():
            rows = self.get_table(exchange)
            if row in rows:
                rows.remove(row)
                self._table_write(exchange, rows)

    @contextmanager
    def _tables_locked(self) -> Iterator[None]:
        self.control_folder.mkdir(parents=True, exist_ok=True)
        with (self.control_folder / TABLES_LOCK).open("a") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def _table_write(self, exchange: str, rows: list[Any]) -> None:
        file = self._table_path(exchange)
        temporary = file.with_name(f".{file.name}.{uuid.uuid4().hex}.tmp")
        try:
            temporary.write_text(dumps(rows), encoding="utf-8")
            os.replace(temporary, file)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise ChannelError(f"Cannot write {file}") from exc


def _remove_stale_staging(staging: Path) -> None:
    """Drop what a producer killed mid-write left in staging (never published, never a message)."""
    cutoff = time.time() - STALE_AFTER_SECONDS
    for entry in os.scandir(staging):
        try:
            if entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
        except FileNotFoundError:
            continue


class Transport(filesystem.Transport):
    """The filesystem transport with the channel above (driver name stays "filesystem")."""

    Channel = Channel
    global_state = virtual.BrokerState()
