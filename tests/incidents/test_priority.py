"""Priority = impact x urgency (ITIL), with the matrix configurable through PRIORITY_MATRIX."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from incidents import services
from incidents.choices import Impact, Urgency
from incidents.priority import parse_matrix, priority_for

# The documented default (incidents/priority.py docstring), written out by hand.
DEFAULT = [
    (Impact.HIGH, Urgency.HIGH, 1),
    (Impact.HIGH, Urgency.MEDIUM, 2),
    (Impact.HIGH, Urgency.LOW, 3),
    (Impact.MEDIUM, Urgency.HIGH, 2),
    (Impact.MEDIUM, Urgency.MEDIUM, 3),
    (Impact.MEDIUM, Urgency.LOW, 4),
    (Impact.LOW, Urgency.HIGH, 3),
    (Impact.LOW, Urgency.MEDIUM, 4),
    (Impact.LOW, Urgency.LOW, 5),
]

# Everything critical-ish: a deliberately different matrix.
CUSTOM = {
    "high": {"high": 1, "medium": 1, "low": 2},
    "medium": {"high": 1, "medium": 2, "low": 3},
    "low": {"high": 2, "medium": 3, "low": 3},
}


def test_default_covers_all_nine_pairs() -> None:
    assert {(i, u) for i, u, _ in DEFAULT} == {(i, u) for i in Impact for u in Urgency}


@pytest.mark.parametrize(("impact", "urgency", "expected"), DEFAULT)
def test_default_matrix(settings, impact: str, urgency: str, expected: int) -> None:  # type: ignore[no-untyped-def]
    settings.PRIORITY_MATRIX_JSON = ""
    assert priority_for(impact, urgency) == expected


@pytest.mark.parametrize("impact", list(Impact))
@pytest.mark.parametrize("urgency", list(Urgency))
def test_custom_matrix_is_honoured(settings, impact: str, urgency: str) -> None:  # type: ignore[no-untyped-def]
    settings.PRIORITY_MATRIX_JSON = json.dumps(CUSTOM)
    assert priority_for(impact, urgency) == CUSTOM[impact][urgency]


def test_changing_the_setting_changes_the_answer(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PRIORITY_MATRIX_JSON = json.dumps(CUSTOM)
    assert priority_for(Impact.LOW, Urgency.LOW) == 3
    settings.PRIORITY_MATRIX_JSON = ""
    assert priority_for(Impact.LOW, Urgency.LOW) == 5


def test_incident_create_uses_the_configured_matrix(settings, end_user) -> None:  # type: ignore[no-untyped-def]
    settings.PRIORITY_MATRIX_JSON = json.dumps(CUSTOM)
    incident = services.incident_create(
        requester=end_user, title="Printer jam", impact=Impact.LOW, urgency=Urgency.HIGH
    )
    assert incident.priority == 2


def _with(impact: str, urgency: str, value: object) -> str:
    data = json.loads(json.dumps(CUSTOM))
    data[impact][urgency] = value
    return json.dumps(data)


def _without(impact: str, urgency: str | None = None) -> str:
    data = json.loads(json.dumps(CUSTOM))
    if urgency is None:
        del data[impact]
    else:
        del data[impact][urgency]
    return json.dumps(data)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"high": {"high": 1,', "PRIORITY_MATRIX is not valid JSON"),
        ("[1, 2, 3]", "PRIORITY_MATRIX must be a JSON object of impact rows"),
        ("42", "PRIORITY_MATRIX must be a JSON object of impact rows"),
        (_without("medium"), "PRIORITY_MATRIX needs a row for impact 'medium'"),
        (json.dumps({**CUSTOM, "low": [3, 4, 5]}), "needs a row for impact 'low'"),
        (_without("low", "medium"), r"PRIORITY_MATRIX\[low\] needs urgency 'medium'"),
        (_with("high", "high", 0), r"PRIORITY_MATRIX\[high\]\[high\] must be 1..5, not 0"),
        (_with("medium", "low", 6), r"PRIORITY_MATRIX\[medium\]\[low\] must be 1..5, not 6"),
        (_with("low", "low", -1), r"\[low\]\[low\] must be 1..5, not -1"),
        (_with("low", "low", "3"), r"\[low\]\[low\] must be 1..5, not '3'"),
        (_with("low", "low", 2.5), r"\[low\]\[low\] must be 1..5, not 2.5"),
        (_with("high", "low", True), r"\[high\]\[low\] must be 1..5, not True"),
        (_with("high", "low", None), r"\[high\]\[low\] must be 1..5, not None"),
        (json.dumps({**CUSTOM, "critical": CUSTOM["high"]}), "unknown impact 'critical'"),
        (_with("medium", "meduim", 3), r"PRIORITY_MATRIX\[medium\] has unknown urgency 'meduim'"),
    ],
    ids=[
        "truncated-json",
        "list",
        "number",
        "missing-row",
        "row-not-object",
        "missing-cell",
        "zero",
        "six",
        "negative",
        "string",
        "fraction",
        "bool",
        "null",
        "unknown-impact",
        "unknown-urgency",
    ],
)
def test_bad_matrix_is_refused_clearly(settings, raw: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_matrix(raw)
    # The same error surfaces where the matrix is used, not a KeyError or a wrong priority.
    settings.PRIORITY_MATRIX_JSON = raw
    with pytest.raises(ImproperlyConfigured, match=message):
        priority_for(Impact.HIGH, Urgency.HIGH)


def test_empty_setting_means_the_default() -> None:
    assert parse_matrix("") == {i: {u: p for ii, u, p in DEFAULT if ii == i} for i in Impact}
