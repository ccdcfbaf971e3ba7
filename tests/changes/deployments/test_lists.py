"""The deployments list, as a page and in the API: filters (one FilterSet for both), newest
first, and a number of queries that does not grow with the rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.changes.deployments.conftest import URL
from tests.changes.deployments.factories import deploy
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
PAGE = "/agent/changes/deployments/"


def _deploy_many(actor, service, count):
    now = timezone.now()
    for n in range(count):
        deploy(actor, service, now - timedelta(hours=n + 1), version=f"1.{n}", lead=timedelta(1))


def _queries(client, url):
    client.get(url)  # warm: the session and per-process caches are read once
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(context.captured_queries)


def test_the_page_lists_newest_first_with_version_commit_and_change(
    client_for, agent_l1, ci_user, service
):
    now = timezone.now()
    deploy(ci_user, service, now - timedelta(hours=2), version="1.0.0", commit_sha="abcdef1234")
    newest = deploy(
        ci_user,
        service,
        now - timedelta(hours=1),
        version="1.1.0",
        url="https://ci.example.com/runs/9",
    )
    page = client_for(agent_l1).get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("1.1.0") < html.index("1.0.0")
    assert newest.change.number in html and "https://ci.example.com/runs/9" in html
    assert "abcdef1234" in html


def test_the_page_is_for_agents_only(client_for, end_user):
    assert client_for(end_user).get(PAGE).status_code == 404


def test_filters_narrow_the_page_and_the_api_alike(client_for, agent_l1, ci_user, client_with):
    payments, search = ServiceFactory(name="Payments"), ServiceFactory(name="Search")
    now = timezone.now()
    deploy(ci_user, payments, now - timedelta(hours=1), version="9.9.9")
    deploy(ci_user, search, now - timedelta(hours=1), version="7.7.7")
    deploy(ci_user, search, now - timedelta(hours=2), version="7.7.6", environment="staging")
    html = client_for(agent_l1).get(f"{PAGE}?service={search.pk}").content.decode()
    assert "7.7.7" in html and "9.9.9" not in html
    api = client_with(agent_l1, ("read",))
    rows = api.get(f"{URL}?service={search.pk}&environment=staging").json()["results"]
    assert [row["version"] for row in rows] == ["7.7.6"]
    since = (now - timedelta(minutes=90)).isoformat().replace("+00:00", "Z")
    rows = api.get(URL, {"since": since}).json()["results"]
    assert sorted(row["version"] for row in rows) == ["7.7.7", "9.9.9"]


def test_a_bad_filter_is_a_400_on_the_page(client_for, agent_l1):
    response = client_for(agent_l1).get(f"{PAGE}?service=999999")
    assert response.status_code == 400


def test_the_page_runs_the_same_queries_for_1_and_20_rows(client_for, agent_l1, ci_user, service):
    client = client_for(agent_l1)
    _deploy_many(ci_user, service, 1)
    one = _queries(client, PAGE)
    _deploy_many(ci_user, ServiceFactory(name="Other"), 19)
    assert _queries(client, PAGE) == one


def test_the_api_list_runs_the_same_queries_for_1_and_20_rows(
    client_with, agent_l1, ci_user, service
):
    client = client_with(agent_l1, ("read",))
    _deploy_many(ci_user, service, 1)
    one = _queries(client, URL)
    _deploy_many(ci_user, ServiceFactory(name="Other"), 19)
    assert _queries(client, URL) == one
