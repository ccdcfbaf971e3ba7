"""The portal lists and the agent ticket pages, in process (issue 18 parts 1 and 3; DESIGN.md §7:
≤ 15 ms of application CPU per page, statements constant in the data size).

Against a seeded PostgreSQL database (`manage.py seed_demo --incidents 100000`, see
BENCHMARKS.md). The portal user gets --portal-tickets incidents of their own (inserted by SQL as
copies of seeded incidents, once: a second run finds them) so that "My tickets" is measured for a
requester with a long history. Each page is requested through Django's test client with DEBUG
off, --repeat times after --warmup requests; the report gives, per page, the median and p90
process CPU time (time.process_time around the GET: templates, ORM and the database driver, not
PostgreSQL's own work), the median wall time, the SQL statements of one request, and the size.
The portal's second page is the one the first page's "Older" link (rel="next") points to.
The portal ticket pages are seen by their requester: the seeded incident with the most public
timeline entries, given --long-history more public comments once (so that its page shows the
"Older entries" link, measured too), and the heavy user's request with the most entries.

Usage: .venv/bin/python benchmarks/portal_ticket_bench.py [--database sd_portal_bench]
       [--repeat 50] [--portal-user portal_heavy] [--portal-tickets 30000]
       [--long-history 300] [--only NAME]
Writes a Markdown table to stdout.
"""

import argparse
import os
import re
import statistics
import sys
import time

from _setup import use_database

NEXT_LINK = re.compile(r'href="([^"]+)" rel="next"')
# The ticket page's link to the timeline entries before the newest page (issue 18).
OLDER_ENTRIES = re.compile(r'id="timeline-more" href="([^"]+)"')
# Written on the busy incident's comments, to find them again on a second run.
LONG_HISTORY_MARK = "Benchmark history entry"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="sd_portal_bench")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--portal-user", default="portal_heavy")
    parser.add_argument("--portal-tickets", type=int, default=30_000)
    parser.add_argument("--long-history", type=int, default=300)
    parser.add_argument("--agent", default="manager")
    parser.add_argument("--only", default="", help="measure only pages whose name contains this")
    args = parser.parse_args()

    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghijklmnop")
    use_database(args.database)
    from django.test import override_settings

    # Without collectstatic there is no manifest: plain static URLs cost the same to render.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        heavy = ensure_portal_user(args.portal_user, args.portal_tickets)
        rows = [row for row in measure_all(args, heavy) if args.only in row[0]]
    print("| page | CPU p50 ms | CPU p90 ms | wall p50 ms | statements | KB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, cpu50, cpu90, wall50, statements, size in rows:
        print(f"| {name} | {cpu50:.1f} | {cpu90:.1f} | {wall50:.1f} | {statements} | {size:.0f} |")


def ensure_portal_user(username: str, tickets: int):  # type: ignore[no-untyped-def]
    """A requester with `tickets` incidents (copies of seeded ones, spread over the past year)
    and a few requests; created once."""
    from django.db import connection, transaction

    from core.models import User
    from incidents.models import Incident
    from service_requests.models import ServiceRequest

    user, _ = User.objects.get_or_create(
        username=username,
        defaults={"first_name": "Pat", "last_name": "Heavy", "email": f"{username}@example.com"},
    )
    have = Incident.objects.filter(requester=user).count()
    if have >= tickets:
        return user
    columns = [
        f.column
        for f in Incident._meta.concrete_fields
        if f.column not in ("id", "number", "requester_id", "updated_at", "version")
    ]
    listed = ", ".join(columns)
    sys.stderr.write(f"giving {username} {tickets - have:,} incidents...\n")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Incident._meta.db_table}
                (number, requester_id, updated_at, version, {listed})
            SELECT 'INC-H' || lpad(g::text, 7, '0'), %s,
                   now() - (g || ' minutes')::interval * 17, 1, {listed}
            FROM generate_series(%s, %s) AS g
            JOIN {Incident._meta.db_table} src ON src.id = (
                SELECT min(id) FROM {Incident._meta.db_table}) + (g %% 5000)
            """,
            [user.pk, have + 1, tickets],
        )
        requests = list(ServiceRequest.objects.order_by("id")[:20])
        ServiceRequest.objects.filter(pk__in=[r.pk for r in requests]).update(requester=user)
    # As autovacuum would soon: planner statistics that know about the new rows.
    with connection.cursor() as cursor:
        for model in (Incident, ServiceRequest):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return user


def measure(client, url: str, repeat: int, warmup: int) -> tuple[float, float, float, int, float]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    statements = len(captured.captured_queries)
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    cpu.sort()
    return (
        statistics.median(cpu),
        cpu[int(len(cpu) * 0.9) - 1],
        statistics.median(wall),
        statements,
        len(response.content) / 1024,
    )


def measure_all(args: argparse.Namespace, heavy):  # type: ignore[no-untyped-def]
    import html

    from django.test import Client

    from changes.models import Change
    from core.models import User
    from incidents.models import Incident
    from problems.models import Problem
    from service_requests.models import ServiceRequest

    portal = Client()
    portal.force_login(heavy)
    first = portal.get("/portal/tickets/").content.decode()
    found = NEXT_LINK.search(first)
    older = "/portal/tickets/" + html.unescape(found.group(1)) if found else ""
    deep = deep_page(heavy, "older=" in older)
    agent = Client()
    agent.force_login(User.objects.get(username=args.agent))
    # A busy ticket: the open incident with the most timeline entries among recent ones.
    incident = (
        Incident.objects.exclude(requester=heavy)
        .filter(status__in=["in_progress", "assigned", "classified"])
        .order_by("-id")
        .first()
    )
    busy, requester = busy_incident(args.long_history)
    own = Client()
    own.force_login(requester)
    pages = [
        ("portal: incident page", own, f"/portal/incidents/{busy.number}/"),
        ("portal: request page", portal, f"/portal/requests/{busiest_request(heavy).number}/"),
        ("portal: My tickets, first page", portal, "/portal/tickets/"),
        ("portal: My tickets, next page (its Older link)", portal, older),
        ("portal: My tickets, 15,000 tickets down", portal, deep),
        ("portal: My tickets, open only", portal, "/portal/tickets/?show=open"),
        ("portal: home", portal, "/portal/"),
        ("portal: my incidents", portal, "/portal/incidents/"),
        ("portal: my requests", portal, "/portal/requests/"),
        ("agent: incident page", agent, f"/agent/incidents/{incident.number}/"),
        (
            "agent: request page",
            agent,
            f"/agent/requests/{ServiceRequest.objects.order_by('-id').first().number}/",
        ),
        (
            "agent: problem page",
            agent,
            f"/agent/problems/{Problem.objects.order_by('-id').first().number}/",
        ),
        (
            "agent: change page",
            agent,
            f"/agent/changes/{Change.objects.order_by('-id').first().number}/",
        ),
    ]
    incident_page = own.get(pages[0][2]).content.decode()
    found = OLDER_ENTRIES.search(incident_page)
    if found:
        older_entries = html.unescape(found.group(1)).split("#")[0]
        pages.insert(1, ("portal: incident page, its Older entries", own, older_entries))
    problem_page = agent.get(pages[-2][2]).content.decode()
    found = OLDER_ENTRIES.search(problem_page)
    if found:
        older_entries = html.unescape(found.group(1)).split("#")[0]
        pages.append(("agent: problem page, its Older entries", agent, older_entries))
    for name, client, url in pages:
        if not url or args.only not in name:
            continue
        sys.stderr.write(f"{name}: {url}\n")
        yield (name, *measure(client, url, args.repeat, args.warmup))
    # The budget's page of 50 rows.
    from portal import views as portal_views

    if args.only in "portal: My tickets, 50 rows":
        portal_views.MY_TICKETS_PAGE_SIZE = 50
        yield (
            "portal: My tickets, 50 rows",
            *measure(portal, "/portal/tickets/", args.repeat, args.warmup),
        )


def busy_incident(extra: int):  # type: ignore[no-untyped-def]
    """The open seeded incident with the most public timeline entries, and its requester, who
    replies `extra` times on it (once: a second run finds the replies)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count

    from core.models import Comment, TimelineEvent
    from core.tickets.work import ticket_comment
    from incidents.models import Incident

    kind = ContentType.objects.get_for_model(Incident)
    marked = Comment.objects.filter(ticket_type=kind, body__startswith=LONG_HISTORY_MARK).first()
    if marked is not None:
        incident = Incident.objects.get(pk=marked.ticket_id)
        return incident, incident.requester
    open_ids = Incident.objects.filter(status__in=["classified", "diagnosed", "contained"])
    busiest = (
        TimelineEvent.objects.filter(
            ticket_type=kind, is_public=True, ticket_id__in=open_ids.values("id")
        )
        .values("ticket_id")
        .annotate(entries=Count("id"))
        .order_by("-entries")
        .first()
    )
    incident = Incident.objects.get(pk=busiest["ticket_id"])
    sys.stderr.write(f"{incident.number}: adding {extra} replies...\n")
    for n in range(extra):
        body = f"{LONG_HISTORY_MARK} {n}: still seeing **errors** on the `checkout` page."
        ticket_comment(incident, author=incident.requester, body=body, is_internal=False)
    return incident, incident.requester


def busiest_request(user):  # type: ignore[no-untyped-def]
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count

    from core.models import TimelineEvent
    from service_requests.models import ServiceRequest

    mine = ServiceRequest.objects.filter(requester=user)
    counts = (
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(ServiceRequest),
            ticket_id__in=mine.values("id"),
        )
        .values("ticket_id")
        .annotate(entries=Count("id"))
        .order_by("-entries")
    )
    return mine.get(pk=counts[0]["ticket_id"])


def deep_page(user, keyset: bool) -> str:  # type: ignore[no-untyped-def]
    """The "My tickets" page 15,000 tickets down: by its cursor, or (the offset pagination
    measured before keyset pages) by its page number."""
    if not keyset:
        return "/portal/tickets/?page=601"
    from core.keyset import RowKey
    from incidents.models import Incident

    at, pk = (
        Incident.objects.filter(requester=user)
        .order_by("-updated_at", "-id")
        .values_list("updated_at", "id")[15_000]
    )
    return f"/portal/tickets/?older={RowKey(at, pk, 'incident').token}"


if __name__ == "__main__":
    main()
