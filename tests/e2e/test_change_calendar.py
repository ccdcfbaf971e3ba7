"""The calendar in Chromium: a seven-column grid on a desktop, a list of the days that have
something on a phone (375 px, nothing scrolls sideways), flags in words on both. Screenshots:
var/e2e-screenshots/change-calendar/."""

import pytest
from playwright.sync_api import expect

from tests.changes.calendar.samples import calendar_sample

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def test_a_grid_on_a_desktop_and_a_list_of_days_on_a_phone(
    agent_l1, service, new_page, login_with_session, screenshots
) -> None:
    calendar_sample(service, agent_l1)
    shot = screenshots("change-calendar")

    desktop = new_page()
    login_with_session(desktop, agent_l1)
    desktop.goto("/agent/changes/calendar/")
    days = desktop.locator("ol.cc-month > li")
    first, second = days.nth(0).bounding_box(), days.nth(1).bounding_box()
    assert first is not None and second is not None
    assert first["y"] == second["y"] and second["x"] > first["x"]  # side by side: a grid
    expect(desktop.locator(".cc-has-conflict").first).to_contain_text("Conflict")
    shot(desktop, "month-desktop")

    phone = new_page(viewport=PHONE)
    login_with_session(phone, agent_l1)
    for url in ("/agent/changes/calendar/", "/agent/changes/calendar/?view=week"):
        phone.goto(url)
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
        shot(phone, "phone-" + ("week" if "week" in url else "month"))
    phone.goto("/agent/changes/calendar/")
    visible = phone.locator("ol.cc-month > li:visible")
    assert visible.count() >= 1
    boxes = [visible.nth(n).bounding_box() for n in range(min(visible.count(), 2))]
    assert all(box is not None and box["width"] > PHONE["width"] * 0.8 for box in boxes)
    expect(visible.first).to_contain_text("Freeze")
    expect(phone.locator(".cc-quiet").first).to_be_hidden()
