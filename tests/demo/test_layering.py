"""`demo` is a wiring layer like `config`: it imports the apps, and no app imports it."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# Not apps: the wiring layers themselves, and what only drives the project from outside.
OUTSIDE = {"demo", "tests", "benchmarks", ".venv", "var", "node_modules"}


def _imports_demo(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [
            f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] == "demo"
        ]
    return found


def test_no_app_imports_demo() -> None:
    packages = [
        entry
        for entry in ROOT.iterdir()
        if entry.is_dir() and entry.name not in OUTSIDE and (entry / "__init__.py").exists()
    ]
    assert {"core", "incidents", "service_requests", "problems", "sla", "config"} <= {
        package.name for package in packages
    }
    offenders = [
        found
        for package in packages
        for path in sorted(package.rglob("*.py"))
        for found in _imports_demo(path)
    ]
    assert offenders == []


def test_demo_is_the_last_project_app() -> None:
    project_apps = [app for app in settings.INSTALLED_APPS if not app.startswith("tests.")]
    assert project_apps[-1] == "demo"
