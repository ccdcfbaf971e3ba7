"""`make run` from a fresh checkout, the way a newcomer starts the product.

The tracked and not-yet-committed files are copied to a temporary folder (so nothing left in this
working tree — var/, a database, a queue — can make it pass), the existing virtualenv is linked in
(its install stamp stays valid, so nothing is reinstalled), and `make run` starts with none of the
test run's DATABASE_URL / CELERY_BROKER_URL: the embedded default, SQLite and the filesystem
broker under that checkout's var/. Then, through HTTP only: /healthz is healthy, agent1 logs in
through the real login form and sees incidents, and Ctrl-C (SIGINT to make's process group)
stops every process the stack started.
"""

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
HEALTHY_WITHIN_SECONDS = 120.0
STOPPED_WITHIN_SECONDS = 20.0
# What a newcomer's shell does not have; the test run's own values must not leak into the stack.
SCRUBBED_ENV = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_SETTINGS_MODULE",
    "SERVICEDESK_VAR_DIR",
    "MEDIA_ROOT",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    # `make test` runs this test: the outer make's job-server flags mean nothing to a new make.
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
)


def _copy_checkout(destination: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.fail("git is needed to list the files of the checkout", pytrace=False)
    listed = subprocess.run(
        [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if not source.exists():  # deleted in the working tree, not yet in the index
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        # copy2 keeps modification times: requirements-dev.lock must stay older than the
        # virtualenv's install stamp, or make would reinstall into the shared .venv.
        shutil.copy2(source, target, follow_symlinks=False)
    (destination / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _parent_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _descendants(pid: int) -> set[int]:
    children = _parent_map()
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _running_in(folder: Path) -> set[int]:
    """Live processes whose working directory is `folder`: everything the stack started."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == str(folder) and _alive(int(entry.name)):
            found.add(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _tail(log: Path, lines: int = 60) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    if not (REPO / ".venv" / "bin" / "python").exists():
        pytest.fail("no .venv in the repository: run `make venv` first", pytrace=False)
    destination = tmp_path / "checkout"
    _copy_checkout(destination)
    up_to_date = subprocess.run(["make", "-q", "venv"], cwd=destination, check=False)
    if up_to_date.returncode != 0:
        pytest.fail("the .venv is older than requirements-dev.lock: run `make venv`", pytrace=False)
    return destination


@pytest.fixture
def stack(checkout: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """`make run` in its own process group, its output in a log; killed whatever happens."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV}
    env.update(HOST="127.0.0.1", PORT=str(port))
    log = tmp_path / "make-run.log"
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "run"],
            cwd=checkout,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield make, f"http://127.0.0.1:{port}", log
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        for pid in _running_in(checkout):
            os.kill(pid, signal.SIGKILL)


def _wait_healthy(make: subprocess.Popen[bytes], base: str, log: Path) -> dict[str, object]:
    deadline = time.monotonic() + HEALTHY_WITHIN_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        if make.poll() is not None:
            pytest.fail(f"make run exited with {make.returncode}:\n{_tail(log)}", pytrace=False)
        try:
            response = httpx.get(f"{base}/healthz", timeout=3)
        except httpx.HTTPError as exc:
            last = repr(exc)
        else:
            last = f"{response.status_code} {response.text}"
            if response.status_code == 200:
                body: dict[str, object] = response.json()
                return body
        time.sleep(0.5)
    pytest.fail(f"not healthy in {HEALTHY_WITHIN_SECONDS:.0f} s ({last}):\n{_tail(log)}")


def _log_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
    form = client.get("/accounts/login/")
    assert form.status_code == 200, form.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, "the login page has no CSRF token field"
    return client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
    )


def test_make_run_serves_agents_and_stops_on_ctrl_c(
    stack: tuple[subprocess.Popen[bytes], str, Path], checkout: Path
) -> None:
    make, base, log = stack
    started_at = time.monotonic()

    health = _wait_healthy(make, base, log)
    healthy_after = time.monotonic() - started_at
    # "degraded" (a non-critical check such as the SLA sweeper audit) still serves; the stack
    # itself is healthy when the database and the broker answer.
    assert health["status"] in {"ok", "degraded"}, health
    checks = health["checks"]
    assert isinstance(checks, dict)
    assert checks["database"]["ok"] and checks["database"]["vendor"] == "sqlite"
    assert checks["broker"]["ok"] and checks["broker"]["transport"] == "filesystem"

    processes = {pid: _cmdline(pid) for pid in _descendants(make.pid)}
    commands = " ; ".join(processes.values())
    assert "gunicorn" in commands, commands
    assert re.search(r"celery -A config worker -n default@\S+ -Q default ", commands), commands
    assert re.search(r"celery -A config worker -n sla@\S+ -Q sla,paging ", commands), commands
    assert re.search(r"celery -A config beat", commands), commands

    with httpx.Client(base_url=base, timeout=10) as client:
        anonymous = client.get("/agent/incidents/")
        assert anonymous.status_code == 302
        assert anonymous.headers["location"].startswith("/accounts/login/")

        logged_in = _log_in(client, "agent1", "demo")
        assert logged_in.status_code == 302, f"login refused:\n{logged_in.text[:2000]}"
        home = client.get(logged_in.headers["location"])
        assert home.status_code == 302
        assert home.headers["location"] == "/agent/incidents/"

        page = client.get("/agent/incidents/")
        assert page.status_code == 200
        assert "INC-" in page.text, page.text[:2000]

    # The banner follows runstack's own health poll, which may come a moment after ours.
    expected = f"Service desk is running at {base}/"
    banner_deadline = time.monotonic() + 30
    banner = log.read_text(errors="replace")
    while expected not in banner and time.monotonic() < banner_deadline:
        time.sleep(0.2)
        banner = log.read_text(errors="replace")
    assert expected in banner, _tail(log)
    assert "agent1" in banner
    assert "Ctrl-C to stop" in banner

    stopping_at = time.monotonic()
    os.killpg(make.pid, signal.SIGINT)
    deadline = stopping_at + STOPPED_WITHIN_SECONDS
    while time.monotonic() < deadline and (
        make.poll() is None or any(_alive(pid) for pid in processes) or _running_in(checkout)
    ):
        time.sleep(0.2)
    left = {pid: _cmdline(pid) for pid in set(processes) | _running_in(checkout) if _alive(pid)}
    assert make.poll() is not None, f"make still running after SIGINT:\n{_tail(log)}"
    assert not left, f"still running after {STOPPED_WITHIN_SECONDS:.0f} s: {left}"
    stopped_after = time.monotonic() - stopping_at
    assert "Stopped web, workers and beat." in log.read_text(errors="replace")
    logger.info(
        "make run: healthy after %.1f s, stopped %.1f s after SIGINT", healthy_after, stopped_after
    )
