"""`manage.py seed_demo`: demo users, groups, services, CIs and incidents; safe to run again."""

import os
import time
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Exists, OuterRef

from core.models import TimelineEvent
from demo.changes import seed_changes_demo
from demo.deployments import seed_deployments_demo
from demo.email import MAILBOX_ADDRESS, seed_email_demo
from demo.incidents.loader import BULK_MIN, load_incidents, wants_bulk
from demo.oncall import seed_oncall_demo
from demo.organisation import DEMO_LOGINS, DEMO_PASSWORD
from demo.patches import seed_patches_demo
from demo.problems import seed_problems_demo
from demo.progress import ProgressBar
from demo.reference import DemoWorld, seed_reference_data
from demo.service_requests import seed_requests_demo
from demo.sla import backfill_clocks, seed_sla_demo
from demo.slo import seed_slo_demo
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.open_tally import compact_open_tally
from incidents.transitions import OPEN_STATUSES
from problems.link_tally import compact_link_tally
from sla.models import SlaClock

DEFAULT_INCIDENTS = 1000
# Seeded incidents get their clocks while loading; this backfills open incidents an older
# version of the command left without clocks, one by one, up to this many.
MAX_CLOCK_BACKFILL = 10_000
DEFAULT_SEED = 1234
DEFAULT_BATCH = 5_000


class Command(BaseCommand):
    verbosity = 1
    help = (
        "Load demo data: a login per role (password 'demo'), support groups L1-L3, services "
        "with CIs, SLA calendars and policies, and incidents in every status with their "
        "timelines and SLA clocks. Idempotent: people, groups and services are reused; "
        "incidents are generated only when there are none, unless --incidents N asks for N "
        "more. On PostgreSQL, loads of 100,000 incidents or more (and at least as many as "
        "exist) run in one transaction that rebuilds the incident, timeline, comment and "
        "clock tables' indexes at the end; those tables are locked until it commits."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--incidents",
            type=int,
            default=None,
            metavar="N",
            help=(
                f"Add N incidents even if some exist (default: {DEFAULT_INCIDENTS}, and only "
                "when the database has no incidents yet)."
            ),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed for reproducible incidents (default: {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH,
            metavar="N",
            help=(
                "Incidents per batch, and per transaction on small loads "
                f"(default: {DEFAULT_BATCH:,})."
            ),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            metavar="N",
            help=(
                "Processes that plan incidents (default: one per CPU for loads of "
                f"{BULK_MIN:,} or more, else 1)."
            ),
        )
        parser.add_argument("--quiet", action="store_true", help="Do not show the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        requested: int | None = options["incidents"]
        batch_size: int = options["batch_size"]
        if requested is not None and requested < 0:
            raise CommandError(f"--incidents must be 0 or more, not {requested}.")
        if batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1, not {batch_size}.")
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError(f"--workers must be at least 1, not {options['workers']}.")
        self.verbosity = int(options["verbosity"])
        started = time.monotonic()
        self.steps: list[tuple[str, float]] = []

        try:
            with self._step("people"):
                world = seed_reference_data()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        created = world.created
        self._say(
            f"People, groups and services: {created.users} users, {created.support_groups} "
            f"support groups, {created.services} services, {created.configuration_items} CIs "
            "created (existing ones reused)."
        )

        if requested is None:
            count = 0 if Incident.objects.exists() else DEFAULT_INCIDENTS
            if count == 0:
                self._say("Incidents exist already; none added (use --incidents N to add more).")
        else:
            count = requested
        # Policies first: incidents are loaded with their clocks.
        sla = seed_sla_demo()
        self._say(f"SLA: {sla['calendars']} calendars, {sla['policies']} policies.")
        if count:
            workers = options["workers"] or ((os.cpu_count() or 1) if count >= BULK_MIN else 1)
            with self._step("incidents"):
                self._load(
                    world,
                    count,
                    seed=options["seed"],
                    batch_size=batch_size,
                    workers=workers,
                    quiet=options["quiet"],
                )
        with self._step("requests and problems"):
            self._seed_the_rest()
        # The tallies (core.tallies) gathered a row per open incident and per link loaded:
        # fold them now rather than at the worker's next minute.
        compact_open_tally()
        compact_link_tally()
        self._summary(started)

    def _seed_the_rest(self) -> None:
        self._start_clocks()
        catalog = seed_requests_demo()
        self._say(
            f"Service catalog: {catalog['items']} items; "
            f"{catalog['requests_created']} demo requests created."
        )
        problems = seed_problems_demo()
        self._say(
            f"Problems: {problems['problems']} created, {problems['links']} incident links, "
            f"{problems['proposals']} recurrence proposals, {problems['reviews']} review(s) "
            "completed."
        )
        changes = seed_changes_demo()
        self._say(
            f"Changes: {changes['changes']} created from {changes['templates']} templates and "
            f"the Change Advisory Board, {changes['links']} problem/incident link(s)."
        )
        patches = seed_patches_demo()
        self._say(
            f"Patch rollouts: {patches['rollouts']} with {patches['targets']} server(s) "
            "between them (one failed and one pending on November's)."
        )
        mail = seed_email_demo()
        self._say(
            f"Email: the mailbox {MAILBOX_ADDRESS} holds {mail['messages']} messages "
            "(tickets, a reply and an ignored auto-reply; add more with manage.py mail_import)."
        )
        oncall = seed_oncall_demo()
        self._say(
            f"On call: {oncall['schedules']} schedules (a weekly rotation per support group), "
            f"{oncall['overrides_added']} override(s) added; {oncall['policies']} escalation "
            f"policies, {oncall['contact_methods']} contact methods, {oncall['pages_added']} "
            "page(s) added."
        )
        deployments = seed_deployments_demo()
        self._say(
            f"Deployments: {deployments['deployments']} from CI/CD ({deployments['added']} added), "
            f"{deployments['caused']} followed by an incident they caused."
        )
        slo = seed_slo_demo()
        self._say(
            f"Service level objectives: {slo['objectives']}; {slo['exhausted']} service(s) "
            "with the budget spent (their normal changes need an extra approval)."
        )

    @contextmanager
    def _step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        self.steps.append((name, time.monotonic() - started))

    def _load(
        self,
        world: DemoWorld,
        count: int,
        *,
        seed: int,
        batch_size: int,
        workers: int,
        quiet: bool,
    ) -> None:
        show = not quiet and self.verbosity > 0
        bars: list[ProgressBar] = []

        def progress(stage: str, done: int, total: int) -> None:
            if not bars or bars[-1].label != stage:
                if bars:
                    bars[-1].close()
                bars.append(ProgressBar(self.stderr, total=total, label=stage, enabled=show))
            bars[-1].update(done)

        try:
            result = load_incidents(
                world,
                count=count,
                seed=seed,
                batch_size=batch_size,
                bulk=wants_bulk(count),
                workers=workers,
                progress=progress,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bars:
                bars[-1].close()
        how = " in one transaction, indexes rebuilt at the end" if result.bulk else ""
        self._say(
            f"Added {result.incidents:,} incidents ({result.first_number} to "
            f"{result.last_number}) with {result.events:,} timeline events, "
            f"{result.comments:,} comments and {result.clocks:,} SLA clocks{how}."
        )

    def _start_clocks(self) -> None:
        """SLA clocks for open demo incidents that have none, as if they had lived."""
        # NOT EXISTS, an anti-join: `NOT IN (subquery)` is re-scanned per row once the clock ids
        # no longer fit work_mem (1.9 M clocks at 1 M incidents: minutes instead of a second).
        has_clock = SlaClock.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident), ticket_id=OuterRef("pk")
        )
        waiting = Incident.objects.filter(status__in=OPEN_STATUSES).exclude(Exists(has_clock))
        count = waiting.count()
        if count > MAX_CLOCK_BACKFILL:
            self._say(f"SLA clocks: {count:,} open incidents without clocks; too many to backfill.")
            return
        incidents = list(waiting.select_related("service"))
        started = backfill_clocks(
            incidents,
            kind="incident",
            responded_at={i.pk: i.logged_at for i in incidents},
            paused_since={
                i.pk: i.updated_at for i in incidents if i.status == IncidentStatus.ON_HOLD
            },
        )
        if started:
            self._say(f"SLA clocks started for {len(incidents):,} open incidents.")

    def _say(self, message: str) -> None:
        if self.verbosity > 0:
            self.stdout.write(message)

    def _summary(self, started: float) -> None:
        counts = dict(Incident.objects.values_list("status").annotate(n=Count("id")).order_by())
        total = sum(counts.values())
        lines = ["Incidents by status:"]
        lines += [f"  {status.label:<11} {counts.get(status, 0):>9,}" for status in IncidentStatus]
        lines.append(f"  {'Total':<11} {total:>9,}")
        lines.append(f"Timeline events: {TimelineEvent.objects.count():,}")
        logins = ", ".join(login.username for login in DEMO_LOGINS)
        lines.append(f"Demo logins: {logins} (password '{DEMO_PASSWORD}').")
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.steps)
        lines.append(f"Done in {time.monotonic() - started:.1f} s ({steps}).")
        for line in lines:
            self._say(line)
