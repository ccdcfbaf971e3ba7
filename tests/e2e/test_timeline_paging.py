"""The ticket page's "Older entries" link in the browser: with JavaScript it swaps the timeline
section in place and puts the page's address in the history; without JavaScript it loads the
page at the timeline. Either way the older entries are shown and "Newest entries" leads back;
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
def test_older_entries_show_the_entries_before_the_newest(
    new_page, settings, agent_l1, javascript, axe_source
):
    settings.TIMELINE_PAGE_SIZE = 3
    incident = incident_with_events(8)
    page = new_page(java_script_enabled=javascript)
    login(page, agent_l1)
    page.goto(reverse("incidents:agent_detail", args=[incident.number]))
    timeline = page.locator("#timeline")
    entries = timeline.locator("li.event")
    expect(entries).to_have_count(3)
    expect(entries.last).to_contain_text("entry 7")
    pager = page.get_by_role("navigation", name="Timeline pages")
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
