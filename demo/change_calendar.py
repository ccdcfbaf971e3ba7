"""The demo's freeze windows: a global year-end freeze (20 December to 3 January, every service)
and a service freeze next month (the ERP month-end close, on ERP), both kept by the demo manager.
Standard-change templates and the demo changes come with the changes demo.

Idempotent: a window is found by its name and start; it is added only when missing.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from changes.models import FreezeWindow
from core.models import Service, User

YEAR_END = "Year-end freeze"
SERVICE_FREEZE = "ERP month-end close"
SERVICE_FREEZE_SERVICE = "ERP"


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone)


def seed_change_calendar_demo(today: date | None = None) -> dict[str, int]:
    """The two freeze windows (relative to `today`, default the site's today). Returns how many
    freeze windows were added."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = today or timezone.now().astimezone(zone).date()
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    manager = User.objects.filter(username="manager").first()
    erp = Service.objects.filter(name=SERVICE_FREEZE_SERVICE).first()
    wanted = [
        (
            YEAR_END,
            "Finance closes the year and most of the staff is away: only emergency changes.",
            _midnight(date(today.year, 12, 20), zone),
            _midnight(date(today.year + 1, 1, 3), zone),
            [],
        ),
        (
            SERVICE_FREEZE,
            "Month-end invoicing runs on ERP: no change to it until the close is signed off.",
            _midnight(next_month.replace(day=25), zone),
            _midnight(next_month.replace(day=28), zone),
            [erp] if erp is not None else [],
        ),
    ]
    added = 0
    with transaction.atomic():
        for name, reason, starts_at, ends_at, services in wanted:
            if FreezeWindow.objects.filter(name=name, starts_at=starts_at).exists():
                continue
            window = FreezeWindow.objects.create(
                name=name,
                reason=reason,
                starts_at=starts_at,
                ends_at=ends_at,
                created_by=manager,
                created_at=timezone.now(),
            )
            window.services.set(services)
            added += 1
    return {"freeze_windows_added": added}
