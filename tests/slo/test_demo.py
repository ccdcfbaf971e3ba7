"""The demo's objectives (demo/slo.py): computed from the demo's own outages, one service with
its budget spent (so the change rule shows), one part used, one healthy, a response objective;
seeding again adds nothing."""

import pytest

from slo.models import AlertEpisode, Objective
from slo.selectors import exhausted_service_ids, objective_statuses
from tests.demo.seeding import seed

pytestmark = pytest.mark.django_db


def test_the_demo_shows_each_budget_state_and_seeding_again_adds_nothing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    output = seed(incidents=300)
    assert "Service level objectives: 4;" in output
    statuses = objective_statuses(list(Objective.objects.select_related("service")))
    availability = [s for s in statuses if s.objective.kind == "availability"]
    assert len(availability) == 3
    left = sorted(s.budget.remaining_fraction for s in availability)
    assert left[0] < 0  # spent
    assert 0 < left[1] < 1  # partly used
    assert left[2] > 0.5  # healthy
    assert any(s.objective.kind == "response" for s in statuses)
    spent = next(s for s in availability if s.budget.is_exhausted).objective.service_id
    every = Objective.objects.values_list("service_id", flat=True)
    assert exhausted_service_ids(every) == {spent}
    # No page at seeding: the chosen services had no outage in the last 6 hours.
    assert not AlertEpisode.objects.exclude(rule="exhausted").filter(rule__startswith="page")
    before = Objective.objects.count(), AlertEpisode.objects.count()
    seed(incidents=0)
    assert (Objective.objects.count(), AlertEpisode.objects.count()) == before
