"""The ticket page's URLs are reversed once per name, arguments, URLconf and script prefix
(core.web.ticket_page.kept_reverse): each case fails without its part of the key."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix, set_urlconf
from django.utils import timezone

from core.templatetags.servicedesk import time_element
from core.web.ticket_page import forget_urls, kept_reverse


@pytest.fixture(autouse=True)
def _fresh():
    forget_urls()
    yield
    forget_urls()
    set_script_prefix("/")
    set_urlconf(None)


def test_the_name_and_arguments_are_the_key():
    first = kept_reverse("incidents:agent_detail", ("INC-000001",))
    assert kept_reverse("incidents:agent_detail", ("INC-000002",)) == reverse(
        "incidents:agent_detail", args=["INC-000002"]
    )
    assert kept_reverse("incidents:agent_list", ()) == reverse("incidents:agent_list")
    assert first == reverse("incidents:agent_detail", args=["INC-000001"])


def test_the_script_prefix_is_part_of_the_key():
    before = kept_reverse("incidents:agent_detail", ("INC-000001",))
    set_script_prefix("/desk/")
    assert kept_reverse("incidents:agent_detail", ("INC-000001",)) == "/desk" + before


def test_the_urlconf_is_part_of_the_key():
    before = kept_reverse("changes:agent_detail", ("CHG-000001",))
    set_urlconf("tests.core.urls_moved")
    moved = kept_reverse("changes:agent_detail", ("CHG-000001",))
    assert moved == reverse("changes:agent_detail", args=["CHG-000001"]) != before


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin"])
@pytest.mark.parametrize("zoned", [False, True])
def test_a_time_element_is_the_date_filters_markup(zone, zoned):
    moment = datetime(2026, 7, 1, 23, 30, 5, 120, tzinfo=UTC)
    shown = "j M Y, H:i T" if zoned else "j M Y, H:i"
    filters = Template(
        f"""<time datetime="{{{{ m|date:'c' }}}}">{{{{ m|date:"{shown}" }}}}</time>"""
    )
    with timezone.override(zone):
        for value in (moment, None):
            expected = filters.render(Context({"m": value}))
            assert time_element(value, zoned=zoned) == expected
