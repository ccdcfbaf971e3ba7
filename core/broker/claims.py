"""Claim folders: where a consumer keeps the messages it has taken but not yet acknowledged.

A consumer claims a message by renaming its file from the queue folder into its own claim folder,
`<queue folder>/.claimed/<host>-<pid>-<token>/`. A rename within one filesystem is atomic, so of
two consumers racing for one file exactly one wins; the file stays in the claim folder until the
message is acknowledged, so a consumer killed with SIGKILL loses nothing.

Each claim folder holds `owner.lock`, on which its process keeps a POSIX record lock (`lockf`) for
as long as it lives. The kernel drops such a lock when the process dies, and — unlike `flock` — a
forked child does not inherit it, so a Celery pool process cannot keep a dead parent's folder
"alive". Whoever can take that lock knows the owner is gone and puts its messages back in the
queue, under their original names (so they keep their place in the order). A folder appears under
its final name only once its lock is held (it is made as `.new-<token>` and renamed), so a
half-made folder is never mistaken for an abandoned one.
"""

import fcntl
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)

CLAIMED_FOLDER = ".claimed"
LOCK_NAME = "owner.lock"
PENDING_PREFIX = ".new-"
# A producer or a claimer killed half-way leaves an empty `.new-*` folder or a staging file behind;
# anything that old is garbage, not work in progress.
STALE_AFTER_SECONDS = 3600.0


class ClaimFolder:
    """This process's claim folder under `root`, locked for the life of the process."""

    def __init__(self, root: Path) -> None:
        self.pid = os.getpid()
        token = uuid.uuid4().hex[:12]
        root.mkdir(parents=True, exist_ok=True)
        pending = root / f"{PENDING_PREFIX}{token}"
        pending.mkdir()
        self._lock_fd = os.open(pending / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.lockf(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.path = root / f"{socket.gethostname()}-{self.pid}-{token}"
        os.rename(pending, self.path)


_folders: dict[Path, ClaimFolder] = {}
_folders_lock = threading.Lock()


def claim_folder_for(root: Path) -> ClaimFolder:
    """This process's claim folder under `root`; a forked child gets its own, not its parent's."""
    with _folders_lock:
        folder = _folders.get(root)
        if folder is None or folder.pid != os.getpid():
            folder = _folders[root] = ClaimFolder(root)
        return folder


def recover_abandoned(root: Path, queue_folder: Path) -> int:
    """Put the messages of every dead consumer's claim folder back in the queue; return how many.

    Safe to run from any number of processes at once: only the one holding a folder's lock moves
    its files, and a folder whose lock is gone has already been emptied."""
    own = _folders.get(root)
    own_path = own.path if own is not None and own.pid == os.getpid() else None
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return 0
    recovered = 0
    for entry in entries:
        path = Path(entry.path)
        if path == own_path or not entry.is_dir(follow_symlinks=False):
            continue
        if entry.name.startswith(PENDING_PREFIX):
            _remove_if_stale_and_unlocked(path)
            continue
        recovered += _recover_folder(path, queue_folder)
    return recovered


def _recover_folder(folder: Path, queue_folder: Path) -> int:
    lock_fd = _lock_if_owner_dead(folder / LOCK_NAME)
    if lock_fd is None:
        return 0
    moved = 0
    try:
        for name in sorted(os.listdir(folder)):
            if name == LOCK_NAME:
                continue
            os.rename(folder / name, queue_folder / name)
            moved += 1
        # Lock file last: a folder without one is known to be empty (see recover_abandoned).
        (folder / LOCK_NAME).unlink()
    finally:
        os.close(lock_fd)
    _remove_folder(folder)
    if moved:
        logger.warning(
            "Broker: put %d unacknowledged message(s) of a dead consumer back in the queue (%s).",
            moved,
            folder.name,
        )
    return moved


def _lock_if_owner_dead(lock_path: Path) -> int | None:
    """An open, locked descriptor on the lock file if its owner is gone, else None."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        # Emptied by another recoverer that has not removed the folder yet (or died doing so).
        _remove_folder(lock_path.parent)
        return None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    if not lock_path.exists():
        # Another recoverer finished with this folder between our open and our lock.
        os.close(fd)
        return None
    return fd


def _remove_if_stale_and_unlocked(folder: Path) -> None:
    try:
        age = time.time() - folder.stat().st_mtime
    except FileNotFoundError:
        return
    if age < STALE_AFTER_SECONDS:
        return
    lock_fd = _lock_if_owner_dead(folder / LOCK_NAME)
    if lock_fd is None:
        return
    try:
        (folder / LOCK_NAME).unlink()
    finally:
        os.close(lock_fd)
    _remove_folder(folder)


def _remove_folder(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        # Gone already, or not empty: then its files are still someone's messages.
        return
