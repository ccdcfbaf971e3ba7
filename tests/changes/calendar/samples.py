"""Calendar data for the browser checks (tests/e2e): changes that clash inside a freeze window
this week, a freeze window and a template, each made once however often it is asked for."""

from datetime import timedelta

from django.utils import timezone

from changes.choices import ChangeStatus
from changes.models import Change, ChangeTemplate, FreezeWindow
from core.choices import Source
from core.models import Service, User
from core.tickets.opening import ticket_open


def calendar_sample(service: Service | None, agent: User) -> list[str]:
    """Two overlapping scheduled changes on `service` inside a global freeze, today. Returns
    no URL arguments (the calendar takes none)."""
    if Change.objects.filter(title__startswith="Calendar sample").exists():
        return []
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    for n, title in enumerate(("Calendar sample: patch the relay", "Calendar sample: move")):
        change = ticket_open(
            Change,
            fields={
                "title": title,
                "requester": agent,
                "service": service,
                "planned_start": start + timedelta(minutes=30 * n),
                "planned_end": start + timedelta(hours=2),
            },
            actor=agent,
            source=Source.WEB,
            event_fields={},
        )
        Change.objects.filter(pk=change.pk).update(status=ChangeStatus.SCHEDULED)
    FreezeWindow.objects.create(
        name="Calendar sample freeze",
        starts_at=start - timedelta(hours=2),
        ends_at=start + timedelta(hours=6),
        created_at=timezone.now(),
    )
    return []


def calendar_sample_freeze(manager: User) -> FreezeWindow:
    found = FreezeWindow.objects.filter(name="Quarter close").first()
    if found is not None:
        return found
    start = timezone.now() + timedelta(days=10)
    return FreezeWindow.objects.create(
        name="Quarter close",
        reason="Finance closes the quarter.",
        starts_at=start,
        ends_at=start + timedelta(days=3),
        created_by=manager,
        created_at=timezone.now(),
    )


def calendar_sample_template(manager: User) -> ChangeTemplate:
    template, _ = ChangeTemplate.objects.get_or_create(
        name="Monthly OS patch rollout",
        defaults={
            "description": "Security updates on every server, one rack at a time.",
            "implementation_plan": "Drain, patch, reboot, return to the pool.",
            "test_plan": "Health checks green on every host.",
            "backout_plan": "Reinstall the previous package set.",
            "is_patch": True,
            "created_by": manager,
            "created_at": timezone.now(),
        },
    )
    return template
