"""Demo data for `manage.py seed_demo`: people for every role, support groups, services and CIs,
and incidents in every lifecycle state with consistent timelines.

catalog    fixed people, support groups, services and CIs (plain data)
templates  what breaks per service and what agents write about it (plain data)
reference  idempotent creation of users, groups, services and CIs
shape      status mix, pace, ages and forced coverage of generated incidents
planner    one incident, its timeline and maybe a comment, built in memory
rows       fast bulk insertion of plain rows (executemany on SQLite, COPY on PostgreSQL)
loader     batches with reserved ticket numbers, in report-time order
progress   the progress bar shown while loading
"""

from incidents.demo.catalog import DEMO_LOGINS, DEMO_PASSWORD
from incidents.demo.loader import LoadResult, load_incidents, reserve_numbers
from incidents.demo.progress import ProgressBar
from incidents.demo.reference import DemoWorld, seed_reference_data

__all__ = [
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DemoWorld",
    "LoadResult",
    "ProgressBar",
    "load_incidents",
    "reserve_numbers",
    "seed_reference_data",
]
