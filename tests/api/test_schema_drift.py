"""config/openapi.yaml is the schema the code generates, and the schema is valid OpenAPI 3."""

import os
import subprocess
import sys

import yaml
from drf_spectacular.validation import validate_schema

from core.api.schema import REGENERATE_COMMAND, SCHEMA_FILE, generate_schema_yaml


def test_committed_schema_matches_the_code() -> None:
    """Generated with the project's settings, as `make lint` checks it: the test run's settings
    add a kind of their own (tests/kindtest), whose name would join the enums read from the
    kind registry (the kinds an SLA policy can be for)."""
    checked = subprocess.run(
        [sys.executable, "-m", "core.api.schema", "--check"],
        cwd=SCHEMA_FILE.parent.parent,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, (
        f"{SCHEMA_FILE.relative_to(SCHEMA_FILE.parent.parent)} is out of date with the API code. "
        f"Regenerate it with:  {REGENERATE_COMMAND}  (same output as "
        "`manage.py spectacular --file config/openapi.yaml`) and commit the result.\n"
        f"{checked.stderr}"
    )


def test_schema_is_valid_openapi() -> None:
    validate_schema(yaml.safe_load(generate_schema_yaml()))


def test_schema_documents_tokens_and_the_error_format() -> None:
    schema = yaml.safe_load(generate_schema_yaml())
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert set(schema["components"]["schemas"]["Error"]["properties"]["error"]["required"]) == {
        "code",
        "message",
        "fields",
    }
    resolve = schema["paths"]["/api/v1/incidents/{number}/resolve/"]["post"]
    assert {"409", "412", "403", "404"} <= set(resolve["responses"])
    assert resolve["operationId"] == "incidents_resolve"
