"""Filters of the SLO pages: burn rates, budgets in their unit, statuses as badge classes."""

from django import template

from reporting import format as report_format
from slo.budget import EVENTS, Budget

register = template.Library()


@register.filter
def burn(rate: float) -> str:
    """{{ status.burns.1h|burn }} -> "14.4×" (the multiplication sign, as burn rates are
    written)."""  # noqa: RUF002
    if rate >= 100:
        return f"{rate:.0f}×"  # noqa: RUF001
    return f"{rate:.1f}×"  # noqa: RUF001


@register.filter
def budget_amount(budget: Budget, which: str) -> str:
    """{{ budget|budget_amount:"allowed" }} -> "40 min" or "2.0 incidents"."""
    value = max(getattr(budget, which), 0.0) if which == "remaining" else getattr(budget, which)
    if budget.unit == EVENTS:
        return f"{value:.1f} incidents" if value % 1 else f"{value:.0f} incidents"
    return report_format.duration(value) if value else "0 s"


@register.filter
def left(budget: Budget) -> str:
    """The budget left as a percentage, "spent" when nothing is left."""
    if budget.is_exhausted:
        return f"spent ({budget.remaining_fraction * 100:.0f} %)"
    return f"{budget.remaining_fraction * 100:.0f} %"


@register.filter
def status_badge(status: str) -> str:
    return {
        "healthy": "badge-active",
        "burning": "badge-review-draft",
        "fast burn": "badge-alert-firing",
        "exhausted": "badge-alert-firing",
    }.get(status, "badge-neutral")


@register.filter
def slo_burn(burns: dict[str, float], window: str) -> str:
    """{{ status.burns|slo_burn:"1h" }}: the burn rate over one window."""
    return burn(burns[window])
