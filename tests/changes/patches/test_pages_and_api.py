"""The patch pages and API: a rollout's page and forms, the exposure report (HTML, CSV, API)
and the panel incidents show."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from changes.models import Change, ChangeTemplate, PatchAdvisory, PatchTarget
from core.models import ConfigurationItem, User
from tests.changes.patches.conftest import make_change
from tests.factories import ConfigurationItemFactory, IncidentFactory
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

XZ = "CVE-2024-3094"


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _exposed(rollout: Change, servers: list[ConfigurationItem]) -> None:
    PatchAdvisory.objects.create(change=rollout, vendor_id="DSA-5660-1", cve_id=XZ)
    for ci in servers:
        PatchTarget.objects.create(
            change=rollout, configuration_item=ci, updated_at=rollout.created_at
        )


def test_exposure_page_csv_and_api_list_the_same_rows(
    agent_l1: User, rollout: Change, servers: list[ConfigurationItem]
) -> None:
    _exposed(rollout, servers)
    PatchTarget.objects.filter(configuration_item=servers[0]).update(status="done")
    page = _web(agent_l1).get("/agent/changes/patches/exposure/")
    assert page.status_code == 200
    assert page.content.decode().count(XZ) == 2
    csv = _web(agent_l1).get("/agent/changes/patches/exposure/", {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert b"".join(csv.streaming_content).decode().splitlines() == [
        "cve,configuration_item,service,rollout",
        f"{XZ},web-02,{servers[0].service.name},{rollout.number}",
        f"{XZ},web-03,{servers[0].service.name},{rollout.number}",
    ]
    listed = _api(agent_l1).get("/api/v1/reports/patch-exposure/", {"cve": XZ.lower()})
    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 2
    assert body["results"][0] == {
        "cve": XZ,
        "configuration_item": {"id": servers[1].pk, "name": "web-02"},
        "service": servers[0].service.name,
        "rollout": rollout.number,
    }
    refused = _api(agent_l1).get("/api/v1/reports/patch-exposure/", {"cve": "xz"})
    assert refused.status_code == 400


def test_exposure_page_queries_do_not_grow_with_rows(
    agent_l1: User, patch_template: ChangeTemplate, servers: list[ConfigurationItem]
) -> None:
    first = make_change(agent_l1, number="CHG-900101", template=patch_template)
    _exposed(first, servers[:1])
    client = _web(agent_l1)
    client.get("/agent/changes/patches/exposure/")
    with CaptureQueriesContext(connection) as few:
        client.get("/agent/changes/patches/exposure/")
    more = [ConfigurationItemFactory(service=servers[0].service) for _ in range(15)]
    second = make_change(agent_l1, number="CHG-900102", template=patch_template)
    _exposed(second, more)
    with CaptureQueriesContext(connection) as many:
        client.get("/agent/changes/patches/exposure/")
    assert len(many) == len(few)


def test_end_users_get_no_patch_pages(end_user: User, rollout: Change) -> None:
    assert _web(end_user).get("/agent/changes/patches/exposure/").status_code == 404
    assert _api(end_user).get("/api/v1/reports/patch-exposure/").status_code == 403
    assert _api(end_user).get(f"/api/v1/patch-rollouts/{rollout.number}/").status_code == 403


def test_api_writes_patches_targets_and_status(
    agent_l1: User, rollout: Change, servers: list[ConfigurationItem]
) -> None:
    client = _api(agent_l1)
    url = f"/api/v1/patch-rollouts/{rollout.number}/"
    shown = client.get(url)
    assert shown.status_code == 200
    etag = shown["ETag"]
    body = {"patches": [{"vendor_id": "DSA-5660-1", "cve_ids": [XZ.lower()]}]}
    saved = client.put(url + "patches/", body, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200, saved.content
    assert saved.json()["patches"] == [{"vendor_id": "DSA-5660-1", "cve_ids": [XZ]}]
    stale = client.put(url + "patches/", {"patches": []}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    bad = client.put(
        url + "patches/", {"patches": [{"vendor_id": "X", "cve_ids": ["nope"]}]}, format="json"
    )
    assert bad.status_code == 400
    assert PatchAdvisory.objects.filter(change=rollout).count() == 1
    added = client.post(
        url + "targets/", {"configuration_items": [ci.pk for ci in servers]}, format="json"
    )
    assert added.json()["progress"]["pending"] == 3
    done = client.post(
        url + "target-status/",
        {"configuration_item": servers[0].pk, "status": "done"},
        format="json",
    )
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert client.get(url).json()["progress"]["percent_done"] == 33


def test_a_change_that_is_not_a_rollout_is_not_found(agent_l1: User) -> None:
    plain = make_change(agent_l1, number="CHG-900201", template=None)
    assert _api(agent_l1).get(f"/api/v1/patch-rollouts/{plain.number}/").status_code == 404


def test_incident_and_problem_pages_show_the_rollouts_for_their_cve(
    agent_l1: User, rollout: Change, servers: list[ConfigurationItem]
) -> None:
    _exposed(rollout, servers)
    incident = IncidentFactory(title=f"Is the VPN hit by {XZ}?")
    problem = ProblemFactory(title="sshd backdoor", configuration_item=servers[1])
    for path in (f"/agent/incidents/{incident.number}/", f"/agent/problems/{problem.number}/"):
        page = _web(agent_l1).get(path)
        assert page.status_code == 200
        assert f"/agent/changes/{rollout.number}/rollout/" in page.content.decode(), path


def test_the_rollout_page_records_patches_items_and_a_status(
    agent_l1: User, rollout: Change, servers: list[ConfigurationItem]
) -> None:
    client = _web(agent_l1)
    url = f"/agent/changes/{rollout.number}/rollout/"
    assert client.get(url).status_code == 200
    posted = client.post(
        url + "patches/", {"advisories": f"DSA-5660-1: {XZ}", "version": rollout.version}
    )
    assert posted.status_code == 302
    service = servers[0].service
    client.post(url + "targets/", {"service": service.pk, "names": "web-01, web-02"})
    refused = client.post(url + "targets/", {"service": service.pk, "names": "db-99"}, follow=True)
    assert "Not an active item of" in refused.content.decode()
    client.post(url + f"targets/{servers[0].pk}/", {"status": "done", "note": ""})
    page = client.get(url).content.decode()
    assert "1 done, 1 pending" in page
    assert XZ in page
    change_page = client.get(f"/agent/changes/{rollout.number}/").content.decode()
    assert "Patch rollout" in change_page and url in change_page


def test_a_rollout_from_a_patch_template_opens_on_its_rollout_page(
    agent_l1: User, patch_template: ChangeTemplate
) -> None:
    response = _web(agent_l1).post(
        "/agent/changes/new/?standard=1", {"template": patch_template.pk}
    )
    change = Change.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/agent/changes/{change.number}/rollout/"
