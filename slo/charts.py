"""The budget chart of a service's page: reporting's inline-SVG time chart (no chart library,
nothing inline for the CSP to refuse), one point per day. The axis shows 0-100 % of the budget
left; an overspent budget is drawn at 0 and its true value is in the table beside the chart."""

from collections.abc import Sequence

from django.utils import timezone

from reporting.dashboard_charts import LineSeries, TimeChart, time_chart
from slo.selectors import BudgetPoint


def _percent(value: float) -> str:
    return f"{value:.0f} %"


def budget_chart(points: Sequence[BudgetPoint]) -> TimeChart:
    labels = [timezone.localtime(point.at).strftime("%d %b") for point in points]
    values = [min(max(point.remaining, 0.0), 1.0) * 100 for point in points]
    return time_chart(
        labels,
        lines=[LineSeries("budget", "Budget left", values, say=_percent)],
        y_max=100.0,
        y_label=_percent,
    )
