"""Error budgets and burn rates: the arithmetic, with no database (slo.queries reads the numbers
it works on; tests check it against hand-computed examples).

An objective of `target` percent over a window allows an error rate of (100 - target) / 100:

- availability: allowed downtime = error rate x window; used = merged outage time in it;
- response: allowed bad events = error rate x events in the window; used = bad events (an
  incident not acknowledged within the threshold, or still unacknowledged past it).

The burn rate over a window w is the bad fraction in w divided by the error rate: 1 spends the
budget exactly over the objective's window, 14.4 spends 2 % of a 30-day budget in one hour.
Alerts follow the SRE workbook's multiwindow, multi-burn-rate alerts: a rule holds when the
burn rate over its long window AND over its short window (1/12 of it, so the alert clears soon
after the burn stops) both reach its threshold.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from slo.choices import AlertRule

PAGE = "page"
NOTIFY = "notify"

# The burn-rate windows, shortest first.
WINDOWS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "2h": timedelta(hours=2),
    "6h": timedelta(hours=6),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
}


@dataclass(frozen=True)
class AlertPolicy:
    """One alert: it holds while the burn rate over `long` and over `short` both reach `burn`."""

    rule: str
    severity: str
    long: str
    short: str
    burn: float

    def holds(self, burns: Mapping[str, float]) -> bool:
        return burns[self.long] >= self.burn and burns[self.short] >= self.burn

    @property
    def words(self) -> str:
        return f"burn ≥ {self.burn:g} over {self.long} and {self.short}"


# The SRE workbook's multiwindow, multi-burn-rate alerts (chapter "Alerting on SLOs"): pages
# for 2 % of a 30-day budget spent in 1 h and 5 % in 6 h; tickets (here: an email) for 10 % in
# 3 days, and the 1-day/2-hour pair at burn rate 3 of its Prometheus rules.
ALERT_POLICIES: tuple[AlertPolicy, ...] = (
    AlertPolicy(AlertRule.PAGE_1H, PAGE, "1h", "5m", 14.4),
    AlertPolicy(AlertRule.PAGE_6H, PAGE, "6h", "30m", 6.0),
    AlertPolicy(AlertRule.NOTIFY_1D, NOTIFY, "1d", "2h", 3.0),
    AlertPolicy(AlertRule.NOTIFY_3D, NOTIFY, "3d", "6h", 1.0),
)
POLICY_BY_RULE = {policy.rule: policy for policy in ALERT_POLICIES}

SECONDS = "seconds"
EVENTS = "events"


def error_rate(target: Decimal | float) -> float:
    """The bad fraction the objective allows: 0.001 for 99.9 %."""
    return (100.0 - float(target)) / 100.0


def burn_rate(bad: float, total: float, target: Decimal | float) -> float:
    """How fast `bad` out of `total` (seconds or events) spends the budget: 1.0 is exactly on
    budget; nothing measured burns nothing."""
    if total <= 0:
        return 0.0
    return (bad / total) / error_rate(target)


@dataclass(frozen=True)
class Budget:
    """An objective's budget over its window: `allowed` and `used` in `unit` (seconds of
    downtime, or bad events), `total` the window's length or events."""

    allowed: float
    used: float
    total: float
    unit: str

    @property
    def remaining(self) -> float:
        return self.allowed - self.used

    @property
    def remaining_fraction(self) -> float:
        """What is left, as a fraction of the budget (below 0 when overspent)."""
        if self.allowed <= 0:
            return 1.0 if self.used <= 0 else 0.0
        return 1.0 - self.used / self.allowed

    @property
    def is_exhausted(self) -> bool:
        return self.used > 0 and self.used >= self.allowed

    @property
    def attained(self) -> float | None:
        """The percentage of good time or events in the window (None without events)."""
        if self.total <= 0:
            return None
        return 100.0 * (1.0 - self.used / self.total)


def availability_budget(
    target: Decimal | float, window: timedelta, downtime_seconds: float
) -> Budget:
    seconds = window.total_seconds()
    return Budget(
        allowed=error_rate(target) * seconds,
        used=min(max(downtime_seconds, 0.0), seconds),
        total=seconds,
        unit=SECONDS,
    )


def response_budget(target: Decimal | float, events: int, bad: int) -> Budget:
    return Budget(allowed=error_rate(target) * events, used=float(bad), total=events, unit=EVENTS)


def availability_burns(
    target: Decimal | float, downtime_by_window: Mapping[str, float]
) -> dict[str, float]:
    """Burn rate per window name, from the downtime (seconds) within each window."""
    return {
        name: burn_rate(downtime_by_window[name], span.total_seconds(), target)
        for name, span in WINDOWS.items()
    }


def response_burns(
    target: Decimal | float, counts_by_window: Mapping[str, tuple[int, int]]
) -> dict[str, float]:
    """Burn rate per window name, from (events, bad events) decided within each window."""
    return {
        name: burn_rate(counts_by_window[name][1], counts_by_window[name][0], target)
        for name in WINDOWS
    }


def alerts_holding(burns: Mapping[str, float]) -> list[AlertPolicy]:
    return [policy for policy in ALERT_POLICIES if policy.holds(burns)]


HEALTHY = "healthy"
BURNING = "burning"
FAST_BURN = "fast burn"
EXHAUSTED = "exhausted"


def status_of(budget: Budget, holding: Sequence[AlertPolicy]) -> str:
    """One word for lists: exhausted, fast burn (a page holds), burning (a notice holds),
    healthy."""
    if budget.is_exhausted:
        return EXHAUSTED
    if any(policy.severity == PAGE for policy in holding):
        return FAST_BURN
    if holding:
        return BURNING
    return HEALTHY


# --- Budget over time -------------------------------------------------------------------------


def overlap(islands: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of the (start, end) islands (Unix seconds, disjoint) within [start, end)."""
    return sum(max(0.0, min(e, end) - max(s, start)) for s, e in islands)


def availability_series(
    islands: Sequence[tuple[float, float]],
    target: Decimal | float,
    window: timedelta,
    instants: Sequence[float],
) -> list[float]:
    """The remaining budget fraction at each instant (its window ending there)."""
    span = window.total_seconds()
    return [
        availability_budget(target, window, overlap(islands, t - span, t)).remaining_fraction
        for t in instants
    ]


def response_series(
    daily: Mapping[int, tuple[int, int]], target: Decimal | float, window_days: int
) -> list[float]:
    """The remaining budget fraction at the end of each of the last `window_days` + 1 days,
    from (events, bad) per day index 0 .. 2 x window_days - 1 (index 0 starts two windows
    ago): the point j (0 .. window_days) sums days j .. j + window_days - 1."""
    series = []
    for j in range(window_days + 1):
        events = bad = 0
        for day in range(j, j + window_days):
            day_events, day_bad = daily.get(day, (0, 0))
            events += day_events
            bad += day_bad
        series.append(response_budget(target, events, bad).remaining_fraction)
    return series
