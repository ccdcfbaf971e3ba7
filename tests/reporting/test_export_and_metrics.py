"""The streamed CSV export and the Prometheus /metrics endpoint."""

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from core.api.tokens import api_token_create
from reporting import export
from reporting.export import HEADER, csv_lines
from reporting.filters import ReportFilter
from tests.reporting.conftest import NOW

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-03-02", "end": "2026-03-10"}


def bearer(user, scopes=("read",)):
    secret = api_token_create(user=user, name="prometheus", scopes=list(scopes)).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def read_csv(response):
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_is_streamed_one_row_per_ticket_with_metric_inputs(desk, client_for, manager):
    response = client_for(manager).get(reverse("reporting:export_csv"), PERIOD)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="incidents-2026-03-02-to-2026-03-11.csv"' in response["Content-Disposition"]
    rows = {row["number"]: row for row in read_csv(response)}
    assert len(rows) == 6
    b = rows[desk.incidents["B"].number]
    assert b["seconds_to_resolve"] == "86400"  # 28 h minus the 4 h hold
    assert b["business_seconds_to_resolve"] == "36000"
    assert b["paused_seconds"] == "14400"
    assert b["seconds_to_acknowledge"] == "5400"
    assert (b["created_at"], b["resolved_at"]) == ("2026-03-02T08:00:00Z", "2026-03-03T12:00:00Z")
    assert (b["response_sla"], b["resolution_sla"]) == ("breached", "breached")
    assert (b["tier"], b["changed_tier"]) == ("L2", "yes")
    d = rows[desk.incidents["D"].number]
    # D's response clock is past due and unswept: breached, as compliance counts it.
    assert (d["resolved_at"], d["seconds_to_resolve"], d["response_sla"]) == ("", "", "breached")
    e = rows[desk.incidents["E"].number]
    assert (e["response_sla"], e["resolution_sla"]) == ("cancelled", "cancelled")
    assert rows[desk.incidents["F"].number]["reopen_count"] == "1"


def test_csv_has_every_row_with_debug_on(desk, client_for, manager, settings):
    """`make run` runs with DEBUG on, where Django logs each statement through `sql % params`:
    a `%` in the export's SQL cut the download off after its header."""
    settings.DEBUG = True
    rows = {
        row["number"]: row
        for row in read_csv(client_for(manager).get(reverse("reporting:export_csv"), PERIOD))
    }
    assert len(rows) == 6
    b = rows[desk.incidents["B"].number]
    assert (b["created_at"], b["resolved_at"]) == ("2026-03-02T08:00:00Z", "2026-03-03T12:00:00Z")


def test_csv_reads_the_rows_in_chunks_not_all_at_once(desk, monkeypatch):
    chunks = []
    original = export.fetch_chunks

    def spy(sql, params, chunk_size):
        for rows in original(sql, params, chunk_size):
            chunks.append(len(rows))
            yield rows

    monkeypatch.setattr(export, "fetch_chunks", spy)
    lines = csv_lines(ReportFilter.from_params(PERIOD, now=NOW), chunk_size=4)
    assert next(lines).startswith(",".join(HEADER[:3]))
    assert chunks == []  # nothing read before the first row is asked for
    next(lines)
    assert chunks == [4]
    assert len(list(lines)) == 5
    assert chunks == [4, 2]


def test_csv_formula_like_names_are_neutralised(desk, client_for, manager):
    desk.service.name = "=HYPERLINK(1)"
    desk.service.save()
    rows = read_csv(client_for(manager).get(reverse("reporting:export_csv"), PERIOD))
    assert {row["service"] for row in rows} == {"'=HYPERLINK(1)"}


def test_csv_for_requests_and_empty_periods(client, manager, client_for):
    response = client_for(manager).get(
        reverse("reporting:export_csv"), {"kind": "request", "start": "2025-01-01"}
    )
    assert read_csv(response) == []


def test_csv_access_and_bad_parameters(desk, client, client_for, agent_l1, manager):
    url = reverse("reporting:export_csv")
    assert client.get(url).status_code == 401
    assert client_for(agent_l1).get(url).status_code == 403
    assert client.get(url, PERIOD, **bearer(manager)).status_code == 200
    bad = client_for(manager).get(url, {"priority": "9"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"priority": ["Choose one of: 1, 2, 3, 4, 5."]}


def test_metrics_requires_a_read_token_of_a_manager(client, manager, agent_l1):
    url = reverse("reporting:metrics")
    refused = client.get(url)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'
    assert client.get(url, HTTP_AUTHORIZATION="Bearer sdk_nope").status_code == 401
    assert client.get(url, **bearer(agent_l1)).status_code == 403
    assert client.get(url, **bearer(manager, scopes=("alerts",))).status_code == 403
    assert client.get(url, **bearer(manager)).status_code == 200


def test_metrics_exposition(desk, client, manager):
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("reporting:metrics"), **bearer(manager))
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = response.content.decode()
    samples = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert (
        samples['servicedesk_open_tickets{kind="incident",status="identified",priority="P4"}']
        == "1.0"
    )
    assert (
        samples['servicedesk_open_tickets{kind="incident",status="logged",priority="P1"}'] == "0.0"
    )
    # D: its response clock (1 business hour from Mon 09:00) is long overdue
    assert samples['servicedesk_sla_overdue_tickets{kind="incident",priority="P4"}'] == "1.0"
    # last 7 days = [03-03 12:00, 03-10 12:00): A, C, F met; B's breach is dated at its due
    # time (03-03 10:00 UTC), before the window; D's (due 03-09 17:00, never swept) is in it
    assert samples['servicedesk_sla_met_7d{kind="incident",metric="resolution"}'] == "3.0"
    assert samples['servicedesk_sla_breached_7d{kind="incident",metric="resolution"}'] == "1.0"
    assert (
        samples['servicedesk_sla_compliance_ratio_7d{kind="incident",metric="resolution"}']
        == "0.75"
    )
    assert samples['servicedesk_mttr_7d_seconds{kind="incident",basis="wall"}'] == "102600.0"
    assert samples['servicedesk_mttr_7d_seconds{kind="request",basis="wall"}'] == "NaN"
    # resolved in the window: A, B, C, F (B and F at 12:00 sharp); F was reopened, B escalated
    assert samples['servicedesk_reopen_rate_7d{kind="incident"}'] == "0.25"
    assert samples['servicedesk_first_contact_rate_7d{kind="incident"}'] == "0.75"
    assert samples['servicedesk_first_contact_rate_7d{kind="request"}'] == "NaN"
    assert 'servicedesk_reopen_rate_7d{kind="request"}' not in samples  # requests never reopen
    assert "# TYPE servicedesk_mtta_7d_seconds gauge" in text
