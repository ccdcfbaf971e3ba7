"""Demo data and the fixture loader behind `manage.py seed_demo` (DESIGN.md §3, issue 12).

A wiring layer like `config`: it may import every app, and no app imports it. Ticket histories
are not written down here: each kind's walk from its initial status, the milestones it stamps
and the status changes on its timeline come from the kind's lifecycle table (demo.walks).

organisation      fixed people, support groups, services and CIs (plain data)
reference         idempotent creation of users, groups, services and CIs
sla               demo calendars and policies; clocks for tickets that have none
service_requests  the demo service catalog and requests in several states
problems          demo problems, recurrence proposals and a post-incident review
changes           the change advisory board, templates and changes in every status
walks             walks through a lifecycle table: statuses, actions, milestones
incidents/        the incident generator and bulk loader (up to millions of incidents)
rows              fast bulk insertion of plain rows (executemany on SQLite, COPY on PostgreSQL)
bulk              big PostgreSQL loads: indexes built and foreign keys checked once, at the end
progress          the progress bar shown while loading
"""
