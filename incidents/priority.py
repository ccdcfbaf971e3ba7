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
    matrix: dict[str, dict[str, int]] = {}
    for impact in Impact.values:
        row = data.get(impact) if isinstance(data, dict) else None
        if not isinstance(row, dict):
            raise ImproperlyConfigured(f"PRIORITY_MATRIX needs a row for impact '{impact}'.")
        matrix[impact] = {}
        for urgency in Urgency.values:
            value = row.get(urgency)
            if value not in Priority.values:
                raise ImproperlyConfigured(
                    f"PRIORITY_MATRIX[{impact}][{urgency}] must be 1..5, not {value!r}."
                )
            matrix[impact][urgency] = int(value)
    return matrix


@cache
def _configured_matrix(raw: str) -> dict[str, dict[str, int]]:
    return parse_matrix(raw)


def priority_for(impact: str, urgency: str) -> int:
    return _configured_matrix(settings.PRIORITY_MATRIX_JSON)[impact][urgency]
