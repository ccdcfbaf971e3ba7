from collections.abc import Iterator

import pytest

from tests.api.conftest import client_as, token_for  # noqa: F401  (API clients)
from tests.conftest import IN_CI
from tests.faults.components import RedisServer


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A dedicated redis-server on a free port, stopped (and thawed) after the test."""
    try:
        server = RedisServer()
    except FileNotFoundError as exc:
        if IN_CI:
            pytest.fail(f"{exc} — required when CI=true", pytrace=False)
        pytest.skip(str(exc))
    server.start()
    yield server
    server.stop()
