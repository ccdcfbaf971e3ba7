"""`manage.py runstack` restarts a worker that dies, while the web app keeps answering.

A real stack on a temporary SERVICEDESK_VAR_DIR and a free port (SQLite + the embedded filesystem
broker, as `make run` has them): the default worker's main process is SIGKILLed; runstack logs the
death, starts it again after its backoff, and /healthz answers 200 all along. SIGTERM then stops
every process, the restarted worker included.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.management.commands.runstack import (
    RESTART_FIRST_DELAY_SECONDS,
    RESTART_MAX_DELAY_SECONDS,
    RESTART_STABLE_AFTER_SECONDS,
    restart_delay,
)
from tests.test_make_run import SCRUBBED_ENV, _alive, _cmdline, _descendants, _free_port, _tail

REPO = Path(__file__).resolve().parents[1]
HEALTHY_WITHIN_SECONDS = 120.0
RESTARTED_WITHIN_SECONDS = 30.0
STOPPED_WITHIN_SECONDS = 20.0


def test_restart_delay_doubles_on_quick_crashes_up_to_a_minute_and_resets_after_good_running() -> (
    None
):
    delays = [0.0]
    for _ in range(8):
        delays.append(restart_delay(delays[-1], uptime=2))
    assert delays[1:] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert restart_delay(RESTART_MAX_DELAY_SECONDS, uptime=RESTART_STABLE_AFTER_SECONDS) == (
        RESTART_FIRST_DELAY_SECONDS
    )


def _worker_pids(runstack: int, queue_option: str) -> list[int]:
    """Main processes of the Celery worker started with `-n <queue_option>` (not its pool)."""
    found = []
    for pid in _descendants(runstack):
        command = _cmdline(pid)
        if f"worker -n {queue_option}" in command and _alive(pid) and os.getpgid(pid) == pid:
            found.append(pid)
    return found


@pytest.fixture
def running_stack(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV}
    env.update(SERVICEDESK_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    (tmp_path / "var").mkdir()
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True)
    port = _free_port()
    log = tmp_path / "runstack.log"
    with log.open("wb") as out:
        stack = subprocess.Popen(
            [*manage, "runstack", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield stack, f"http://127.0.0.1:{port}", log
    finally:
        leftovers = _descendants(stack.pid)
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()
        for pid in leftovers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _healthz(base: str) -> int:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).status_code
    except httpx.HTTPError:
        return 0


def _wait_for(condition, within: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"{what} not within {within:.0f} s:\n{_tail(log)}", pytrace=False)


@pytest.mark.slow
def test_a_killed_worker_comes_back_while_the_web_app_keeps_answering(
    running_stack: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    stack, base, log = running_stack
    _wait_for(lambda: _healthz(base) == 200, HEALTHY_WITHIN_SECONDS, "/healthz 200", log)
    _wait_for(lambda: len(_worker_pids(stack.pid, "default@")) == 1, 30, "the worker", log)
    assert len(_worker_pids(stack.pid, "sla@")) == 1, "the SLA worker runs on its own"
    (killed,) = _worker_pids(stack.pid, "default@")

    os.kill(killed, signal.SIGKILL)
    answers = []
    deadline = time.monotonic() + RESTARTED_WITHIN_SECONDS
    restarted: list[int] = []
    while time.monotonic() < deadline and not restarted:
        answers.append(_healthz(base))
        restarted = [pid for pid in _worker_pids(stack.pid, "default@") if pid != killed]
        time.sleep(0.25)
    assert restarted, f"the worker was not restarted:\n{_tail(log)}"
    assert set(answers) == {200}, f"/healthz answered {answers} while the worker was down"
    assert stack.poll() is None, f"runstack stopped:\n{_tail(log)}"
    output = log.read_text(errors="replace")
    assert "worker was killed by SIGKILL" in output
    assert "worker restarted" in output
    time.sleep(3)
    assert _alive(restarted[0]), f"the restarted worker died again:\n{_tail(log)}"

    processes = _descendants(stack.pid)
    stack.send_signal(signal.SIGTERM)
    stack.wait(STOPPED_WITHIN_SECONDS)
    left = {pid: _cmdline(pid) for pid in processes if _alive(pid)}
    assert not left, f"still running after SIGTERM: {left}"
    assert stack.returncode == 0, _tail(log)
    assert "Stopped web, workers and beat." in log.read_text(errors="replace")
