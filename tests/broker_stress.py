"""Hammer a filesystem transport with producer and consumer processes; count every message.

Used by tests/core/test_embedded_broker.py (our transport must pass) and runnable by hand against
kombu's stock one, which it catches failing (celery/kombu#1551):

    .venv/bin/python -m tests.broker_stress --seconds 20 \\
        --transport kombu.transport.filesystem:Transport

Producers publish numbered messages (some of them large, which widens any window in which a
half-written file is visible) for the given time; consumers take them with acknowledgements and
reject some once with requeue, as Celery does on a retry. Every consumer also binds its own queue
to one fanout exchange as it starts, all at once, as Celery workers do for remote control. Each
process writes what it did to a JSON file; the verdict lists every error, every lost and every
doubled message, and every lost binding. Every loop is bounded by time and count.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kombu import Connection, Exchange, Queue

QUEUE = "stress"
FANOUT = "stress.fanout"
MAX_MESSAGES_PER_PRODUCER = 200_000
LARGE_EVERY = 7
LARGE_BYTES = 256 * 1024
REQUEUE_EVERY = 20
DRAIN_GRACE_SECONDS = 60.0


def _connection(folder: Path, transport: str) -> Connection:
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }
    return Connection(hostname="localhost", transport=transport, transport_options=options)


def _produce(folder: Path, transport: str, number: int, deadline: float, out: Path) -> None:
    sent: list[str] = []
    error = ""
    try:
        with _connection(folder, transport) as connection:
            queue = Queue(QUEUE, routing_key=QUEUE)
            producer = connection.Producer(serializer="json")
            while time.time() < deadline and len(sent) < MAX_MESSAGES_PER_PRODUCER:
                ident = f"{number}-{len(sent)}"
                padding = "x" * (LARGE_BYTES if len(sent) % LARGE_EVERY == 0 else 16)
                producer.publish({"id": ident, "pad": padding}, routing_key=QUEUE, declare=[queue])
                sent.append(ident)
    except Exception:
        error = traceback.format_exc()
    out.write_text(json.dumps({"sent": sent, "error": error}))


def _consume(
    folder: Path, transport: str, number: int, done: Any, hard_deadline: float, out: Path
) -> None:
    acked: list[str] = []
    requeued = 0
    error = ""
    try:
        with _connection(folder, transport) as connection:
            channel = connection.channel()
            own = Queue(f"{QUEUE}.consumer{number}", Exchange(FANOUT, type="fanout"))
            own(channel).declare()
            queue = Queue(QUEUE, routing_key=QUEUE)(channel)
            queue.declare()
            seen_requeue: set[str] = set()
            empty_after_done = 0
            while time.time() < hard_deadline and empty_after_done < 3:
                message = queue.get(no_ack=False)
                if message is None:
                    empty_after_done = empty_after_done + 1 if done.is_set() else 0
                    time.sleep(0.05)
                    continue
                ident = message.payload["id"]
                if hash(ident) % REQUEUE_EVERY == 0 and ident not in seen_requeue:
                    seen_requeue.add(ident)
                    message.reject(requeue=True)
                    requeued += 1
                    continue
                acked.append(ident)
                message.ack()
    except Exception:
        error = traceback.format_exc()
    out.write_text(json.dumps({"acked": acked, "requeued": requeued, "error": error}))


@dataclass
class Verdict:
    """What a stress run saw; `ok` only with no error, nothing lost, nothing doubled."""

    published: int = 0
    consumed: int = 0
    requeued: int = 0
    errors: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    bindings_missing: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.errors or self.lost or self.doubled or self.bindings_missing)

    def summary(self) -> str:
        first_error = self.errors[0].strip().splitlines()[-1] if self.errors else "none"
        return (
            f"{self.published} published, {self.consumed} consumed, {self.requeued} requeued "
            f"in {self.seconds:.0f} s; {len(self.errors)} process error(s) (first: "
            f"{first_error}); {len(self.lost)} lost; {len(self.doubled)} doubled; "
            f"bindings missing: {self.bindings_missing or 'none'}"
        )


def stress(
    folder: Path, transport: str, *, seconds: float, producers: int = 3, consumers: int = 3
) -> Verdict:
    """Run producers and consumers against `folder` for `seconds`; every process is bounded."""
    for name in ("queue", "control", "processed"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    done = context.Event()
    started = time.time()
    deadline = started + seconds
    hard_deadline = deadline + DRAIN_GRACE_SECONDS
    produced_files = [folder / f"producer{n}.json" for n in range(producers)]
    consumed_files = [folder / f"consumer{n}.json" for n in range(consumers)]
    consumer_processes = [
        context.Process(target=_consume, args=(folder, transport, n, done, hard_deadline, out))
        for n, out in enumerate(consumed_files)
    ]
    producer_processes = [
        context.Process(target=_produce, args=(folder, transport, n, deadline, out))
        for n, out in enumerate(produced_files)
    ]
    for process in consumer_processes + producer_processes:
        process.start()
    for process in producer_processes:
        process.join(timeout=max(hard_deadline - time.time(), 1))
    done.set()
    for process in consumer_processes:
        process.join(timeout=max(hard_deadline + 10 - time.time(), 1))
    verdict = Verdict(seconds=time.time() - started)
    for process in producer_processes + consumer_processes:
        if process.is_alive():
            process.kill()
            process.join()
            verdict.errors.append(f"{process.name} still running at the hard deadline")
        elif process.exitcode != 0:
            verdict.errors.append(f"{process.name} exited with {process.exitcode}")
    _tally(verdict, produced_files, consumed_files)
    _check_bindings(verdict, folder, transport, consumers)
    return verdict


def _tally(verdict: Verdict, produced_files: list[Path], consumed_files: list[Path]) -> None:
    sent: list[str] = []
    acked: list[str] = []
    for path in produced_files + consumed_files:
        if not path.exists():
            verdict.errors.append(f"{path.name}: no report (the process died)")
            continue
        report = json.loads(path.read_text())
        if report["error"]:
            verdict.errors.append(f"{path.stem}: {report['error']}")
        sent += report.get("sent", [])
        acked += report.get("acked", [])
        verdict.requeued += report.get("requeued", 0)
    verdict.published, verdict.consumed = len(sent), len(acked)
    verdict.lost = sorted(set(sent) - set(acked))
    seen: set[str] = set()
    verdict.doubled = sorted({ident for ident in acked if ident in seen or seen.add(ident)})


def _check_bindings(verdict: Verdict, folder: Path, transport: str, consumers: int) -> None:
    with _connection(folder, transport) as connection:
        table = connection.default_channel.get_table(FANOUT)
    bound = {row[2] for row in table}
    verdict.bindings_missing = [
        f"{QUEUE}.consumer{n}" for n in range(consumers) if f"{QUEUE}.consumer{n}" not in bound
    ]


def hold_claims(folder: Path, transport: str, count: int, ready: Any) -> None:
    """Take `count` messages without acknowledging them, then wait to be killed (bounded)."""
    with _connection(folder, transport) as connection:
        queue = Queue(QUEUE, routing_key=QUEUE)(connection.channel())
        held = [queue.get(no_ack=False) for _ in range(count)]
        ready.set()
        deadline = time.time() + 120
        while time.time() < deadline and all(message is not None for message in held):
            time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--transport", default="core.broker.filesystem:Transport")
    parser.add_argument("--producers", type=int, default=3)
    parser.add_argument("--consumers", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    import tempfile

    folder = args.folder or Path(tempfile.mkdtemp(prefix="broker-stress-"))
    verdict = stress(
        folder,
        args.transport,
        seconds=args.seconds,
        producers=args.producers,
        consumers=args.consumers,
    )
    sys.stdout.write(f"{args.transport} in {folder}: {verdict.summary()}\n")
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
