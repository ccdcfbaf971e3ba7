"""The embedded broker (core/broker): kombu's filesystem transport without its races.

The stress test is the proof for celery/kombu#1551 — against kombu's stock transport the same run
fails every time (a consumer dies on JSONDecodeError reading a half-written file); see
tests/broker_stress.py. The others pin each rule: a dead consumer's claims come back, a live
one's stay, an unreadable file is set aside, requeue and shutdown put a message back once.
"""

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from kombu import Connection, Queue

from config.celery import app
from core.broker import filesystem
from core.broker.claims import CLAIMED_FOLDER, STALE_AFTER_SECONDS
from tests.broker_stress import QUEUE, hold_claims, stress

OURS = "core.broker.filesystem:Transport"
STRESS_SECONDS = 60.0


def _connection(folder: Path) -> Connection:
    for name in ("queue", "control", "processed"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return Connection(
        hostname="localhost",
        transport=OURS,
        transport_options={
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
            "processed_folder": str(folder / "processed"),
        },
    )


def _publish(connection: Connection, count: int) -> None:
    producer = connection.Producer(serializer="json")
    queue = Queue(QUEUE, routing_key=QUEUE)
    for number in range(count):
        producer.publish({"id": f"m{number}"}, routing_key=QUEUE, declare=[queue])


def _take_all(connection: Connection) -> list[str]:
    queue = Queue(QUEUE, routing_key=QUEUE)(connection.channel())
    taken = []
    for _ in range(1000):
        message = queue.get(no_ack=False)
        if message is None:
            break
        taken.append(message.payload["id"])
        message.ack()
    return taken


def _messages_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.msg"))


@pytest.mark.slow
def test_concurrent_producers_and_consumers_for_a_minute_lose_and_double_nothing(
    tmp_path: Path,
) -> None:
    verdict = stress(tmp_path, OURS, seconds=STRESS_SECONDS, producers=3, consumers=3)
    assert verdict.ok, verdict.summary()
    assert verdict.published > 1000, verdict.summary()
    assert verdict.requeued > 0, verdict.summary()


def test_filesystem_urls_use_the_race_free_transport(settings, tmp_path: Path) -> None:
    with app.connection_for_write("filesystem://") as connection:
        assert isinstance(connection.transport, filesystem.Transport)
        assert connection.transport_cls == "filesystem"  # what /healthz reports


@pytest.mark.slow
def test_a_killed_consumers_unacknowledged_messages_are_delivered_again(tmp_path: Path) -> None:
    with _connection(tmp_path) as connection:
        _publish(connection, 5)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=hold_claims, args=(tmp_path, OURS, 2, ready))
    holder.start()
    try:
        assert ready.wait(60), "the holding consumer never took its messages"
        with _connection(tmp_path) as connection:
            # The holder is alive: its two claims are not someone else's to take.
            before_kill = _take_all(connection)
            assert len(before_kill) == 3
            os.kill(holder.pid, signal.SIGKILL)
            holder.join(10)
            connection.default_channel._next_recovery = 0.0
            after_kill = _take_all(connection)
            assert sorted(before_kill + after_kill) == ["m0", "m1", "m2", "m3", "m4"]
            assert _take_all(connection) == []
    finally:
        if holder.is_alive():
            holder.kill()
            holder.join()
    left = [path.name for path in (tmp_path / "queue" / CLAIMED_FOLDER).iterdir()]
    assert len(left) == 1, f"the dead consumer's claim folder should be gone: {left}"


def test_an_unreadable_message_file_is_set_aside_and_the_next_one_delivered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with _connection(tmp_path) as connection:
        (tmp_path / "queue" / f"000000000000001_broken.{QUEUE}.msg").write_bytes(b"")
        _publish(connection, 1)
        assert _take_all(connection) == ["m0"]
    assert [path.name for path in (tmp_path / "queue" / ".corrupt").iterdir()] == [
        f"000000000000001_broken.{QUEUE}.msg"
    ]
    assert "unreadable" in caplog.text


def test_an_acknowledged_message_leaves_no_file(tmp_path: Path) -> None:
    with _connection(tmp_path) as connection:
        _publish(connection, 1)
        queue = Queue(QUEUE, routing_key=QUEUE)(connection.channel())
        message = queue.get(no_ack=False)
        claimed = list((tmp_path / "queue" / CLAIMED_FOLDER).glob("*/*.msg"))
        assert len(claimed) == 1, "an unacknowledged message is kept in its consumer's claim"
        assert _messages_in(tmp_path / "queue") == []
        message.ack()
        assert list((tmp_path / "queue" / CLAIMED_FOLDER).glob("*/*.msg")) == []


def test_a_requeued_message_is_delivered_again_once(tmp_path: Path) -> None:
    with _connection(tmp_path) as connection:
        _publish(connection, 1)
        queue = Queue(QUEUE, routing_key=QUEUE)(connection.channel())
        queue.get(no_ack=False).reject(requeue=True)
        assert list((tmp_path / "queue" / CLAIMED_FOLDER).glob("*/*.msg")) == []
        assert _take_all(connection) == ["m0"]


def test_closing_a_channel_puts_its_unacknowledged_messages_back(tmp_path: Path) -> None:
    with _connection(tmp_path) as connection:
        _publish(connection, 2)
        channel = connection.channel()
        queue = Queue(QUEUE, routing_key=QUEUE)(channel)
        assert queue.get(no_ack=False) is not None
        channel.close()  # a worker's warm shutdown
        assert list((tmp_path / "queue" / CLAIMED_FOLDER).glob("*/*.msg")) == []
        assert sorted(_take_all(connection)) == ["m0", "m1"]


def test_a_no_ack_consumer_keeps_no_claim(tmp_path: Path) -> None:
    with _connection(tmp_path) as connection:
        _publish(connection, 1)
        queue = Queue(QUEUE, routing_key=QUEUE)(connection.channel())
        assert queue.get(no_ack=True).payload == {"id": "m0"}
        assert list((tmp_path / "queue" / CLAIMED_FOLDER).glob("*/*.msg")) == []


def test_what_a_killed_producer_left_in_staging_is_removed_when_stale(tmp_path: Path) -> None:
    with _connection(tmp_path) as connection:
        staging = tmp_path / "queue" / filesystem.STAGING_FOLDER
        _publish(connection, 1)
        stale, fresh = staging / "stale.msg", staging / "fresh.msg"
        stale.write_bytes(b"{")
        fresh.write_bytes(b"{")
        old = time.time() - STALE_AFTER_SECONDS - 60
        os.utime(stale, (old, old))
        assert _take_all(connection) == ["m0"]
        assert sorted(path.name for path in staging.iterdir()) == ["fresh.msg"]
