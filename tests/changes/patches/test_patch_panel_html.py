"""The Patch rollouts panel of the incident and problem pages, written in Python
(changes.templatetags.patch_tags.rollouts_panel_html), is the markup
changes/patches/_ticket_panel.html writes: no rollout, one, several, titles to escape, with and
without a planned start, every status, in several time zones."""

from datetime import UTC, datetime

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from changes.choices import ChangeStatus
from changes.models import Change, ChangeTemplate
from changes.templatetags.patch_tags import rollouts_panel_html
from core.models import User
from tests.changes.patches.conftest import make_change

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_the_panel_is_the_templates_markup(
    agent_l1: User, patch_template: ChangeTemplate, zone: str
) -> None:
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # another day east and west of UTC
    changes = [
        make_change(
            agent_l1,
            number=f"CHG-9001{n:02d}",
            template=patch_template,
            title=title,
            status=status,
            planned_start=late if n % 2 else None,
        )
        for n, (title, status) in enumerate(
            zip(
                ['Patch <b>"sshd"</b> & co', "Plain", "Ünïcode - title", "x'y"],
                [
                    ChangeStatus.SCHEDULED,
                    ChangeStatus.IMPLEMENTING,
                    ChangeStatus.DRAFT,
                    ChangeStatus.BACKED_OUT,
                ],
                strict=True,
            )
        )
    ]
    shown = list(Change.objects.filter(pk__in=[c.pk for c in changes]).order_by("pk"))
    with timezone.override(zone):
        for rollouts in ([], shown[:1], shown):
            expected = render_to_string(
                "changes/patches/_ticket_panel.html", {"rollouts": rollouts}
            )
            assert rollouts_panel_html(rollouts) == expected
