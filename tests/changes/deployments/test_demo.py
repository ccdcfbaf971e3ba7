"""The demo's deployments (demo/deployments.py): about 60 over eight weeks across four services,
with commit times; four followed by an incident recorded as caused by them and restored; the
DORA figures see them; seeding again adds nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes.choices import ChangeStatus
from changes.dora import dora_report
from changes.models import ChangeIncident, Deployment
from demo.deployments import seed_deployments_demo
from tests.demo.seeding import seed

pytestmark = pytest.mark.django_db


def test_the_demo_deployments_and_their_failures():
    out = seed(incidents=300)
    assert "Deployments: 60 from CI/CD (60 added), 4 followed by an incident" in out
    deployments = Deployment.objects.select_related("change", "service")
    assert deployments.count() == 60
    assert len({d.service.name for d in deployments}) == 4
    now = timezone.now()
    assert all(now - timedelta(weeks=8) <= d.deployed_at <= now for d in deployments)
    assert all(d.committed_at is not None and d.committed_at < d.deployed_at for d in deployments)
    assert all(d.change.status == ChangeStatus.IMPLEMENTED for d in deployments)
    # (The changes demo links one more incident, to a change that is not a deployment.)
    links = ChangeIncident.objects.filter(change__deployment__isnull=False).select_related(
        "incident", "change__deployment"
    )
    assert links.count() == 4
    for link in links:
        incident = link.incident
        assert incident.service_id == link.change.service_id
        assert link.change.deployment.deployed_at < incident.identified_at
        assert incident.service_restored_at or incident.resolved_at
    report = dora_report(start=now - timedelta(weeks=8, days=1), end=now)
    assert report.overall.deployments == 60
    assert report.overall.failed >= 4 and report.overall.restore_count >= 4
    assert report.overall.lead_time_count == 60


def test_seeding_again_adds_nothing():
    seed(incidents=50)
    before = Deployment.objects.count()
    assert seed_deployments_demo()["added"] == 0
    assert Deployment.objects.count() == before
