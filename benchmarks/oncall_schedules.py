"""Who is on call for 1,000 schedules over the next 14 days (DESIGN §7: <= 100 ms).

Pure computation by oncall.engine.final_shifts; the database read (oncall.selectors.schedule_list:
four queries whatever the count) is not included. Each schedule: Europe/Berlin, three layers (a
weekly rotation of 5, a 12-hour rotation of 4, a weekday 09:00-17:00 layer of 3) and two
overrides; the range crosses a DST change. Run: .venv/bin/python benchmarks/oncall_schedules.py
"""

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall.engine import LayerSpec, OverrideSpec, ScheduleSpec, final_shifts

START = datetime(2026, 10, 18, 6, tzinfo=UTC)  # the 14 days hold the fall-back of 25 October
END = START + timedelta(days=14)


def schedule(index: int) -> ScheduleSpec:
    handoff = datetime(2026, 1, 5, 8, tzinfo=UTC) + timedelta(hours=index % 24)
    people = [index * 10 + n for n in range(10)]
    return ScheduleSpec(
        time_zone="Europe/Berlin",
        schedule_id=index,
        layers=(
            LayerSpec(1, tuple(people[:5]), 168, handoff),
            LayerSpec(2, tuple(people[5:9]), 12, handoff),
            LayerSpec(
                3, tuple(people[:3]), 24, handoff, frozenset({1, 2, 3, 4, 5}), (clock(9), clock(17))
            ),
        ),
        overrides=(
            OverrideSpec(people[9], START + timedelta(days=2), START + timedelta(days=3)),
            OverrideSpec(
                people[0], START + timedelta(days=9, hours=3), START + timedelta(days=9, hours=9)
            ),
        ),
    )


def main() -> None:
    specs = [schedule(i) for i in range(1000)]
    runs = []
    shifts = 0
    for _ in range(15):
        began = time.perf_counter()
        shifts = sum(len(final_shifts(spec, START, END)) for spec in specs)
        runs.append((time.perf_counter() - began) * 1000)
    print(f"first run (conversions not yet memoised): {runs[0]:.1f} ms")
    print(
        f"1000 schedules x 14 days: {shifts} shifts; median {statistics.median(runs):.1f} ms, "
        f"min {min(runs):.1f} ms, max {max(runs):.1f} ms over {len(runs)} runs"
    )


if __name__ == "__main__":
    main()
