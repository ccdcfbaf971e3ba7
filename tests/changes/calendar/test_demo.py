from datetime import date

import pytest

from changes.models import FreezeWindow
from demo.change_calendar import seed_change_calendar_demo
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_the_demo_adds_a_year_end_freeze_and_a_service_freeze_next_month_once(l1_group):
    erp = ServiceFactory(name="ERP", owner_group=l1_group)
    assert seed_change_calendar_demo(date(2026, 12, 5)) == {"freeze_windows_added": 2}
    assert seed_change_calendar_demo(date(2026, 12, 5)) == {"freeze_windows_added": 0}
    year_end, erp_close = FreezeWindow.objects.order_by("starts_at")
    assert (year_end.name, year_end.starts_at.date(), year_end.ends_at.date()) == (
        "Year-end freeze",
        date(2026, 12, 20),
        date(2027, 1, 3),
    )
    assert not year_end.services.exists()
    assert erp_close.starts_at.date() == date(2027, 1, 25)
    assert list(erp_close.services.all()) == [erp]
