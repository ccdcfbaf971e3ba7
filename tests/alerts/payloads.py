"""Payloads as the tools send them (shapes from the Alertmanager and Grafana documentation)."""

import copy
from typing import Any

ALERTMANAGER: dict[str, Any] = {
    "receiver": "servicedesk",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "HighRequestLatency",
                "instance": "api-1:9100",
                "job": "api",
                "severity": "critical",
            },
            "annotations": {
                "summary": "High request latency on api-1",
                "description": "p99 latency is above 2s for 10 minutes.",
                "runbook_url": "https://runbooks.example.com/latency",
            },
            "startsAt": "2025-03-03T08:55:30.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=latency",
            "fingerprint": "3f1d2a0b9c8e7d6f",
        },
        {
            "status": "firing",
            "labels": {
                "alertname": "DiskWillFillIn4Hours",
                "instance": "db-1:9100",
                "job": "node",
                "severity": "warning",
            },
            "annotations": {"summary": "Disk on db-1 fills within 4 hours"},
            "startsAt": "2025-03-03T08:50:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=disk",
            "fingerprint": "a1b2c3d4e5f60718",
        },
    ],
    "groupLabels": {"job": "api"},
    "commonLabels": {"job": "api"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "version": "4",
    "groupKey": '{}:{job="api"}',
    "truncatedAlerts": 0,
}

GRAFANA: dict[str, Any] = {
    "receiver": "My Super Webhook",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
            "annotations": {
                "description": "The system has high memory usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone us-1",
            },
            "startsAt": "2021-10-12T09:51:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1},
            "valueString": "[ var='B' labels={} value=44.23943737541908 ], [ var='C' value=1 ]",
        },
        {
            "status": "firing",
            "labels": {
                "alertname": "High CPU usage",
                "team": "blue",
                "zone": "eu-1",
                "severity": "info",
            },
            "annotations": {
                "description": "The system has high CPU usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone eu-1",
            },
            "startsAt": "2021-10-12T09:56:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://play.grafana.org/alerting/d1rdpdv7k/edit",
            "fingerprint": "bc97ff14869b13e3",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1},
        },
    ],
    "groupLabels": {},
    "commonLabels": {"team": "blue"},
    "commonAnnotations": {},
    "externalURL": "https://play.grafana.org/",
    "version": "1",
    "groupKey": '{}:{alertname="High memory usage"}',
    "truncatedAlerts": 0,
    "title": "[FIRING:2]  (blue)",
    "state": "alerting",
    "message": "**Firing**\n\nLabels:\n - alertname = High memory usage\n",
}

GENERIC: dict[str, Any] = {
    "title": "Backup job failed on db-1",
    "dedup_key": "backup/db-1",
    "status": "firing",
    "severity": "high",
    "description": "The nightly backup exited with code 2.",
    "details": {"job": "nightly", "exit_code": 2},
}


def alertmanager(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    """An Alertmanager v4 group with these alerts (default: the two above)."""
    payload = copy.deepcopy(ALERTMANAGER)
    if alerts:
        payload["alerts"] = list(alerts)
    payload["status"] = status
    return payload


def am_alert(
    fingerprint: str,
    *,
    status: str = "firing",
    severity: str = "warning",
    name: str = "Probe",
    ends_at: str = "0001-01-01T00:00:00Z",
    starts_at: str = "2025-03-03T08:00:00Z",
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "instance": f"host-{fingerprint}", "severity": severity},
        "annotations": {"summary": f"{name} on host-{fingerprint}"},
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": fingerprint,
    }
