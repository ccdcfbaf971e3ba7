"""A real SMTP server process that captures what the desk sends (issue 15: "outgoing mail is
captured by a real SMTP server process and parsed back").

`python -m aiosmtpd -n -l 127.0.0.1:PORT -c tests.email_intake.smtp_capture.FolderHandler DIR`
runs aiosmtpd's own server in its own process; the handler below writes each message it accepts,
as received on the wire, to DIR/<n>.eml (written under a temporary name, then renamed, so a
reader never sees half a message). The `smtp_capture` fixture starts it on a free port, points
Django's SMTP backend at it and parses the messages back with the standard `email` package.

This module is imported by the server process too: it imports nothing of Django or pytest at
the top.
"""

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 15.0


class FolderHandler:
    """aiosmtpd handler: each accepted message becomes a file in `folder`."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.counter = itertools.count(1)

    @classmethod
    def from_cli(cls, parser: Any, *args: str) -> "FolderHandler":
        if len(args) != 1:
            parser.error("FolderHandler takes one argument: the folder to write messages to")
        return cls(args[0])

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        number = next(self.counter)
        (self.folder / f"{number:05d}.rcpt").write_text("\n".join(envelope.rcpt_tos))
        temporary = self.folder / f".{number}.tmp"
        temporary.write_bytes(envelope.original_content)
        temporary.rename(self.folder / f"{number:05d}.eml")
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5) as connection:
            return connection.recv(3) == b"220"
    except OSError:
        return False


class SmtpCapture:
    """The running server: its port and the messages it captured, parsed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                f"{__name__}.FolderHandler",
                str(self.folder),
            ],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _accepts(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the SMTP capture server did not start on {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    def envelope_recipients(self) -> list[list[str]]:
        """RCPT TO of each captured message: who the server was asked to deliver it to."""
        return [
            path.with_suffix(".rcpt").read_text().split("\n")
            for path in sorted(self.folder.glob("*.eml"))
        ]

    def raw_messages(self) -> list[bytes]:
        return [path.read_bytes() for path in sorted(self.folder.glob("*.eml"))]

    def messages(self, *, expect: int | None = None, timeout: float = 5.0) -> list[EmailMessage]:
        """Every captured message, parsed; with `expect`, wait until that many arrived."""
        deadline = time.monotonic() + timeout
        while expect is not None and len(list(self.folder.glob("*.eml"))) < expect:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return [message_from_bytes(raw, policy=policy.default) for raw in self.raw_messages()]


@contextmanager
def smtp_capture_running(folder: Path) -> Iterator[SmtpCapture]:
    """Run the capture server for the duration of the block (messages go to `folder`)."""
    folder.mkdir(parents=True, exist_ok=True)
    capture = SmtpCapture(folder)
    capture.start()
    try:
        yield capture
    finally:
        capture.stop()
