"""A small closed-loop HTTP/1.1 load generator: N clients, each on its own keep-alive
connection, sending the next request as soon as the previous answer is in.

Raw asyncio streams rather than an HTTP library: on a 2-core machine the generator shares the
CPU with gunicorn and PostgreSQL, and a client library's per-request cost (httpx: several
hundred microseconds) would be taken from the server under test. Here a request costs a
formatted byte string and a header parse.

Latency is from writing the request to the last byte of the answer. Requests that start during
the warm-up are not counted; throughput is what completed during the measured window divided
by its length. A connection the server closed between requests (gunicorn's --max-requests
recycling a worker) is reopened and the request sent again; it counts as a reconnect, not an
error. Errors are answers outside 2xx (but for 304 Not Modified, the answer to a conditional
GET) and requests that broke mid-answer.

`reconnect_every`: each client closes its connection after that many answers and opens another
(0: never), as a browser's does when the user pauses longer than the server's keep-alive. A
gunicorn worker keeps the connections it accepted, and serves at most one core's worth (the
GIL): with 16 connections for the whole run, a round measured whichever worker had accepted the
most of them (page_bench: rounds of the same page at 32 % and at 63 % of the bare view's
throughput, the machine half idle in the slow ones). Reconnecting spreads the sessions over the
workers again and again, whichever worker is free taking the next connection.
"""

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

RequestFactory = Callable[[], bytes]
TIMEOUT = 30.0


@dataclass
class Measurement:
    label: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    reconnects: int = 0
    first_error: str = ""

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """Latency in milliseconds at `share` (0..1), nearest rank."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
        return ordered[rank] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p95(self) -> float:
        return self.percentile(0.95)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies) * 1000 if self.latencies else float("nan")


class ConnectionLostError(Exception):
    """The server closed the connection before answering."""


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server keeps the connection) of one HTTP/1.1 answer."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise ConnectionLostError from exc
        raise
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    keep = headers.get("connection", "").lower() != "close"
    if status in (204, 304):
        # No body, whatever the headers say (RFC 9110 §6.4.1).
        body = b""
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(part[:-2] for part in parts)
    else:
        body = await reader.read()
        keep = False
    return status, body, keep


async def _client(
    host: str,
    port: int,
    make_request: RequestFactory,
    *,
    measure_from: float,
    stop_at: float,
    result: Measurement,
    reconnect_every: int = 0,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    answered = 0
    try:
        while time.perf_counter() < stop_at:
            request = make_request()
            started = time.perf_counter()
            try:
                writer.write(request)
                status, body, keep = await asyncio.wait_for(_read_answer(reader), TIMEOUT)
            except (ConnectionLostError, ConnectionResetError, BrokenPipeError):
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                result.reconnects += 1
                continue
            except (asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                if started >= measure_from:
                    result.errors += 1
                    result.first_error = result.first_error or repr(exc)
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            finished = time.perf_counter()
            if measure_from <= started and finished <= stop_at:
                result.latencies.append(finished - started)
                result.statuses[status] += 1
                # 304 Not Modified answers a conditional GET (a refresh with If-None-Match).
                if not (200 <= status < 300 or status == 304):
                    result.errors += 1
                    result.first_error = result.first_error or f"{status}: {body[:300]!r}"
            answered += 1
            if not keep or (reconnect_every and answered % reconnect_every == 0):
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def run(
    label: str,
    host: str,
    port: int,
    make_request: RequestFactory,
    *,
    clients: int,
    seconds: float,
    warmup: float,
    reconnect_every: int = 0,
) -> Measurement:
    """Run `clients` closed-loop clients for warmup + seconds; measure the last `seconds`."""

    async def main() -> Measurement:
        result = Measurement(label=label, clients=clients, seconds=seconds)
        start = time.perf_counter()
        measure_from = start + warmup
        stop_at = measure_from + seconds
        await asyncio.gather(
            *(
                _client(
                    host,
                    port,
                    make_request,
                    measure_from=measure_from,
                    stop_at=stop_at,
                    result=result,
                    reconnect_every=reconnect_every,
                )
                for _ in range(clients)
            )
        )
        return result

    return asyncio.run(main())
