"""The top bar on a phone (375 px wide): every link of the main navigation is inside the
screen, nothing scrolls sideways, and the account menu opens to Preferences, API tokens and
Sign out. Screenshots: var/e2e-screenshots/phone-navigation/."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


@pytest.mark.parametrize("who", ["manager", "end_user"])
def test_the_top_bar_fits_a_phone(request, who, new_page, login_with_session, screenshots) -> None:
    # A manager's bar has the most links (the dashboard too); a requester's the longest ones.
    person = request.getfixturevalue(who)
    shot = screenshots(f"phone-navigation-{who}")
    page = new_page(viewport=PHONE)
    login_with_session(page, person)
    page.goto("/")
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    assert links.count() >= 4
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], links.nth(index)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "closed")
    page.locator("summary.account-toggle").click()
    menu = page.locator(".account-menu-list")
    expect(menu.get_by_role("link", name="Preferences")).to_be_visible()
    expect(menu.get_by_role("button", name="Sign out")).to_be_visible()
    box = menu.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    shot(page, "account-menu")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
