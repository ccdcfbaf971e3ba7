"""The Patch rollouts panel of the incident and problem pages
(changes.templatetags.patch_tags.rollouts_panel_html): nothing without a rollout; each rollout
linked by number, its title escaped, its status badge, and its planned start as a day in the
viewer's time zone when it has one."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from changes.choices import ChangeStatus
from changes.models import Change, ChangeTemplate
from changes.templatetags.patch_tags import rollouts_panel_html
from core.models import User
from tests.changes.patches.conftest import make_change

pytestmark = pytest.mark.django_db

LATE = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # another day east of UTC


def _rollouts(agent: User, template: ChangeTemplate) -> list[Change]:
    made = [
        make_change(
            agent,
            number="CHG-900100",
            template=template,
            title='Patch <b>"sshd"</b> & co',
            status=ChangeStatus.SCHEDULED,
            planned_start=LATE,
        ),
        make_change(
            agent,
            number="CHG-900101",
            template=template,
            title="Plain",
            status=ChangeStatus.BACKED_OUT,
            planned_start=None,
        ),
    ]
    return list(Change.objects.filter(pk__in=[c.pk for c in made]).order_by("pk"))


def test_no_rollout_shows_no_panel():
    assert rollouts_panel_html([]).strip() == ""


@pytest.mark.parametrize(("zone", "day"), [("UTC", "1 Mar 2026"), ("Asia/Kolkata", "2 Mar 2026")])
def test_each_rollout_is_linked_escaped_badged_and_dated(
    agent_l1: User, patch_template: ChangeTemplate, zone: str, day: str
) -> None:
    rollouts = _rollouts(agent_l1, patch_template)
    with timezone.override(zone):
        html = rollouts_panel_html(rollouts)
    assert html.count("<li>") == 2
    for change in rollouts:
        assert f'<a href="{reverse("changes:rollout", args=[change.number])}"' in html
    assert "Patch &lt;b&gt;&quot;sshd&quot;&lt;/b&gt; &amp; co" in html
    assert "<b>" not in html
    assert ChangeStatus.SCHEDULED.label in html and ChangeStatus.BACKED_OUT.label in html
    assert f"· {day}</li>" in html
    assert html.count(" · ") == 1  # the rollout without a planned start shows no date
