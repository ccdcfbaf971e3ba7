"""Closed-loop API clients for benchmarks/faults.py: each creates incidents one after another with
an `Idempotency-Key`, and retries a failed create with the SAME key until it is acknowledged
(what a careful client does, and what makes "duplicated" measurable: a retry that created a
second incident would show as two rows with one title).

Every request is recorded (start, end, status; status 0 for a broken connection or a timeout),
and every acknowledged create (its title and number). A retry waits 0.5 s after a 503 (the
Retry-After says 5, but an impatient client is the harder case for the server) and 0.2 s after
any other failure. A probe task reads /healthz every second. Everything runs on one asyncio
loop in a thread of its own, stopped by `stop()`; every wait is bounded by REQUEST_TIMEOUT.
"""

import asyncio
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field

from loadgen import ConnectionLostError, _read_answer

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 10.0


@dataclass
class Request:
    started: float
    finished: float
    status: int  # 0: the connection broke or the answer took longer than REQUEST_TIMEOUT

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass
class Probe:
    at: float
    code: int
    status: str
    seconds: float


@dataclass
class LoadResult:
    requests: list[Request] = field(default_factory=list)
    acked: dict[str, str] = field(default_factory=dict)  # title -> incident number
    unacked: set[str] = field(default_factory=set)  # titles still being retried at the end
    probes: list[Probe] = field(default_factory=list)


class _Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """One request; reconnects once when the server closed the idle connection."""
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.wait_for(
                    asyncio.open_connection(HOST, self.port), REQUEST_TIMEOUT
                )
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(raw)
                status, body, keep = await asyncio.wait_for(
                    _read_answer(self.reader), REQUEST_TIMEOUT
                )
            except ConnectionLostError:
                self.close()
                if attempt == 2:
                    raise
                continue
            if not keep:
                self.close()
            return status, body
        raise ConnectionLostError

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def http_request(method: str, path: str, token: str, body: object = None, **headers: str) -> bytes:
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {HOST}",
        f"Authorization: Bearer {token}",
        "Accept: application/json",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Load:
    """`clients` API clients (one token each, round robin) creating incidents titled
    `fault <label> <client>-<n>` until stopped; `pause` seconds between two creates."""

    def __init__(
        self,
        port: int,
        tokens: list[str],
        *,
        label: str,
        clients: int,
        pause: float = 0.0,
        fields: dict[str, str] | None = None,
    ) -> None:
        self.port, self.tokens, self.label = port, tokens, label
        self.clients, self.pause, self.fields = clients, pause, fields or {}
        self.result = LoadResult()
        self._stopping = False
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def start(self) -> "Load":
        self._thread.start()
        return self

    def stop(self) -> LoadResult:
        self._stopping = True
        self._thread.join(REQUEST_TIMEOUT * 2 + 5)
        return self.result

    async def _main(self) -> None:
        await asyncio.gather(
            self._probe(), *(self._client(number) for number in range(self.clients))
        )

    async def _client(self, number: int) -> None:
        token = self.tokens[number % len(self.tokens)]
        connection = _Connection(self.port)
        sequence = 0
        try:
            while not self._stopping:
                sequence += 1
                title = f"fault {self.label} {number}-{sequence}"
                await self._create(connection, token, title)
                if self.pause:
                    await asyncio.sleep(self.pause)
        finally:
            connection.close()

    async def _create(self, connection: _Connection, token: str, title: str) -> None:
        raw = http_request(
            "POST",
            "/api/v1/incidents/",
            token,
            {"title": title, **self.fields},
            Idempotency_Key=title.replace(" ", "_"),
        )
        while not self._stopping:
            started = time.monotonic()
            try:
                status, body = await connection.send(raw)
            except (OSError, TimeoutError, ConnectionLostError, asyncio.IncompleteReadError):
                connection.close()
                status, body = 0, b""
            self.result.requests.append(Request(started, time.monotonic(), status))
            if 200 <= status < 300:
                self.result.acked[title] = json.loads(body)["number"]
                return
            await asyncio.sleep(0.5 if status == 503 else 0.2)
        self.result.unacked.add(title)

    async def _probe(self) -> None:
        connection = _Connection(self.port)
        raw = f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
        try:
            while not self._stopping:
                started = time.monotonic()
                try:
                    code, body = await connection.send(raw)
                    state = str(json.loads(body).get("status", "?"))
                except (OSError, TimeoutError, ConnectionLostError, ValueError) as exc:
                    connection.close()
                    code, state = 0, type(exc).__name__
                self.result.probes.append(Probe(started, code, state, time.monotonic() - started))
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
        finally:
            connection.close()


async def _burst(port: int, requests: list[bytes]) -> list[int]:
    """Open one connection per request first, then send them all at once; their statuses."""
    connections = [_Connection(port) for _ in requests]
    for connection in connections:
        connection.reader, connection.writer = await asyncio.open_connection(HOST, port)

    async def one(connection: _Connection, raw: bytes) -> int:
        try:
            status, _body = await connection.send(raw)
        except (OSError, TimeoutError, ConnectionLostError):
            status = 0
        connection.close()
        return status

    return list(
        await asyncio.gather(*(one(c, r) for c, r in zip(connections, requests, strict=True)))
    )


def burst(port: int, requests: list[bytes]) -> list[int]:
    """Send `requests` concurrently, each on its own connection; their statuses in order."""
    return asyncio.run(_burst(port, requests))


def call(port: int, raw: bytes) -> tuple[int, dict[str, object]]:
    """One request, its status and JSON body."""

    async def one() -> tuple[int, bytes]:
        connection = _Connection(port)
        try:
            return await connection.send(raw)
        finally:
            connection.close()

    status, body = asyncio.run(one())
    parsed: dict[str, object] = {}
    with contextlib.suppress(ValueError):
        parsed = json.loads(body) if body else {}
    return status, parsed
