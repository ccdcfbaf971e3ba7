"""Template filters for report numbers, on top of reporting.format (one wording everywhere:
the dashboard, the weekly email, the CSV's neighbours)."""

from typing import Any

from django import template

from reporting import format as report_format

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """{{ stats.mean|duration }} -> "3 h 20 min"; an em dash for no value."""
    return report_format.duration(seconds)


@register.filter
def percent(rate: float | None) -> str:
    """{{ outcome.rate|percent }} -> "92.3 %" (rate 0..1); an em dash for no value."""
    return report_format.percent(rate)


@register.filter
def raw_rate(rate: float | None) -> str:
    """A machine-readable rate for data-value attributes ("0.9234", or "" for none)."""
    return "" if rate is None else f"{rate:.4f}"


@register.filter
def signed(value: int) -> str:
    """+3, -2, 0: a change, with its sign."""
    return f"+{value}" if value > 0 else str(value)


@register.filter
def lookup(mapping: dict[Any, Any], key: Any) -> Any:
    """{{ row.buckets|lookup:key }}: a dict value by a variable key."""
    return mapping.get(key, "")
