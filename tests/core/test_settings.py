"""Settings are read one way: `django.conf.settings.NAME`, at call time, of a name that
config/settings.py (or Django itself) defines, so every setting has exactly one default. The
environment readers name the variable of a bad value, and importing the settings creates nothing.
"""

import ast
import functools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

import config.settings as project_settings
from config.env import env_bool, env_float, env_int, env_list, env_str

REPO = Path(__file__).resolve().parents[2]
NOT_APPLICATION_CODE = {".git", ".venv", "node_modules", "var", "tests", "benchmarks", "migrations"}
# Where settings are defined, not read.
SETTINGS_MODULES = {"config/settings.py", "config/settings_production.py", "config/env.py"}
# A swappable model must be named when the model class is built, that is on import.
READ_ON_IMPORT_ALLOWED = {"AUTH_USER_MODEL"}


@dataclass(frozen=True)
class Read:
    path: Path
    line: int
    name: str
    problem: str = ""

    def __str__(self) -> str:
        where = f"{self.path.relative_to(REPO)}:{self.line} settings.{self.name}"
        return f"{where}: {self.problem}" if self.problem else where


def application_modules() -> Iterator[Path]:
    for path in sorted(REPO.rglob("*.py")):
        relative = path.relative_to(REPO)
        in_scope = not set(relative.parts[:-1]) & NOT_APPLICATION_CODE
        if in_scope and relative.as_posix() not in SETTINGS_MODULES:
            yield path


class SettingsReads(ast.NodeVisitor):
    """Every read of django.conf.settings in one module, and whether it runs on import."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.aliases: set[str] = set()
        self.depth = 0  # > 0 inside a function body: runs when called, not on import
        self.reads: list[Read] = []

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "django.conf":
            self.aliases |= {a.asname or a.name for a in node.names if a.name == "settings"}

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        # Decorators and default values are evaluated when the function is defined.
        outer = [*getattr(node, "decorator_list", []), *node.args.defaults]
        for child in [*outer, *(d for d in node.args.kw_defaults if d is not None)]:
            self.visit(child)
        self.depth += 1
        for child in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(child)
        self.depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_function(node)

    def _is_settings(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.aliases
        return ast.unparse(node) == "django.conf.settings"

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self._is_settings(node.value) and node.attr.isupper():
            self._record(node, node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Name)
            and func.id in {"getattr", "hasattr"}
            and node.args
            and self._is_settings(node.args[0])
        ):
            name = ast.unparse(node.args[1]) if len(node.args) > 1 else "?"
            problem = f"{func.id}() on settings: read settings.NAME, its default is in config"
            self.reads.append(Read(self.path, node.lineno, name.strip("'\""), problem))
        self.generic_visit(node)

    def _record(self, node: ast.expr, name: str) -> None:
        problem = ""
        if self.depth == 0 and name not in READ_ON_IMPORT_ALLOWED:
            problem = "read on import: override_settings cannot change it; read it when called"
        self.reads.append(Read(self.path, node.lineno, name, problem))


@functools.cache
def parsed_application() -> tuple[tuple[Path, ast.Module], ...]:
    return tuple((path, ast.parse(path.read_text(), str(path))) for path in application_modules())


def settings_reads() -> list[Read]:
    reads: list[Read] = []
    for path, tree in parsed_application():
        visitor = SettingsReads(path)
        visitor.visit(tree)
        reads.extend(visitor.reads)
    return reads


def is_defined(name: str) -> bool:
    return hasattr(project_settings, name) or hasattr(global_settings, name)


def test_the_scan_sees_the_application_and_its_settings_reads() -> None:
    reads = settings_reads()
    paths = {read.path.relative_to(REPO).as_posix() for read in reads}
    assert {"core/outbox.py", "sla/tasks.py", "incidents/views/queue.py"} <= paths
    assert not any("tests/" in p or "/migrations/" in p or "benchmarks/" in p for p in paths)
    assert len(reads) > 50


def test_every_setting_the_application_reads_is_defined_in_config_settings() -> None:
    undefined = [str(read) for read in settings_reads() if not is_defined(read.name)]
    assert undefined == [], "settings read but defined nowhere (add them to config/settings.py)"


def test_settings_are_read_directly_and_when_used() -> None:
    problems = [str(read) for read in settings_reads() if read.problem]
    assert problems == []


ENVIRONMENT_GETTERS = {"os.environ.get", "os.getenv"}


def environment_reads(tree: ast.AST) -> list[str]:
    """os.environ[...], os.environ.get(...) and os.getenv(...): a variable read past the settings.
    Copying the whole environment for a child process and setdefault of DJANGO_SETTINGS_MODULE in
    an entry point are not reads of a setting."""
    found = []
    for node in ast.walk(tree):
        subscript = isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
        call = isinstance(node, ast.Call) and ast.unparse(node.func) in ENVIRONMENT_GETTERS
        if subscript or call:
            found.append(ast.unparse(node))
    return found


def test_the_application_reads_the_environment_only_through_config_settings() -> None:
    # docker/healthcheck.py runs in the container without Django, every few seconds.
    reads = {
        path.relative_to(REPO).as_posix(): environment_reads(tree)
        for path, tree in parsed_application()
        if path.relative_to(REPO).parts[0] != "docker"
    }
    assert {path: found for path, found in reads.items() if found} == {}
    assert environment_reads(ast.parse("os.environ.get('PORT'); os.environ['HOST']")) == [
        "os.environ.get('PORT')",
        "os.environ['HOST']",
    ]


def test_the_scan_catches_a_default_an_unknown_name_and_a_read_on_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "from django.conf import settings as conf\n"
        "LIMIT = conf.QUEUE_PAGE_SIZE\n"
        "def f(size=conf.QUEUE_PAGE_SIZE):\n"
        "    return getattr(conf, 'QUEUE_PAGE_SIZE', 50), conf.NOT_A_SETTING, conf.configured\n"
    )
    visitor = SettingsReads(module)
    visitor.visit(ast.parse(module.read_text()))
    found = [(r.line, r.name, r.problem.split(":")[0]) for r in visitor.reads]
    assert found == [
        (2, "QUEUE_PAGE_SIZE", "read on import"),
        (3, "QUEUE_PAGE_SIZE", "read on import"),
        (4, "QUEUE_PAGE_SIZE", "getattr() on settings"),
        (4, "NOT_A_SETTING", ""),
    ]
    assert not is_defined("NOT_A_SETTING")
    assert is_defined("QUEUE_PAGE_SIZE") and is_defined("USE_THOUSAND_SEPARATOR")


# --- environment readers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "default", "raw", "expected"),
    [
        (env_int, 1, "abc", "The environment variable SD_VALUE must be a whole number, not 'abc'."),
        (env_int, 1, "1.5", "SD_VALUE must be a whole number, not '1.5'"),
        (env_float, 1.0, "ten", "The environment variable SD_VALUE must be a number, not 'ten'."),
        (env_float, 1.0, "nan", "SD_VALUE must be a finite number, not 'nan'"),
        (env_bool, True, "maybe", "SD_VALUE must be true or false (also 1/0, yes/no, on/off)"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    reader: Callable[[str, Any], object],
    default: object,
    raw: str,
    expected: str,
) -> None:
    monkeypatch.setenv("SD_VALUE", raw)
    with pytest.raises(ImproperlyConfigured) as raised:
        reader("SD_VALUE", default)
    assert expected in str(raised.value)


def test_good_values_parse_and_unset_or_empty_give_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SD_INT", " 42 ")
    monkeypatch.setenv("SD_FLOAT", "0.5")
    monkeypatch.setenv("SD_BOOL", "Off")
    monkeypatch.setenv("SD_LIST", " a, ,b ")
    assert (env_int("SD_INT", 1), env_float("SD_FLOAT", 1.0), env_bool("SD_BOOL", True)) == (
        42,
        0.5,
        False,
    )
    assert env_list("SD_LIST", []) == ["a", "b"]
    monkeypatch.setenv("SD_EMPTY", "")
    monkeypatch.delenv("SD_UNSET", raising=False)
    for name in ("SD_EMPTY", "SD_UNSET"):
        assert (env_int(name, 7), env_float(name, 2.5), env_bool(name, True)) == (7, 2.5, True)
        assert env_list(name, ["x"]) == ["x"]
    # An empty string is a value of its own: API_THROTTLE_USER="" turns that throttle off.
    assert (env_str("SD_EMPTY", "default"), env_str("SD_UNSET", "default")) == ("", "default")


# --- importing the settings in a fresh process ------------------------------------------------


def _set_up_django(
    cwd: Path, module: str = "config.settings", **env: str
) -> subprocess.CompletedProcess[str]:
    """Import the settings module, set Django up (every app's ready()) and load the URL conf."""
    clean = {k: v for k, v in os.environ.items() if k not in {"MEDIA_ROOT", "EMAIL_FILE_PATH"}}
    code = "import django; django.setup(); from django.urls import resolve; resolve('/healthz')"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": module,
            "PYTHONPATH": str(REPO),
            "PYTHONDONTWRITEBYTECODE": "1",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_importing_the_settings_and_setting_up_django_creates_nothing(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    for module in ("config.settings", "config.settings_production"):
        done = _set_up_django(
            tmp_path,
            module,
            SERVICEDESK_VAR_DIR=str(var_dir),
            SECRET_KEY="a-production-key-of-at-least-32-characters",
        )
        assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_bad_environment_value_stops_the_import_naming_the_variable(tmp_path: Path) -> None:
    done = _set_up_django(tmp_path, EMAIL_PORT="twenty-five")
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line == (
        "django.core.exceptions.ImproperlyConfigured: "
        "The environment variable EMAIL_PORT must be a whole number, not 'twenty-five'."
    )


def _site_url(tmp_path: Path, **env: str) -> tuple[str, ...]:
    """SITE_URL, an email link and the alert-integration page's intake address, as a fresh
    process sees them with `env` (what `make run` hands its web app and worker)."""
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.test import RequestFactory\n"
        "from core.tickets.kinds import kind_named\n"
        "from core.models import User\n"
        "from incidents.alerts.admin import secret_page\n"
        "from incidents.alerts.models import Integration\n"
        "request = RequestFactory().get('/admin/')\n"
        "request.user = User(is_superuser=True, is_staff=True)\n"
        "page = secret_page(request, Integration(name='grafana'), 'alrt_x').content.decode()\n"
        "print(settings.SITE_URL, kind_named('incident').portal_url('INC-000001'), sep='\\n')\n"
        "print(settings.SITE_URL + '/api/v1/alerts/' in page)\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"HOST", "PORT", "SITE_URL"}}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(REPO),
            "PYTHONDONTWRITEBYTECODE": "1",
            "SERVICEDESK_VAR_DIR": str(tmp_path / "var"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return tuple(done.stdout.split())


@pytest.mark.parametrize(
    ("env", "site_url"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8101"}, "http://127.0.0.1:8101"),
        ({"HOST": "::", "PORT": "8101"}, "http://[::1]:8101"),
        ({"PORT": "8101", "SITE_URL": "https://desk.example.com"}, "https://desk.example.com"),
    ],
)
def test_links_follow_make_runs_address_unless_site_url_is_set(
    tmp_path: Path, env: dict[str, str], site_url: str
) -> None:
    assert _site_url(tmp_path, **env) == (
        site_url,
        f"{site_url}/portal/incidents/INC-000001/",
        "True",
    )
