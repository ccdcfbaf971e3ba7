"""The queue's 15-second refresh costs almost nothing when nothing changed (issue 18): 304 for
the page's own ETag, only the changed rows when the page lists the same incidents in the same
order, every row otherwise; and the tab counts stop at LIST_COUNT_CAP."""

import re
from datetime import timedelta

import pytest
import time_machine

from incidents.models import Incident
from tests.agent.conftest import T0
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

URL = "/agent/incidents/"
HTMX = {"HX-Request": "true"}
UNCHANGED_BUDGET = 5 * 1024


@pytest.fixture
def queue(client_for, agent_l1, make_incident):
    """An agent's client at T0 + 1 h over three open incidents, and the page it loaded."""
    incidents = [make_incident(f"Printer {n} offline") for n in range(3)]
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        client = client_for(agent_l1)
        page = client.get(URL)
        yield client, page, incidents


def _shown(body: str) -> str:
    """X-Queue-Rows as static/js/queue.js sends it: each row's number and digest, in order."""
    rows = re.findall(r'<tr id="row-[^"]+"[^>]*data-number="([^"]+)" data-digest="([^"]+)"', body)
    return ",".join(f"{number}:{digest}" for number, digest in rows)


def test_an_unchanged_queue_answers_304_with_no_body(queue):
    client, page, _ = queue
    etag = page.headers["ETag"]
    assert f'data-etag="{etag.replace(chr(34), "&quot;")}"' in page.content.decode()
    refresh = client.get(URL, headers={**HTMX, "If-None-Match": etag})
    assert refresh.status_code == 304
    assert refresh.headers["ETag"] == etag
    assert len(refresh.content) <= UNCHANGED_BUDGET
    assert refresh.content == b""


def test_a_changed_row_comes_alone_out_of_band(queue):
    client, page, incidents = queue
    body = page.content.decode()
    Incident.objects.filter(pk=incidents[1].pk).update(title="Printer 1 on fire", version=9)
    refresh = client.get(
        URL, headers={**HTMX, "If-None-Match": page.headers["ETag"], "X-Queue-Rows": _shown(body)}
    )
    assert refresh.status_code == 200
    assert refresh.headers["HX-Reswap"] == "none"
    assert refresh.headers["ETag"] != page.headers["ETag"]
    text = refresh.content.decode()
    assert text.count("<tr ") == 1
    assert f'<tr hx-swap-oob="true" id="row-{incidents[1].number}"' in text
    assert "Printer 1 on fire" in text
    assert 'id="queue-tabs"' in text and 'id="result-count"' in text
    assert len(refresh.content) <= UNCHANGED_BUDGET


def test_the_rows_own_fingerprints_make_an_empty_diff(queue):
    """A page whose ETag is stale (say, it came from another tab) but whose rows are current
    gets the tab bar and the summary, and no row."""
    client, page, _ = queue
    refresh = client.get(
        URL,
        headers={**HTMX, "If-None-Match": '"stale"', "X-Queue-Rows": _shown(page.content.decode())},
    )
    assert refresh.status_code == 200
    assert refresh.content.decode().count("<tr ") == 0
    assert len(refresh.content) <= UNCHANGED_BUDGET


def test_a_new_incident_in_the_list_sends_every_row(queue, make_incident):
    client, page, incidents = queue
    newcomer = make_incident("Scanner jammed")
    refresh = client.get(
        URL,
        headers={
            **HTMX,
            "If-None-Match": page.headers["ETag"],
            "X-Queue-Rows": _shown(page.content.decode()),
        },
    )
    text = refresh.content.decode()
    assert refresh.status_code == 200
    assert "HX-Reswap" not in refresh.headers
    assert text.startswith("<tbody") or '<tbody id="incident-rows"' in text
    for incident in [*incidents, newcomer]:
        assert f'id="row-{incident.number}"' in text


def test_without_the_scripts_headers_the_refresh_is_the_whole_partial(queue):
    client, _, incidents = queue
    refresh = client.get(URL, headers=HTMX)
    assert refresh.status_code == 200
    assert '<tbody id="incident-rows"' in refresh.content.decode()
    assert refresh.content.decode().count("<tr ") == len(incidents)


def test_a_claim_forms_token_does_not_count_as_a_change(queue):
    """Django masks the CSRF token afresh per request; the rows' fingerprints leave it out."""
    client, page, _ = queue
    again = client.get(URL)
    assert _shown(again.content.decode()) == _shown(page.content.decode())
    assert again.headers["ETag"] == page.headers["ETag"]


def test_tab_counts_stop_at_the_cap(client_for, agent_l1, settings):
    settings.LIST_COUNT_CAP = 2
    IncidentFactory.create_batch(3)
    # Filtered, the tabs are counted in a window of cap + 1 incidents: past the cap every tab
    # says "at least".
    body = client_for(agent_l1).get(f"{URL}?impact=medium").content.decode()
    assert re.search(r'id="tab-all"[^>]*>All <span class="tab-count">2\+</span>', body)
    assert re.search(r'id="tab-mine"[^>]*>Mine <span class="tab-count">0\+</span>', body)
    assert re.search(r'id="result-count"[^>]*>2\+ open incidents', body)
    # As it opens, the queue counts from the open incidents' tally: exact past the cap.
    body = client_for(agent_l1).get(URL).content.decode()
    assert re.search(r'id="tab-all"[^>]*>All <span class="tab-count">3</span>', body)
    assert re.search(r'id="tab-mine"[^>]*>Mine <span class="tab-count">0</span>', body)
    assert re.search(r'id="result-count"[^>]*>3 open incidents', body)


def test_tab_counts_under_the_cap_are_exact(client_for, agent_l1, settings):
    settings.LIST_COUNT_CAP = 3
    IncidentFactory.create_batch(2)
    IncidentFactory(assignee=agent_l1)
    body = client_for(agent_l1).get(URL).content.decode()
    assert re.search(r'id="tab-all"[^>]*>All <span class="tab-count">3</span>', body)
    assert re.search(r'id="tab-mine"[^>]*>Mine <span class="tab-count">1</span>', body)
    assert re.search(r'id="result-count"[^>]*>3 open incidents', body)
