"""Broker switching for tests: point Celery at memory://, a closed port or real Redis."""

from collections.abc import Callable, Iterator

import pytest

from config.celery import app

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"
REDIS_TRANSPORT_OPTIONS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 1,
    "retry_on_timeout": False,
    "max_retries": 1,
}


def use_broker_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point the Celery app at another broker URL for this test (restored afterwards)."""
    saved = (app.conf.broker_url, app.conf.broker_transport_options)

    def use(url: str) -> None:
        # Celery reads CELERY_BROKER_URL from the environment before its own setting.
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        app.conf.broker_url = url
        app.conf.broker_transport_options = (
            REDIS_TRANSPORT_OPTIONS if url.startswith("redis") else {}
        )

    yield use
    app.conf.broker_url, app.conf.broker_transport_options = saved


def drain(queue_name: str = "default") -> list[tuple[str, list[int]]]:
    """Take every message from a queue of the current broker: [(task name, args)]."""
    taken = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(queue_name)
        while True:
            try:
                message = queue.get(block=True, timeout=0.2)
            except queue.Empty:
                break
            body_args = message.decode()[0] if isinstance(message.decode(), list | tuple) else []
            taken.append((message.headers["task"], list(body_args)))
            message.ack()
        queue.close()
    return taken
