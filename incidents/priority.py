"""Priority from impact x urgency (ITIL). Pure; the matrix is configurable via PRIORITY_MATRIX.

Default (rows impact, columns urgency):

            urgency high   medium   low
impact high         P1     P2       P3
impact medium       P2     P3       P4
impact low          P3     P4       P5
"""

import json
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.choices import Priority
from incidents.choices import Impact, Urgency

DEFAULT_MATRIX: dict[str, dict[str, int]] = {
    Impact.HIGH: {Urgency.HIGH: 1, Urgency.MEDIUM: 2, Urgency.LOW: 3},
    Impact.MEDIUM: {Urgency.HIGH: 2, Urgency.MEDIUM: 3, Urgency.LOW: 4},
    Impact.LOW: {Urgency.HIGH: 3, Urgency.MEDIUM: 4, Urgency.LOW: 5},
}


def parse_matrix(raw: str) -> dict[str, dict[str, int]]:
    """Parse and validate a JSON matrix; every impact x urgency pair must map to 1..5."""
    if not raw:
        return DEFAULT_MATRIX
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"PRIORITY_MATRIX is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ImproperlyConfigured("PRIORITY_MATRIX must be a JSON object of impact rows.")
    _refuse_unknown(data, Impact.values, "impact")
    matrix: dict[str, dict[str, int]] = {}
    for impact in Impact.values:
        row = data.get(impact)
        if not isinstance(row, dict):
            raise ImproperlyConfigured(f"PRIORITY_MATRIX needs a row for impact '{impact}'.")
        _refuse_unknown(row, Urgency.values, "urgency", where=f"[{impact}]")
        matrix[impact] = {}
        for urgency in Urgency.values:
            if urgency not in row:
                raise ImproperlyConfigured(
                    f"PRIORITY_MATRIX[{impact}] needs urgency '{urgency}' (a priority 1..5)."
                )
            value = row[urgency]
            # bool is an int in Python: a JSON `true` must not pass for P1.
            if isinstance(value, bool) or value not in Priority.values:
                raise ImproperlyConfigured(
                    f"PRIORITY_MATRIX[{impact}][{urgency}] must be 1..5, not {value!r}."
                )
            matrix[impact][urgency] = int(value)
    return matrix


def _refuse_unknown(data: dict[str, object], known: list[str], axis: str, where: str = "") -> None:
    # A misspelt key would otherwise be ignored silently while the setting looks applied.
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ImproperlyConfigured(
            f"PRIORITY_MATRIX{where} has unknown {axis} {', '.join(map(repr, unknown))}; "
            f"use {', '.join(known)}."
        )


@cache
def _configured_matrix(raw: str) -> dict[str, dict[str, int]]:
    return parse_matrix(raw)


def priority_for(impact: str, urgency: str) -> int:
    return _configured_matrix(settings.PRIORITY_MATRIX_JSON)[impact][urgency]
