"""The demo's on-call schedules: one per active L1-L3 support group, a weekly rotation of the
group's agents handing off on Mondays at 09:00 in the site's time zone, and one override
(tomorrow evening, the second person covering for whoever the rotation names).

Idempotent: the schedule is found by its group and name, the layer by its level, and an override
is added only to a schedule without one. Paging (policies, contact methods, past pages) follows
in demo/paging.py.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import SupportGroup, User
from core.roles import is_agent
from demo.paging import seed_paging_demo
from oncall.models import LayerMember, Override, RotationLayer, Schedule

MAX_MEMBERS = 6
FIRST_HANDOFF_DAY = date(2026, 1, 5)  # a Monday


def _agents(group: SupportGroup) -> list[User]:
    people = group.members.filter(is_active=True).order_by("pk")[: MAX_MEMBERS * 3]
    return [person for person in people if is_agent(person)][:MAX_MEMBERS]


def seed_oncall_demo() -> dict[str, int]:
    """Schedules, then paging (demo.paging). Returns how many schedules, policies and contact
    methods exist and how many overrides and pages were added."""
    zone = ZoneInfo(settings.TIME_ZONE)
    handoff = datetime.combine(FIRST_HANDOFF_DAY, time(9), zone)
    added = 0
    with transaction.atomic():
        for group in SupportGroup.objects.filter(is_active=True, tier__in=[1, 2, 3]):
            agents = _agents(group)
            if not agents:
                continue
            schedule, _ = Schedule.objects.get_or_create(
                support_group=group,
                name=f"{group.name} on call",
                defaults={
                    "time_zone": settings.TIME_ZONE,
                    "description": "Weekly rotation, Mondays 09:00.",
                },
            )
            layer, created = RotationLayer.objects.get_or_create(
                schedule=schedule,
                level=1,
                defaults={"name": "Weekly", "shift_hours": 168, "handoff_at": handoff},
            )
            if created:
                LayerMember.objects.bulk_create(
                    LayerMember(layer=layer, person=person, position=index)
                    for index, person in enumerate(agents)
                )
            if not schedule.overrides.exists():
                tomorrow = timezone.now().astimezone(zone).date() + timedelta(days=1)
                start = datetime.combine(tomorrow, time(18), zone)
                Override.objects.create(
                    schedule=schedule,
                    person=agents[1 % len(agents)],
                    start=start,
                    end=start + timedelta(hours=4),
                    created_by=group.manager or agents[0],
                )
                added += 1
    return {
        "schedules": Schedule.objects.count(),
        "overrides_added": added,
        **seed_paging_demo(),
    }
