"""The requester's ticket page pages its updates in the browser as the agent page does: with
JavaScript "Older entries" swaps the updates section in place and puts the address in the
history, without JavaScript it loads the page at the updates; "Newest entries" leads back, and
the swapped-in section passes axe."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_accessibility import BLOCKING_IMPACTS, RUN_AXE
from tests.factories import incident_with_events

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False])
def test_older_entries_show_the_updates_before_the_newest(
    new_page, settings, end_user, javascript, axe_source
):
    settings.TIMELINE_PAGE_SIZE = 3
    incident = incident_with_events(8, requester=end_user)
    page = new_page(java_script_enabled=javascript)
    login(page, end_user)
    page.goto(reverse("incidents:portal_detail", args=[incident.number]))
    updates = page.locator("#timeline")
    entries = updates.locator("li.event")
    expect(entries).to_have_count(3)
    expect(entries.last).to_contain_text("entry 7")
    pager = page.get_by_role("navigation", name="Pages of updates")
    pager.get_by_role("link", name="Older entries").click()
    expect(page).to_have_url(re.compile(r"timeline_older="))
    expect(entries.first).to_contain_text("entry 2")
    expect(entries.last).to_contain_text("entry 4")
    expect(entries).to_have_count(3)
    if javascript:  # axe runs in the page: the section HTMX swapped in, with both links
        page.evaluate(axe_source)
        violations = page.evaluate(RUN_AXE)["violations"]
        assert [v["id"] for v in violations if v["impact"] in BLOCKING_IMPACTS] == []
    pager.get_by_role("link", name="Newest entries").click()
    expect(entries.last).to_contain_text("entry 7")
    expect(pager.get_by_role("link", name="Newest entries")).to_have_count(0)
