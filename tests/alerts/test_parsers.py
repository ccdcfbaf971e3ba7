"""Parsers and the severity map: pure functions, real payload shapes, no database."""

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from incidents.alerts.parsers import (
    PayloadError,
    parse,
    parse_alertmanager,
    parse_generic,
    parse_grafana,
)
from incidents.alerts.severity import impact_urgency_for, severity_map_errors
from tests.alerts.payloads import ALERTMANAGER, GENERIC, GRAFANA


def test_alertmanager_group_becomes_one_alert_each() -> None:
    first, second = parse_alertmanager(copy.deepcopy(ALERTMANAGER))
    assert first.fingerprint == "3f1d2a0b9c8e7d6f"
    assert first.status == "firing" and first.is_firing
    assert first.title == "[HighRequestLatency] High request latency on api-1"
    assert first.severity == "critical"
    assert first.description == "p99 latency is above 2s for 10 minutes."
    assert first.labels["instance"] == "api-1:9100"
    assert first.annotations["runbook_url"] == "https://runbooks.example.com/latency"
    # Nanoseconds cut to microseconds; Go's zero time means "not ended".
    assert first.starts_at == datetime(2025, 3, 3, 8, 55, 30, 123456, tzinfo=UTC)
    assert first.ends_at is None
    assert first.url == "http://prometheus:9090/graph?g0.expr=latency"
    assert second.fingerprint == "a1b2c3d4e5f60718"
    assert second.severity == "warning"


def test_alertmanager_title_falls_back_to_instance_and_is_clipped() -> None:
    payload = copy.deepcopy(ALERTMANAGER)
    payload["alerts"][0]["annotations"] = {}
    payload["alerts"][1]["annotations"] = {"summary": "x" * 500}
    first, second = parse_alertmanager(payload)
    assert first.title == "[HighRequestLatency] api-1:9100"
    assert len(second.title) == 200 and second.title.endswith("…")


def test_alertmanager_resolved_alert_keeps_its_end_time() -> None:
    payload = copy.deepcopy(ALERTMANAGER)
    payload["alerts"][0].update(status="resolved", endsAt="2025-03-03T09:10:00.5+01:00")
    [alert, _] = parse_alertmanager(payload)
    assert alert.status == "resolved"
    assert alert.ends_at == datetime(
        2025, 3, 3, 9, 10, 0, 500000, tzinfo=timezone(timedelta(hours=1))
    )


def test_severity_label_is_configurable() -> None:
    payload = copy.deepcopy(ALERTMANAGER)
    payload["alerts"][0]["labels"]["priority"] = "P1"
    [alert, _] = parse_alertmanager(payload, severity_label="priority")
    assert alert.severity == "P1"


def test_grafana_payload() -> None:
    memory, cpu = parse_grafana(copy.deepcopy(GRAFANA))
    assert memory.fingerprint == "c6eadffa33fcdf37"
    assert memory.title == "[High memory usage] This alert was triggered for zone us-1"
    assert memory.severity == ""
    assert memory.value.startswith("[ var='B'")  # valueString wins over values
    assert memory.starts_at == datetime(
        2021, 10, 12, 9, 51, 3, 157076, tzinfo=timezone(timedelta(hours=2))
    )
    assert memory.url == "https://play.grafana.org/alerting/1afz29v7z/edit"
    assert cpu.severity == "info"
    assert cpu.value == "B=44.2394, C=1"  # only `values` (newer Grafana)


def test_generic_payload() -> None:
    [alert] = parse_generic(copy.deepcopy(GENERIC))
    assert alert.fingerprint == "backup/db-1"
    assert alert.title == "Backup job failed on db-1"
    assert alert.status == "firing"
    assert alert.severity == "high"
    assert alert.details == {"job": "nightly", "exit_code": 2}


def test_generic_status_defaults_to_firing() -> None:
    [alert] = parse_generic({"title": "t", "dedup_key": "k"})
    assert alert.is_firing


def _with(base: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    payload = copy.deepcopy(base)
    target = payload
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return payload


@pytest.mark.parametrize(
    ("kind", "payload", "field", "code"),
    [
        ("alertmanager", [], "body", "invalid_payload"),
        ("alertmanager", _with(ALERTMANAGER, ["version"], "3"), "version", "unsupported_version"),
        ("alertmanager", _with(ALERTMANAGER, ["alerts"], ...), "alerts", "invalid_payload"),
        ("alertmanager", _with(ALERTMANAGER, ["alerts"], []), "alerts", "invalid_payload"),
        ("alertmanager", _with(ALERTMANAGER, ["alerts"], {}), "alerts", "invalid_payload"),
        (
            "alertmanager",
            _with(ALERTMANAGER, ["alerts", 1, "fingerprint"], ...),
            "alerts[1].fingerprint",
            "invalid_payload",
        ),
        (
            "alertmanager",
            _with(ALERTMANAGER, ["alerts", 0, "status"], "pending"),
            "alerts[0].status",
            "invalid_payload",
        ),
        (
            "alertmanager",
            _with(ALERTMANAGER, ["alerts", 0, "labels", "severity"], 3),
            "alerts[0].labels.severity",
            "invalid_payload",
        ),
        (
            "alertmanager",
            _with(ALERTMANAGER, ["alerts", 0, "startsAt"], "yesterday"),
            "alerts[0].startsAt",
            "invalid_payload",
        ),
        (
            "alertmanager",
            _with(ALERTMANAGER, ["alerts", 0, "startsAt"], "2025-03-03T08:00:00"),
            "alerts[0].startsAt",
            "invalid_payload",
        ),
        (
            "alertmanager",
            _with(ALERTMANAGER, ["alerts", 0, "fingerprint"], "f" * 256),
            "alerts[0].fingerprint",
            "invalid_payload",
        ),
        ("grafana", _with(GRAFANA, ["orgId"], "one"), "orgId", "invalid_payload"),
        ("grafana", _with(GRAFANA, ["version"], "2"), "version", "unsupported_version"),
        (
            "grafana",
            _with(GRAFANA, ["alerts", 1, "values", "B"], "high"),
            "alerts[1].values.B",
            "invalid_payload",
        ),
        ("generic", _with(GENERIC, ["title"], ...), "title", "invalid_payload"),
        ("generic", _with(GENERIC, ["title"], "   "), "title", "invalid_payload"),
        ("generic", _with(GENERIC, ["title"], "x" * 201), "title", "invalid_payload"),
        ("generic", _with(GENERIC, ["dedup_key"], ...), "dedup_key", "invalid_payload"),
        ("generic", _with(GENERIC, ["status"], "ok"), "status", "invalid_payload"),
        ("generic", _with(GENERIC, ["details"], [1, 2]), "details", "invalid_payload"),
        ("generic", _with(GENERIC, ["colour"], "red"), "colour", "invalid_payload"),
        ("generic", _with(GENERIC, ["title"], "a\x00b"), "body", "invalid_payload"),
    ],
)
def test_malformed_payloads_name_the_field(kind: str, payload: Any, field: str, code: str) -> None:
    with pytest.raises(PayloadError) as refused:
        parse(kind, payload)
    assert field in refused.value.fields
    assert refused.value.code == code
    assert field in refused.value.message or field == "body"


def test_too_many_alerts_are_refused() -> None:
    payload = copy.deepcopy(ALERTMANAGER)
    payload["alerts"] = payload["alerts"][:1] * 1001
    with pytest.raises(PayloadError, match="at most 1000"):
        parse_alertmanager(payload)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", ("high", "high")),
        ("CRITICAL", ("high", "high")),
        ("error", ("high", "medium")),
        ("warning", ("medium", "medium")),
        ("info", ("low", "low")),
        ("", ("medium", "medium")),
        ("whatever", ("medium", "medium")),
    ],
)
def test_default_severity_map(severity: str, expected: tuple[str, str]) -> None:
    assert impact_urgency_for(severity) == expected


def test_severity_overrides_win_case_insensitively() -> None:
    overrides = {
        "Sev1": {"impact": "high", "urgency": "high"},
        "critical": {"impact": "medium", "urgency": "high"},
    }
    assert impact_urgency_for("sev1", overrides) == ("high", "high")
    assert impact_urgency_for("critical", overrides) == ("medium", "high")
    assert impact_urgency_for("info", overrides) == ("low", "low")


def test_severity_map_validation() -> None:
    assert severity_map_errors({"sev1": {"impact": "high", "urgency": "low"}}) == []
    assert severity_map_errors([]) != []
    assert severity_map_errors({"sev1": {"impact": "huge", "urgency": "low"}}) == [
        '"sev1": impact must be one of high, medium, low.'
    ]
    assert severity_map_errors({"sev1": {"impact": "high"}}) == [
        '"sev1": give exactly "impact" and "urgency".'
    ]
