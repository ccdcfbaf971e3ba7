"""Email intake benchmark (issue 15): import a mailbox of 10,000 messages from a local Dovecot.

Fills a throw-away Dovecot (tests/email_intake/dovecot.py) over IMAP APPEND with N messages —
70 % new reports from 2,000 senders, 29 % replies to one of them (In-Reply-To, References,
"Re:" subject), 1 % with a 512 KB attachment — then, in this one process (one worker), polls the
mailbox (fetch + store) and processes everything waiting. Reports messages/s for each phase and
overall, the process's resident memory sampled every batch (it must stay flat), and that each
message was stored and processed exactly once and is marked on the server.

The pipeline: `--pipeline real` (default) runs email_intake.pipeline.handle; `stub` replaces it
with a trivial one (reads the stored source, parses its headers, marks the message done), to time
the fetch, store and claim path without the pipeline's cost.

Usage: .venv/bin/python benchmarks/mail_import.py [--messages 10000] [--pipeline real|stub]
       [--database sd_fetch_bench]   (needs psql, a local PostgreSQL and /usr/sbin/dovecot)
"""

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from _setup import ROOT, progress, use_fresh_database

SENDERS = 2000


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build_messages(count: int) -> list[bytes]:
    messages: list[bytes] = []
    originals: list[tuple[str, str, str]] = []  # (message id, subject, sender)
    for number in range(count):
        message = EmailMessage()
        kind = number % 100
        if kind < 29 and originals:
            parent_id, parent_subject, sender = originals[(number * 7919) % len(originals)]
            message["Subject"] = f"Re: {parent_subject}"
            message["In-Reply-To"] = parent_id
            message["References"] = parent_id
            body = f"Thanks, it still happens (reply {number}).\n\n> earlier text\n"
        else:
            sender = f"user{number % SENDERS}@example.org"
            message["Subject"] = f"Printer {number} on floor {number % 9} jams"
            body = f"Report {number}: the printer shows error E{number % 97:02d}.\n" * 8
        message_id = f"<bench-{number}@example.org>"
        message["From"] = sender
        message["To"] = "desk@example.com"
        message["Message-ID"] = message_id
        message["Date"] = "Fri, 04 Dec 2026 10:00:00 +0000"
        message.set_content(body)
        if kind == 99:
            message.add_attachment(
                os.urandom(512 * 1024),
                maintype="application",
                subtype="octet-stream",
                filename="log.bin",
            )
        if not message.get("In-Reply-To"):
            originals.append((message_id, str(message["Subject"]), sender))
        messages.append(bytes(message))
    return messages


def fill(server, messages: list[bytes], workers: int = 4) -> float:  # type: ignore[no-untyped-def]
    """APPEND every message over `workers` IMAP connections; seconds taken."""
    started = time.monotonic()
    done = [0]
    lock = threading.Lock()

    def append(part: list[bytes]) -> None:
        connection = server.client("desk")
        try:
            for raw in part:
                status, data = connection.append("INBOX", "", None, raw)
                if status != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
                with lock:
                    done[0] += 1
                    if done[0] % 1000 == 0:
                        progress("append", done[0], len(messages))
        finally:
            connection.logout()

    threads = [
        threading.Thread(target=append, args=(messages[i::workers],)) for i in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def stub_pipeline() -> None:
    from email.parser import BytesHeaderParser

    from django.utils import timezone

    from email_intake import pipeline
    from email_intake.choices import InboundOutcome, InboundStatus

    def handle(inbound) -> None:  # type: ignore[no-untyped-def]
        with inbound.raw.open("rb") as source:
            headers = BytesHeaderParser().parse(source)
        inbound.status = InboundStatus.DONE
        inbound.outcome = (
            InboundOutcome.REPLY if headers.get("In-Reply-To") else InboundOutcome.NEW_TICKET
        )
        inbound.processed_at = timezone.now()
        inbound.save(update_fields=["status", "outcome", "processed_at"])

    pipeline.handle = handle


def setup_mailbox(server):  # type: ignore[no-untyped-def]
    from core.models import Service, SupportGroup
    from email_intake.models import Mailbox

    group = SupportGroup.objects.create(name="Service Desk", tier=1, email="l1@example.com")
    service = Service.objects.create(name="Printing", owner_group=group)
    return Mailbox.objects.create(
        name="bench",
        address="desk@example.com",
        host=server.host,
        port=server.tls_port,
        security="tls",
        verify_certificate=False,
        username="desk",
        password="desk-secret",
        support_group=group,
        service=service,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--pipeline", choices=["real", "stub"], default="real")
    parser.add_argument("--database", default="sd_fetch_bench")
    args = parser.parse_args()

    media = Path(tempfile.mkdtemp(prefix="sd-mail-bench-media-"))
    os.environ["MEDIA_ROOT"] = str(media)
    # A throughput run: the per-sender rate limit (a flood guard) would hold 2,000 senders'
    # reports sent within two minutes; it is measured by the pipeline's own tests.
    os.environ.setdefault("EMAIL_INTAKE_SENDER_PER_MINUTE", "1000000")
    use_fresh_database(args.database)
    from django.db import connection

    from email_intake.choices import InboundStatus
    from email_intake.fetch import poll_mailbox
    from email_intake.imap import KEYWORD
    from email_intake.models import InboundEmail
    from email_intake.processing import process_waiting

    sys.path.insert(0, str(ROOT))
    from tests.email_intake.dovecot import DovecotServer

    use_stub = args.pipeline == "stub"
    if use_stub:
        stub_pipeline()

    root = Path(tempfile.mkdtemp(prefix="sd-dovecot-bench-"))
    server = DovecotServer(root).start()
    try:
        messages = build_messages(args.messages)
        total_bytes = sum(len(raw) for raw in messages)
        append_seconds = fill(server, messages)
        del messages
        mailbox = setup_mailbox(server)
        rss_start = rss_mib()
        samples: list[float] = [rss_start]

        def sample() -> None:
            samples.append(rss_mib())
            progress("poll", InboundEmail.objects.count(), args.messages)

        started = time.monotonic()
        result = poll_mailbox(mailbox, on_batch=sample)
        poll_seconds = time.monotonic() - started
        rss_after_poll = rss_mib()

        processed = 0
        started = time.monotonic()
        while True:
            count = process_waiting(limit=500)
            if not count:
                break
            processed += count
            samples.append(rss_mib())
            progress("process", processed, args.messages)
        process_seconds = time.monotonic() - started

        stored = InboundEmail.objects.count()
        keys = InboundEmail.objects.values("message_key").distinct().count()
        done = InboundEmail.objects.filter(status=InboundStatus.DONE).count()
        imap = server.client("desk")
        imap.select("INBOX", readonly=True)
        left = len(imap.uid("SEARCH", "UNKEYWORD", KEYWORD)[1][0].split())
        imap.logout()
        second = poll_mailbox(mailbox)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0]
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)

    n = args.messages
    total_seconds = poll_seconds + process_seconds
    peak = max(samples)
    first_quarter = max(samples[: max(2, len(samples) // 4)])
    lines = [
        "## Email intake — `benchmarks/mail_import.py`",
        "",
        f"PostgreSQL {pg_version}, Dovecot {dovecot_version()}, {os.cpu_count()} cores; "
        f"database `{args.database}`; pipeline: "
        + ("**stub** (headers parsed, marked done)" if use_stub else "**real**")
        + ".",
        "",
        f"- Mailbox: {n:,} messages, {total_bytes / 1e6:.1f} MB (70 % new reports from "
        f"{SENDERS:,} senders, 29 % replies, 1 % with a 512 KB attachment), appended over IMAP "
        f"in {append_seconds:.1f} s.",
        f"- Poll (IMAP fetch over TLS + store, one process): {poll_seconds:.1f} s, "
        f"**{n / poll_seconds:.0f} msg/s**; stored {result.stored:,}, duplicates "
        f"{result.duplicates}, refused {result.refused}, errors {result.errors}.",
        f"- Process (claim + pipeline, one process): {process_seconds:.1f} s, "
        f"**{n / process_seconds:.0f} msg/s**.",
        f"- Poll + process: {total_seconds:.1f} s, **{n / total_seconds:.0f} msg/s** "
        f"(target ≥ 50 msg/s).",
        f"- Resident memory (sampled after every fetch batch of 200 and every 500 processed, "
        f"{len(samples)} samples): {rss_start:.0f} MiB before, peak {peak:.0f} MiB "
        f"(peak over the first quarter {first_quarter:.0f} MiB; after the poll "
        f"{rss_after_poll:.0f} MiB); ru_maxrss "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB.",
        f"- Exactly once: {stored:,} rows for {n:,} messages, {keys:,} distinct keys, "
        f"{done:,} processed; {left} messages left unmarked on the server; a second poll "
        f"stored {second.stored} and found {second.duplicates} duplicates.",
        f"  (measured at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
    ]
    print("\n".join(lines))


def dovecot_version() -> str:
    import subprocess

    return subprocess.run(
        ["/usr/sbin/dovecot", "--version"], capture_output=True, text=True, check=False
    ).stdout.split()[0]


if __name__ == "__main__":
    main()
