"""Payload parsers: decoded JSON in, a list of `ParsedAlert` out, or a `PayloadError` saying what
is wrong and where. Pure functions (no database, no settings), one per integration kind.

A payload is accepted whole or refused whole: one bad alert in a group refuses the delivery, so
a retry after the sender is fixed never half-applies it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from core.single_line import single_line_normalise
from incidents.alerts.choices import AlertStatus, IntegrationKind

MAX_ALERTS = 1000
MAX_FINGERPRINT = 255
MAX_TITLE = 200
MAX_TEXT = 20_000
# Alertmanager and Grafana send Go's zero time for "not ended yet".
_ZERO_TIME_PREFIX = "0001-01-01"
_FRACTION = re.compile(r"\.\d+")
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class PayloadError(Exception):
    """A delivery the intake refuses: `code`, a human `message`, and `fields` (path -> reason)."""

    def __init__(self, message: str, fields: dict[str, str] | None = None, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.code = code or "invalid_payload"


@dataclass(frozen=True)
class ParsedAlert:
    """One alert, whatever tool sent it."""

    fingerprint: str
    status: str
    title: str
    severity: str = ""
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    url: str = ""
    value: str = ""
    silence_url: str = ""

    @property
    def is_firing(self) -> bool:
        return self.status == AlertStatus.FIRING


def _fail(path: str, reason: str) -> PayloadError:
    return PayloadError(f"{path}: {reason}", {path: reason})


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be a JSON object.")
    return value


def _string_map(value: Any, path: str) -> dict[str, str]:
    if value is None:
        return {}
    mapping = _object(value, path)
    for key, item in mapping.items():
        if not isinstance(item, str):
            raise _fail(f"{path}.{key}", "must be a string.")
    return mapping


def _text(
    value: Any, path: str, *, required: bool = False, limit: int = MAX_TEXT, one_line: bool = False
) -> str:
    """A string field; `one_line` for what lands in a single-line field (a title, a key): its
    control characters become spaces rather than refusing the alert, which must not be lost."""
    if value is None or value == "":
        if required:
            raise _fail(path, "is required.")
        return ""
    if not isinstance(value, str):
        raise _fail(path, "must be a string.")
    value = single_line_normalise(value) if one_line else value.strip()
    if required and not value:
        raise _fail(path, "is required.")
    if len(value) > limit:
        raise _fail(path, f"is longer than {limit} characters.")
    return value


def _status(value: Any, path: str, default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if value not in AlertStatus.values:
        raise _fail(path, 'must be "firing" or "resolved".')
    return str(value)


def _time(value: Any, path: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _fail(path, "must be an RFC 3339 time string.")
    if value.startswith(_ZERO_TIME_PREFIX):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = f"{text[:-1]}+00:00"
    # Go prints nanoseconds; Python parses at most microseconds.
    text = _FRACTION.sub(lambda m: m.group(0)[:7], text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(path, "is not an RFC 3339 time.") from None
    if parsed.tzinfo is None:
        raise _fail(path, "needs a time zone (e.g. Z).")
    return parsed


def _alerts_list(payload: dict[str, Any]) -> list[Any]:
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise _fail("alerts", "must be a list of alerts.")
    if not alerts:
        raise _fail("alerts", "is empty: nothing to do.")
    if len(alerts) > MAX_ALERTS:
        raise _fail("alerts", f"has {len(alerts)} alerts; send at most {MAX_ALERTS} at once.")
    return alerts


def _title(labels: dict[str, str], annotations: dict[str, str]) -> str:
    name = labels.get("alertname", "").strip() or "Alert"
    summary = (annotations.get("summary") or annotations.get("title") or "").strip()
    if not summary:
        summary = labels.get("instance", "").strip() or labels.get("job", "").strip()
    return clip(f"[{name}] {summary}" if summary else name, MAX_TITLE)


def clip(text: str, limit: int) -> str:
    """One line of at most `limit` characters, marking the cut: whitespace runs and control
    characters become single spaces."""
    text = " ".join(single_line_normalise(text).split())
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _grouped_alert(
    raw: Any, path: str, *, severity_label: str, extra: Callable[[dict[str, Any], str], str]
) -> ParsedAlert:
    """One alert of the Alertmanager/Grafana grouped shape (they share it)."""
    alert = _object(raw, path)
    fingerprint = _text(
        alert.get("fingerprint"),
        f"{path}.fingerprint",
        required=True,
        limit=MAX_FINGERPRINT,
        one_line=True,
    )
    labels = _string_map(alert.get("labels"), f"{path}.labels")
    annotations = _string_map(alert.get("annotations"), f"{path}.annotations")
    url = _text(alert.get("generatorURL"), f"{path}.generatorURL", limit=2000)
    return ParsedAlert(
        fingerprint=fingerprint,
        status=_status(alert.get("status"), f"{path}.status"),
        title=_title(labels, annotations),
        severity=single_line_normalise(labels.get(severity_label, "")),
        description=clip_block(annotations.get("description", ""), MAX_TEXT),
        labels=labels,
        annotations=annotations,
        starts_at=_time(alert.get("startsAt"), f"{path}.startsAt"),
        ends_at=_time(alert.get("endsAt"), f"{path}.endsAt"),
        url=url,
        value=extra(alert, path),
    )


def clip_block(text: str, limit: int) -> str:
    """Shorten multi-line text to `limit` characters, keeping its lines."""
    text = text.strip()
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _no_value(alert: dict[str, Any], path: str) -> str:
    return ""


def _grafana_value(alert: dict[str, Any], path: str) -> str:
    value = alert.get("valueString")
    if value is not None:
        return _text(value, f"{path}.valueString", limit=MAX_TEXT)
    values = alert.get("values")
    if values is None:
        return ""
    values = _object(values, f"{path}.values")
    for key, item in values.items():
        if not isinstance(item, int | float) or isinstance(item, bool):
            raise _fail(f"{path}.values.{key}", "must be a number.")
    return ", ".join(f"{key}={item:g}" for key, item in sorted(values.items()))


def is_web_url(value: str) -> bool:
    """An absolute http(s) URL safe to put between Markdown's angle brackets."""
    if not value.startswith(("http://", "https://")) or set(value) & set("<>\"'`\\ \t\r\n"):
        return False
    return bool(urlsplit(value).netloc)


def _matcher_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def silence_url(external_url: str, labels: dict[str, str]) -> str:
    """Alertmanager's "new silence" page for these labels, or "" when `external_url` is not an
    http(s) URL: `<external>/#/silences/new?filter={a="b",c="d"}`, the filter percent-encoded."""
    if not is_web_url(external_url) or not labels:
        return ""
    matchers = ",".join(
        f'{name}="{_matcher_value(value)}"'
        for name, value in sorted(labels.items())
        if _LABEL_NAME.fullmatch(name)
    )
    return (
        f"{external_url.rstrip('/')}/#/silences/new?filter={quote('{' + matchers + '}', safe='')}"
    )


def parse_alertmanager(payload: Any, *, severity_label: str = "severity") -> list[ParsedAlert]:
    """Prometheus Alertmanager webhook, payload version 4 (`webhook_configs`)."""
    body = _object(payload, "body")
    version = body.get("version")
    if version != "4":
        raise PayloadError(
            f'version: expected Alertmanager webhook version "4", got {version!r}.',
            {"version": 'must be "4".'},
            code="unsupported_version",
        )
    _status(body.get("status"), "status")
    external = _text(body.get("externalURL"), "externalURL", limit=2000, one_line=True)
    alerts = [
        _grouped_alert(raw, f"alerts[{i}]", severity_label=severity_label, extra=_no_value)
        for i, raw in enumerate(_alerts_list(body))
    ]
    return [replace(alert, silence_url=silence_url(external, alert.labels)) for alert in alerts]


def parse_grafana(payload: Any, *, severity_label: str = "severity") -> list[ParsedAlert]:
    """Grafana (unified alerting) webhook contact point."""
    body = _object(payload, "body")
    version = body.get("version")
    if version not in (None, "1"):
        raise PayloadError(
            f'version: expected Grafana webhook version "1", got {version!r}.',
            {"version": 'must be "1".'},
            code="unsupported_version",
        )
    _status(body.get("status"), "status")
    org_id = body.get("orgId")
    if org_id is not None and (not isinstance(org_id, int) or isinstance(org_id, bool)):
        raise _fail("orgId", "must be a number.")
    for name in ("title", "state", "message"):
        _text(body.get(name), name, limit=MAX_TEXT * 5)
    return [
        _grouped_alert(raw, f"alerts[{i}]", severity_label=severity_label, extra=_grafana_value)
        for i, raw in enumerate(_alerts_list(body))
    ]


GENERIC_FIELDS = frozenset({"title", "dedup_key", "status", "severity", "description", "details"})


def parse_generic(payload: Any, *, severity_label: str = "severity") -> list[ParsedAlert]:
    """The documented generic format: one alert per delivery.

    {"title": str (required, <= 200), "dedup_key": str (required, <= 255),
     "status": "firing" | "resolved" (default "firing"), "severity": str,
     "description": str, "details": object}
    """
    body = _object(payload, "body")
    unknown = sorted(set(body) - GENERIC_FIELDS)
    if unknown:
        raise PayloadError(
            f"Unknown field(s): {', '.join(unknown)}. Known: {', '.join(sorted(GENERIC_FIELDS))}.",
            dict.fromkeys(unknown, "is not a field of the generic format."),
        )
    details = body.get("details")
    if details is not None:
        details = _object(details, "details")
    return [
        ParsedAlert(
            fingerprint=_text(
                body.get("dedup_key"),
                "dedup_key",
                required=True,
                limit=MAX_FINGERPRINT,
                one_line=True,
            ),
            status=_status(body.get("status"), "status", default=AlertStatus.FIRING),
            title=_text(body.get("title"), "title", required=True, limit=MAX_TITLE, one_line=True),
            severity=_text(body.get("severity"), "severity", limit=50, one_line=True),
            description=_text(body.get("description"), "description"),
            details=details or {},
        )
    ]


PARSERS: dict[str, Callable[..., list[ParsedAlert]]] = {
    IntegrationKind.ALERTMANAGER: parse_alertmanager,
    IntegrationKind.GRAFANA: parse_grafana,
    IntegrationKind.GENERIC: parse_generic,
}


def _refuse_nul(payload: Any) -> None:
    """PostgreSQL cannot store NUL in text or JSON: refuse it up front, not with a 500 later."""
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise PayloadError(
                    "The payload contains a NUL character (\\u0000), which cannot be stored.",
                    {"body": "must not contain \\u0000."},
                )
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def parse(kind: str, payload: Any, *, severity_label: str = "severity") -> list[ParsedAlert]:
    """Parse a decoded payload for an integration of `kind`."""
    _refuse_nul(payload)
    return PARSERS[kind](payload, severity_label=severity_label)
