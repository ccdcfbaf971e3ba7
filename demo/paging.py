"""The demo's paging (issue 16, point 10): an escalation policy per L1-L3 group, an email
contact method with a rule for every agent of those groups, and four weeks of pages on demo
incidents, so that `make run` shows paging working and the on-call review has numbers.

- Policies: page the schedule's on-call, wait 5 minutes, then the whole group, wait 10; repeat
  once; page P1 and P2; the L1 groups also page on an SLA breach.
- Contact methods: "Work email" at once for every agent of those groups; the first L1 agent also
  has an SMS gateway webhook (an example URL) that is switched off.
- Pages, written as rows with past timestamps (the sweeper is not run and nothing is sent):
  most acknowledged a few minutes later by the person on call then, some at night (an SLA breach
  overnight); one escalated to L2 and acknowledged there; one that nobody acknowledged
  (exhausted after L1-L3); one still triggered now on an open P1 incident. Each page has its
  notifications (status sent) and its timeline events on the incident, dated when they happened.

Idempotent: policies and methods are found by their keys, and pages are written only on a desk
that has none (a desk already paging keeps its own history).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.choices import EventKind, Source
from core.models import SupportGroup, TimelineEvent, User
from core.roles import is_agent
from core.tickets.events import event_build
from core.tickets.kinds import kind_of
from incidents.models import Incident
from oncall.models import (
    ContactMethod,
    ContactMethodKind,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Page,
    PageNotification,
    PageNotificationStatus,
    PageReason,
    PageStatus,
    Schedule,
    StepTarget,
)
from oncall.paging.snapshot import snapshot_for
from oncall.paging.steps import step_people

HISTORY_DAYS = 28
ACKNOWLEDGED_PAGES = 16
NIGHT_PAGES = 4
NIGHT_START = time(3, 10)
SLEEP_FROM, SLEEP_UNTIL = 22, 7
GATEWAY_URL = "https://sms-gateway.example/page"
STORIES = ("escalated", "exhausted")  # the pages told on the first two past L1 incidents
CANDIDATE_CHUNK = 500


def seed_paging_demo() -> dict[str, int]:
    """Returns how many policies and contact methods exist and how many pages were added."""
    with transaction.atomic():
        groups = list(
            SupportGroup.objects.filter(
                pk__in=Schedule.objects.values("support_group_id")
            ).order_by("tier", "pk")
        )
        for group in groups:
            _policy(group)
        methods = _contact_methods(groups)
        added = 0 if Page.objects.exists() else _pages(groups, methods)
    return {
        "policies": EscalationPolicy.objects.count(),
        "contact_methods": ContactMethod.objects.count(),
        "pages_added": added,
    }


def _policy(group: SupportGroup) -> EscalationPolicy:
    policy, created = EscalationPolicy.objects.get_or_create(
        support_group=group,
        service=None,
        defaults={
            "name": f"{group.name} paging",
            "repeat": 1,
            "page_priorities": [1, 2],
            "page_on_breach": group.tier == 1,
        },
    )
    if created:
        EscalationStep.objects.create(
            policy=policy,
            position=1,
            target=StepTarget.SCHEDULE,
            schedule=group.oncall_schedules.order_by("pk").first(),
            wait_minutes=5,
        )
        EscalationStep.objects.create(
            policy=policy, position=2, target=StepTarget.GROUP, wait_minutes=10
        )
    return policy


def _contact_methods(groups: list[SupportGroup]) -> dict[int, ContactMethod]:
    """Every agent's work email (and its rule), by person id."""
    people = [
        person
        for person in User.objects.filter(support_groups__in=groups, is_active=True)
        .distinct()
        .order_by("pk")
        if is_agent(person) and person.email
    ]
    ContactMethod.objects.bulk_create(
        [
            ContactMethod(
                person=person,
                kind=ContactMethodKind.EMAIL,
                label="Work email",
                address=person.email,
            )
            for person in people
        ],
        ignore_conflicts=True,
    )
    first_l1 = next((p for p in people if p.support_groups.filter(tier=1).exists()), None)
    if first_l1 is not None:
        ContactMethod.objects.get_or_create(
            person=first_l1,
            kind=ContactMethodKind.WEBHOOK,
            address=GATEWAY_URL,
            defaults={"label": "SMS gateway", "is_active": False, "secret": "demo-not-a-secret"},
        )
    methods = ContactMethod.objects.filter(person__in=people)
    NotificationRule.objects.bulk_create(
        [
            NotificationRule(
                contact_method=method,
                delay_minutes=0 if method.kind == ContactMethodKind.EMAIL else 2,
            )
            for method in methods
        ],
        ignore_conflicts=True,
    )
    return {method.person_id: method for method in methods.filter(kind=ContactMethodKind.EMAIL)}


# --- Pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepRun:
    tier_index: int
    round: int
    step_index: int
    at: datetime
    step: dict[str, Any]
    group_id: int

    @property
    def key(self) -> str:
        return f"{self.tier_index}.{self.round}.{self.step_index}"


def _walk(snapshot: list[dict[str, Any]], start: datetime) -> Iterator[StepRun]:
    """Every step the page would run if nobody answered, with when it starts."""
    at = start
    for tier_index, tier in enumerate(snapshot):
        for round_ in range(int(tier["repeat"]) + 1):
            for step_index, step in enumerate(tier["steps"]):
                yield StepRun(tier_index, round_, step_index, at, step, int(tier["group_id"]))
                at += timedelta(minutes=int(step["wait_minutes"]))


def _candidates(groups: list[SupportGroup], since: datetime) -> Iterator[Incident]:
    """The incidents pages are told on, most urgent and oldest first, read in chunks: a big
    desk has tens of thousands in four weeks, and the picks need the first few dozen."""
    return (
        Incident.objects.filter(support_group__in=groups, created_at__gte=since, priority__lte=3)
        .select_related("support_group", "service")
        .order_by("priority", "created_at", "pk")
        .iterator(chunk_size=CANDIDATE_CHUNK)
    )


@dataclass
class _Picks:
    """The incidents the demo pages: the live one (the first open, a P1 when one is open),
    the first two past L1 incidents (escalated, exhausted), the first past ones open at night
    (with when their night page starts), and the first other past ones (acknowledged by day)."""

    live: Incident | None = None
    first_tier: list[Incident] = field(default_factory=list)
    nights: list[tuple[Incident, datetime]] = field(default_factory=list)
    days: list[Incident] = field(default_factory=list)

    def complete(self) -> bool:
        return (
            self.live is not None
            and len(self.first_tier) == len(STORIES)
            and len(self.nights) == NIGHT_PAGES
            and len(self.days) >= ACKNOWLEDGED_PAGES - NIGHT_PAGES
        )


def _pick(incidents: Iterator[Incident], now: datetime, zone: ZoneInfo) -> _Picks:
    """Walk the candidates in order until every pick is made. Ordered by priority first, the
    first open incident is a P1 whenever one is open."""
    open_statuses = set(kind_of(Incident).lifecycle.open)
    # An hour old at least: a past page's whole story (notifications, acknowledgement) is over.
    past_before = now - timedelta(hours=1)
    picks = _Picks()
    for incident in incidents:
        if picks.live is None and incident.status in open_statuses:
            picks.live = incident
            continue
        if incident.created_at >= past_before:
            continue
        # Escalation and exhaustion are told on L1 incidents, which have L2 and L3 above them.
        group = incident.support_group
        if len(picks.first_tier) < len(STORIES) and group is not None and group.tier == 1:
            picks.first_tier.append(incident)
            continue
        # Some acknowledged pages at night, chosen among the incidents that were open at night.
        start = _night_start(incident, now, zone) if len(picks.nights) < NIGHT_PAGES else None
        if start is not None:
            picks.nights.append((incident, start))
        elif len(picks.days) < ACKNOWLEDGED_PAGES:
            picks.days.append(incident)
        if picks.complete():
            break
    return picks


def _night_after(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), NIGHT_START, zone)


def _night_start(incident: Incident, now: datetime, zone: ZoneInfo) -> datetime | None:
    """When a night page of `incident` starts: just after it was opened if that was at night,
    else 03:10 the night after while it was still unresolved (an SLA breach overnight); None
    when it was resolved before any night."""
    opened = incident.created_at + timedelta(minutes=2)
    hour = opened.astimezone(zone).hour
    if hour < SLEEP_UNTIL or hour >= SLEEP_FROM:
        return opened
    night = _night_after(incident.created_at, zone)
    ended = incident.resolved_at
    if night < now - timedelta(hours=1) and (ended is None or night < ended):
        return night
    return None


def _night_reason(incident: Incident, start: datetime) -> str:
    opened_at_night = start == incident.created_at + timedelta(minutes=2)
    return PageReason.PRIORITY if opened_at_night else PageReason.SLA_BREACH


def _pages(groups: list[SupportGroup], methods: dict[int, ContactMethod]) -> int:
    now = timezone.now()
    zone = ZoneInfo(settings.TIME_ZONE)
    picks = _pick(_candidates(groups, now - timedelta(days=HISTORY_DAYS)), now, zone)
    live, nights = picks.live, picks.nights
    days = picks.days[: ACKNOWLEDGED_PAGES - len(nights)]
    plans: list[tuple[Incident, str, datetime, str]] = [
        (incident, plan, incident.created_at + timedelta(minutes=2), PageReason.PRIORITY)
        for incident, plan in zip(picks.first_tier, STORIES, strict=False)
    ]
    plans += [(i, "acknowledged", start, _night_reason(i, start)) for i, start in nights]
    plans += [
        (i, "acknowledged", i.created_at + timedelta(minutes=2), PageReason.PRIORITY) for i in days
    ]
    added = 0
    for index, (incident, plan, start, reason) in enumerate(plans):
        added += _page(incident, start, reason, plan, methods=methods, index=index)
    if live is not None:
        added += _page(
            live, now - timedelta(minutes=2), PageReason.PRIORITY, "live", methods=methods, index=0
        )
    return added


def _notify(page: Page, run: StepRun, methods: dict[int, ContactMethod], sent: bool) -> list[User]:
    people = [p for p in step_people(run.step, run.group_id, run.at) if p.pk in methods]
    PageNotification.objects.bulk_create(
        PageNotification(
            page=page,
            step_key=run.key,
            person=person,
            contact_method=methods[person.pk],
            method_kind=ContactMethodKind.EMAIL,
            method_label=methods[person.pk].label,
            status=PageNotificationStatus.SENT if sent else PageNotificationStatus.SCHEDULED,
            due_at=run.at,
            queued_at=run.at if sent else None,
            sent_at=run.at + timedelta(seconds=4) if sent else None,
        )
        for person in people
    )
    return people


def _event(
    incident: Incident,
    at: datetime,
    *,
    what: str,
    page_id: int,
    message: str,
    actor: User | None = None,
    source: str = Source.ONCALL,
    **details: Any,
) -> TimelineEvent:
    """A page event as oncall.paging.events.page_event writes it (kind `page`, internal,
    "what" and "page_id" in `changes`), dated `at`. Built and inserted rather than appended
    through page_event: the timeline is append-only (a database trigger refuses updates), so an
    event's past date must be set before its insert, and history sends no webhooks."""
    event = event_build(
        incident,
        kind=EventKind.PAGE,
        actor=actor,
        source=source,
        changes={"what": what, "page_id": page_id, **details},
        message=message,
        is_public=False,
    )
    event.created_at = at
    return event


def _names(people: list[User]) -> str:
    return ", ".join(str(person) for person in people) or "nobody reachable"


def _page(
    incident: Incident,
    start: datetime,
    reason: str,
    plan: str,
    *,
    methods: dict[int, ContactMethod],
    index: int,
) -> int:
    """One page of `plan` (acknowledged, escalated, exhausted, live) on `incident`; 0 when its
    group has no policy or nobody would be paged."""
    group = incident.support_group
    snapshot = snapshot_for(incident, group)
    runs = list(_walk(snapshot, start))
    if not runs:
        return 0
    if plan == "escalated":
        runs = [r for r in runs if r.tier_index == 0] + [r for r in runs if r.tier_index == 1][:1]
    elif plan != "exhausted":
        runs = runs[:1]
    first = snapshot[0]
    page = Page.objects.create(
        ticket_type=ContentType.objects.get_for_model(Incident),
        ticket_id=incident.pk,
        ticket_number=incident.number,
        ticket_title=incident.title[:200],
        priority=incident.priority,
        support_group_id=first["group_id"],
        status=PageStatus.TRIGGERED,
        reason=reason,
        policy_snapshot=snapshot,
        step_started_at=start,
        created_at=start,
    )
    events = [
        _event(
            incident,
            start,
            what="triggered",
            page_id=page.pk,
            reason=reason,
            tier=first["tier"],
            group=first["group"],
            policy=first["policy"],
            message=f"Paging {first['group']} ({first['policy']}): "
            f"{PageReason(reason).label.lower()}.",
        )
    ]
    last_people: list[User] = []
    for run in runs:
        if run.tier_index and run.round == 0 and run.step_index == 0:
            tier = snapshot[run.tier_index]
            events.append(
                _event(
                    incident,
                    run.at,
                    what="escalated",
                    page_id=page.pk,
                    tier=tier["tier"],
                    group=tier["group"],
                    message=f"Nobody acknowledged in L{snapshot[run.tier_index - 1]['tier']}; "
                    f"paging {tier['group']}.",
                )
            )
        last_people = _notify(page, run, methods, sent=True)
        events.append(
            _event(
                incident,
                run.at + timedelta(seconds=4),
                what="notified",
                page_id=page.pk,
                step=run.key,
                message=f"Emailed {_names(last_people)}.",
            )
        )
    last = runs[-1]
    fields: dict[str, Any] = {
        "tier_index": last.tier_index,
        "round": last.round,
        "step_index": last.step_index,
        "step_started_at": last.at,
        "notified_key": last.key,
        "version": len(runs),
    }
    if plan == "live":
        fields["next_at"] = last.at + timedelta(minutes=int(last.step["wait_minutes"]))
    elif plan == "exhausted":
        ended = last.at + timedelta(minutes=int(last.step["wait_minutes"]))
        fields.update(status=PageStatus.EXHAUSTED, ended_at=ended)
        events.append(
            _event(
                incident,
                ended,
                what="exhausted",
                page_id=page.pk,
                message="Nobody acknowledged the page at any tier.",
            )
        )
    elif last_people:
        person = last_people[0]
        acked = last.at + timedelta(minutes=2 + (index * 3) % 13, seconds=17 * index % 60)
        fields.update(
            status=PageStatus.ACKNOWLEDGED,
            acknowledged_by=person,
            acknowledged_at=acked,
            acknowledged_via=Source.EMAIL if index % 2 else Source.WEB,
            ended_at=acked,
        )
        events.append(
            _event(
                incident,
                acked,
                what="acknowledged",
                page_id=page.pk,
                actor=person,
                source=fields["acknowledged_via"],
                seconds=int((acked - start).total_seconds()),
                message=f"{person} acknowledged the page.",
            )
        )
    else:
        fields.update(status=PageStatus.CANCELLED, ended_at=last.at)
    Page.objects.filter(pk=page.pk).update(**fields)
    TimelineEvent.objects.bulk_create(events)
    return 1
