"""Demo data for `manage.py seed_demo`: people for every role, support groups, services and CIs,
and incidents in every lifecycle state with consistent timelines.

catalog    fixed people, support groups, services and CIs (plain data)
templates  what breaks per service and what agents write about it (plain data)
reference  idempotent creation of users, groups, services and CIs
shape      status mix, pace, ages, forced coverage and row layouts of generated incidents
planner    one incident with its rows, built in memory: what happened and when
timeline   its timeline events and maybe a comment
clocks     the SLA clocks of an open incident
rows       fast bulk insertion of plain rows (executemany on SQLite, COPY on PostgreSQL)
bulk       big PostgreSQL loads: indexes built and foreign keys checked once, at the end
loader     batches with reserved ticket numbers and ids, in report-time order
progress   the progress bar shown while loading
"""

from incidents.demo.catalog import DEMO_LOGINS, DEMO_PASSWORD
from incidents.demo.loader import (
    BULK_MIN,
    INDEXING,
    LOADING,
    LoadResult,
    load_incidents,
    reserve_numbers,
    wants_bulk,
)
from incidents.demo.progress import ProgressBar
from incidents.demo.reference import DemoWorld, seed_reference_data

__all__ = [
    "BULK_MIN",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "INDEXING",
    "LOADING",
    "DemoWorld",
    "LoadResult",
    "ProgressBar",
    "load_incidents",
    "reserve_numbers",
    "seed_reference_data",
    "wants_bulk",
]
