"""The committed OpenAPI schema (config/openapi.yaml) and how to regenerate it.

    .venv/bin/python -m core.api.schema          # rewrite config/openapi.yaml
    .venv/bin/python -m core.api.schema --check  # exit 1 when the file is out of date

The output is byte-for-byte what `manage.py spectacular --file config/openapi.yaml` writes (same
generator, same YAML renderer); tests/api/test_schema_drift.py fails when the file drifts.
"""

import os
import sys
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parent.parent.parent / "config" / "openapi.yaml"
REGENERATE_COMMAND = ".venv/bin/python -m core.api.schema"


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable."},
                "message": {"type": "string", "description": "For people."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Field name (dotted when nested) → messages; {} otherwise.",
                },
            },
        }
    },
}
_ERRORS_EVERYWHERE = {
    "400": "Invalid input or parameters",
    "401": "Not authenticated",
    "403": "Not allowed (role or token scope)",
    "404": "Not found, or out of your scope",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "429": "Too many requests (see Retry-After)",
}
_ERRORS_ON_WRITES = {
    "409": "Refused by the domain (illegal transition, conflict)",
    "412": "Stale If-Match",
    "413": "Request body too large",
    "415": "Unsupported media type",
    "422": "Idempotency-Key reused with a different request",
}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """SPECTACULAR_SETTINGS postprocessing hook: the one error format, documented as a component
    and as the possible error responses of every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(_ERRORS_EVERYWHERE)
            if method in ("post", "put", "patch", "delete"):
                errors.update(_ERRORS_ON_WRITES)
            for code, description in errors.items():
                operation["responses"].setdefault(
                    code, {"description": description, "content": reference}
                )
    return result


def generate_schema_yaml() -> str:
    """The schema of the API as the code defines it now (Django must be set up)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiYamlRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return OpenApiYamlRenderer().render(schema, renderer_context={}).decode()


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    generated = generate_schema_yaml()
    if "--check" in argv:
        current = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
        if current != generated:
            sys.stderr.write(f"{SCHEMA_FILE} is out of date: run {REGENERATE_COMMAND}\n")
            return 1
        return 0
    SCHEMA_FILE.write_text(generated)
    sys.stdout.write(f"Wrote {SCHEMA_FILE}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
