"""What alert incidents say: descriptions and timeline messages (Markdown, sanitised on display).
Pure: no database."""

import json
from datetime import UTC, datetime

from incidents.alerts.parsers import ParsedAlert, clip_block, is_web_url

_SHOWN_ANNOTATIONS_ELSEWHERE = frozenset({"summary", "title", "description"})
MAX_DESCRIPTION = 60_000


def when(moment: datetime) -> str:
    """An instant as the timeline reads it: "2025-03-03 09:00 UTC"."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _escape(value: str) -> str:
    # Label values end up in a Markdown list: keep them on one line and out of formatting.
    return " ".join(value.split()).replace("\\", "\\\\").replace("`", "'").replace("*", "\\*")


def _pairs(title: str, mapping: dict[str, str]) -> list[str]:
    if not mapping:
        return []
    lines = ["", f"**{title}**", ""]
    lines += [f"- `{_escape(key)}`: {_escape(value)}" for key, value in sorted(mapping.items())]
    return lines


def describe(alert: ParsedAlert, *, integration_name: str, kind_label: str) -> str:
    """The description of an incident an alert opened."""
    lines = [f"Raised by the alert integration **{_escape(integration_name)}** ({kind_label})."]
    if alert.description:
        lines += ["", alert.description]
    facts = [f"- Fingerprint: `{_escape(alert.fingerprint)}`"]
    if alert.severity:
        facts.append(f"- Severity: {_escape(alert.severity)}")
    if alert.starts_at:
        facts.append(f"- Started: {when(alert.starts_at)}")
    if alert.value:
        facts.append(f"- Value: `{_escape(alert.value)}`")
    if is_web_url(alert.url):
        facts.append(f"- Source: <{alert.url}>")
    elif alert.url:
        facts.append(f"- Source: `{_escape(alert.url)}`")
    lines += ["", *facts]
    lines += alert_links(alert)
    lines += _pairs("Labels", alert.labels)
    extra = {
        k: v
        for k, v in alert.annotations.items()
        if k not in _SHOWN_ANNOTATIONS_ELSEWHERE and not is_web_url(v.strip())
    }
    lines += _pairs("Annotations", extra)
    if alert.details:
        rendered = json.dumps(alert.details, indent=2, sort_keys=True, ensure_ascii=False)
        lines += ["", "**Details**", "", "```json", rendered.replace("```", "'''"), "```"]
    return clip_block("\n".join(lines), MAX_DESCRIPTION)


def _label(key: str) -> str:
    # runbook_url -> Runbook, dashboard_url -> Dashboard, generatorURL-like keys kept readable.
    words = key.replace("-", "_").split("_")
    if len(words) > 1 and words[-1].lower() in {"url", "link", "href"}:
        words = words[:-1]
    text = " ".join(word for word in words if word) or key
    return _escape(text[:1].upper() + text[1:]).replace("[", "(").replace("]", ")")


def alert_links(alert: ParsedAlert) -> list[str]:
    """Markdown links for the alert's http(s) URL annotations (runbook_url, dashboard_url...) and
    Alertmanager's silence page; other schemes (javascript:, data:...) stay plain annotations."""
    links = [
        f"- [{_label(key)}](<{value.strip()}>)"
        for key, value in sorted(alert.annotations.items())
        if is_web_url(value.strip())
    ]
    if alert.silence_url:
        links.append(f"- [Silence this alert in Alertmanager](<{alert.silence_url}>)")
    return ["", "**Links**", "", *links] if links else []


def describe_storm(*, integration_name: str, limit: int) -> str:
    """The description of a storm summary incident."""
    return (
        f"The alert integration **{_escape(integration_name)}** raised more than {limit} new "
        "incidents within a minute. Until the rate falls below that, further new alerts join "
        "this incident instead of opening their own: each one is counted, listed on the "
        "timeline, and kept as an alert of this incident (repeats and recoveries are recorded "
        "here too)."
    )


def names_summary(names: list[str], total: int) -> str:
    """ "a; b; c and 4 more" for the first names of `total` alerts."""
    shown = "; ".join(names)
    more = total - len(names)
    return f"{shown} and {more} more" if more > 0 else shown
