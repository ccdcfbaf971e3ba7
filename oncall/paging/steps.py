"""One step of a page: who it pages and the notification rows it writes.

`step_notify` runs inside the transaction that moved the page to its step (page_start, the
sweeper): it writes one PageNotification per person, working contact method and rule, due at
the rule's delay, and one "skipped" row for a person without any working method. The unique
constraint on (page, step, person, method, delay) makes a repeat a no-op, so a step notifies
once however often this runs. Sending is the sweeper's and the outbox's job
(oncall.paging.sweeper, oncall.paging.delivery).

`step_run` is what starting a step means, for page_start and the sweeper alike: write the rows,
queue those due now at once (page -> first notification does not wait for a sweep), and tell the
group's manager about each person who could not be reached (once per page and person). It says
whether anybody could be notified: when nobody could, the caller moves on at once.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from core.choices import Role
from core.models import SupportGroup, TicketBase, User
from core.roles import ROLE_GROUP_NAMES
from core.tickets.kinds import kind_of
from core.tickets.notify import notify
from oncall.models import (
    ContactMethod,
    Page,
    PageNotification,
    PageNotificationStatus,
    StepTarget,
)
from oncall.paging.delivery import notification_queue
from oncall.selectors import on_call_at, schedule_list


def step_key(page: Page) -> str:
    return f"{page.tier_index}.{page.round}.{page.step_index}"


def current_tier(page: Page) -> dict[str, Any]:
    return page.policy_snapshot[page.tier_index]


def current_step(page: Page) -> dict[str, Any]:
    return current_tier(page)["steps"][page.step_index]


def step_people(step: dict[str, Any], group_id: int, at: datetime) -> list[User]:
    """The active people a step pages at `at`: the schedule's on-call (nobody when the schedule
    is gone or nobody is on call), the named people, or every member of the group."""
    target = step["target"]
    if target == StepTarget.SCHEDULE:
        window = (at - timedelta(days=1), at + timedelta(days=1))
        schedule_id = step.get("schedule_id")
        if schedule_id is None:
            return []
        schedules = list(schedule_list(window=window).filter(pk=int(schedule_id)))
        found = on_call_at(schedules, at)
        return [oc.person for oc in found if oc.person is not None and oc.person.is_active]
    if target == StepTarget.PEOPLE:
        return list(User.objects.filter(pk__in=step.get("people") or [], is_active=True))
    group = SupportGroup.objects.filter(pk=group_id).first()
    if group is None:
        return []
    return list(group.members.filter(is_active=True).order_by("pk"))


def step_notify(page: Page, now: datetime) -> list[PageNotification]:
    """Write the current step's notification rows (see the module docstring); returns them.
    People without a working method get a skipped row (the caller tells managers)."""
    tier = current_tier(page)
    people = step_people(current_step(page), tier["group_id"], now)
    key = step_key(page)
    methods = (
        ContactMethod.objects.filter(person__in=people, is_active=True, failing_since__isnull=True)
        .prefetch_related("rules")
        .order_by("pk")
    )
    by_person: dict[int, list[ContactMethod]] = {}
    for method in methods:
        by_person.setdefault(method.person_id, []).append(method)
    rows: list[PageNotification] = []
    for person in people:
        planned = [
            (method, rule.delay_minutes)
            for method in by_person.get(person.pk, [])
            for rule in method.rules.all()
        ]
        if not planned:
            rows.append(
                PageNotification(
                    page=page,
                    step_key=key,
                    person=person,
                    status=PageNotificationStatus.SKIPPED,
                    due_at=now,
                    error="No working contact method with a notification rule.",
                )
            )
            continue
        for method, delay in planned:
            rows.append(
                PageNotification(
                    page=page,
                    step_key=key,
                    person=person,
                    contact_method=method,
                    method_kind=method.kind,
                    method_label=method.label,
                    delay_minutes=delay,
                    due_at=now + timedelta(minutes=delay),
                )
            )
    PageNotification.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


def step_run(page: Page, ticket: TicketBase, now: datetime) -> bool:
    """Start the page's current step (see the module docstring); True when at least one person
    has a notification on its way. Call inside the transaction that moved the page here."""
    rows = step_notify(page, now)
    key = step_key(page)
    group_id = current_tier(page)["group_id"]
    for row in rows:
        if row.status == PageNotificationStatus.SKIPPED:
            managers_tell(
                page,
                ticket,
                group_ids=[group_id],
                key=f"unreachable:{row.person.pk}",
                subject=f"{row.person} could not be paged",
                body=f"{row.person} was to be paged for {page.ticket_number} "
                f"({page.ticket_title}) but has no working contact method with a notification "
                "rule. The page moved on without them; please fix their contact methods.",
            )
    due = (
        PageNotification.objects.filter(
            page=page, step_key=key, status=PageNotificationStatus.SCHEDULED, due_at__lte=now
        )
        .select_related("page", "contact_method")
        .order_by("pk")
    )
    for notification in due:
        notification_queue(notification, ticket, now)
    return any(row.status != PageNotificationStatus.SKIPPED for row in rows)


def manager_emails(group_ids: list[int]) -> list[str]:
    """The addresses of these groups' managers; the admins' when none of them has one."""
    managers = User.objects.filter(is_active=True, managed_groups__pk__in=group_ids).exclude(
        email=""
    )
    found = sorted({user.email for user in managers})
    if found:
        return found
    admins = (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=ROLE_GROUP_NAMES[Role.ADMIN]))
        .exclude(email="")
    )
    return sorted({user.email for user in admins})


def managers_tell(
    page: Page,
    ticket: TicketBase,
    *,
    group_ids: list[int],
    key: str,
    subject: str,
    body: str,
) -> None:
    """Email the groups' managers (or the admins) about the page, once per page and `key`."""
    link = kind_of(ticket).agent_url(ticket.number)
    notify(
        ticket,
        manager_emails(group_ids),
        subject=subject,
        body=f"{body}\n\n{link}\n",
        key=f"page:{page.pk}:{key}",
    )
