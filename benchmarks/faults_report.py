"""One row per fault of benchmarks/faults.py, the budget lines, and the Markdown table."""

import math
from dataclasses import dataclass, field

from faults_load import LoadResult


@dataclass
class Row:
    fault: str
    requests: int = 0
    errors: int = 0
    expected_503: int = 0
    lost: int = 0
    duplicated: int = 0  # incidents, emails and webhook events that happened twice
    repeats_same_id: int = 0  # webhook POSTs repeated under their delivery id (allowed)
    max_ms: float = math.nan
    p99_ms: float = math.nan
    first_success_s: float | None = None
    drained_s: float | None = None
    health: str = ""
    slowest_503_s: float | None = None
    half_written: int = 0
    notes: list[str] = field(default_factory=list)
    budgets: list[tuple[str, bool]] = field(default_factory=list)

    def budget(self, text: str, passed: bool) -> None:
        self.budgets.append((text, passed))


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def fill_from_load(
    row: Row, load: LoadResult, *, fault_at: float, returned: float, expect_503: bool
) -> None:
    """Requests, errors, latency, first success after `returned` and /healthz during/after."""
    row.requests = len(load.requests)
    unavailable = [r for r in load.requests if r.status == 503]
    row.expected_503 = len(unavailable) if expect_503 else 0
    row.errors = sum(
        1
        for r in load.requests
        if not 200 <= r.status < 300 and not (expect_503 and r.status == 503)
    )
    seconds = [r.seconds for r in load.requests]
    row.max_ms = max(seconds, default=math.nan) * 1000
    row.p99_ms = percentile(seconds, 0.99) * 1000
    after = [r.finished for r in load.requests if 200 <= r.status < 300 and r.finished >= returned]
    row.first_success_s = min(after) - returned if after else None
    during = [p for p in load.probes if fault_at <= p.at <= returned]
    later = [p for p in load.probes if p.at > returned]
    seen = sorted({p.status for p in during})
    slowest = max((p.seconds for p in during), default=0.0)
    row.health = (
        f"{'/'.join(seen) or '-'} (max {slowest:.2f} s) → {later[-1].status if later else '-'}"
    )
    if expect_503 and unavailable:
        row.slowest_503_s = max(r.seconds for r in unavailable)
        row.notes.append(f"slowest 503 {row.slowest_503_s:.2f} s")


def _cell(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "never"
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:.{digits}f}"


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| fault | requests | errors | 503 (expected) | lost | duplicated | same-id redeliveries "
        "| max ms | p99 ms | first success after return, s | outbox drained after return, s "
        "| /healthz during → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.fault} | {row.requests:,} | {row.errors:,} | {row.expected_503:,} | "
            f"{row.lost} | {row.duplicated} | {row.repeats_same_id} | {_cell(row.max_ms, 0)} | "
            f"{_cell(row.p99_ms, 0)} | {_cell(row.first_success_s)} | {_cell(row.drained_s)} | "
            f"{row.health or '-'} |"
        )
    lines.append("")
    for row in rows:
        if row.notes:
            lines.append(f"- {row.fault}: " + "; ".join(row.notes) + ".")
    lines += ["", "Budgets:", ""]
    for row in rows:
        for text, passed in row.budgets:
            lines.append(f"- {'PASS' if passed else 'FAIL'} {row.fault.split(' ')[0]}: {text}")
    return lines
