"""config/openapi.yaml is the schema the code generates, and the schema is valid OpenAPI 3."""

import yaml
from drf_spectacular.validation import validate_schema

from core.api.schema import REGENERATE_COMMAND, SCHEMA_FILE, generate_schema_yaml


def test_committed_schema_matches_the_code() -> None:
    generated = generate_schema_yaml()
    committed = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
    assert committed == generated, (
        f"{SCHEMA_FILE.relative_to(SCHEMA_FILE.parent.parent)} is out of date with the API code. "
        f"Regenerate it with:  {REGENERATE_COMMAND}  (same output as "
        "`manage.py spectacular --file config/openapi.yaml`) and commit the result."
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
