"""The counting benchmarks/faults.py relies on to call something lost or duplicated: emails read
back from the file-based backend (several per file when a batch shares one connection), same-id
webhook redeliveries, and the request statistics that keep a database outage's 503s apart."""

import sys
from pathlib import Path

import pytest
from django.core.mail import EmailMessage, get_connection

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from faults_cases import _rerun_delays
from faults_data import emails_sent
from faults_load import LoadResult, Probe, Request
from faults_report import Row, fill_from_load, percentile


def _send(folder: Path, *subjects: str) -> None:
    """One connection (one file) for all `subjects`, as the outbox's email batches do."""
    connection = get_connection(
        "django.core.mail.backends.filebased.EmailBackend", file_path=str(folder)
    )
    connection.send_messages(
        [
            EmailMessage(subject, "Body\n-----\nwith a dashed line", to=["a@example.com"])
            for subject in subjects
        ]
    )


def test_emails_are_counted_per_message_across_files_and_a_repeat_shows(tmp_path):
    _send(
        tmp_path, "We received your report: fault r1 0-1", "We received your report: fault r1 0-2"
    )
    _send(tmp_path, "We received your report: fault r1 0-1")
    sent = emails_sent(tmp_path)
    assert sent == {
        ("a@example.com", "We received your report: fault r1 0-1"): 2,
        ("a@example.com", "We received your report: fault r1 0-2"): 1,
    }


def test_a_redelivery_is_timed_from_the_first_post_of_its_id():
    received = [(10.0, "d1", "e1"), (12.0, "d2", "e2"), (56.0, "d1", "e1"), (70.0, "d1", "e1")]
    assert _rerun_delays(received) == [46.0, 60.0]


def test_expected_503s_are_kept_apart_from_errors_and_first_success_counts_from_the_return():
    load = LoadResult(
        requests=[
            Request(0.0, 0.1, 201),
            Request(1.0, 1.02, 503),
            Request(2.0, 2.03, 503),
            Request(3.0, 3.5, 0),  # a broken connection is an error, 503 or not
            Request(4.0, 4.4, 201),
        ],
        probes=[Probe(1.5, 503, "unavailable", 0.01), Probe(5.0, 200, "ok", 0.02)],
    )
    row = Row("R3")
    fill_from_load(row, load, fault_at=1.0, returned=4.0, expect_503=True)
    assert (row.requests, row.errors, row.expected_503) == (5, 1, 2)
    assert row.slowest_503_s == pytest.approx(0.03)
    assert row.first_success_s == pytest.approx(0.4)
    assert row.health == "unavailable (max 0.01 s) → ok"

    unexpected = Row("R1")
    fill_from_load(unexpected, load, fault_at=1.0, returned=4.0, expect_503=False)
    assert (unexpected.errors, unexpected.expected_503) == (3, 0)


def test_percentile_is_nearest_rank():
    assert percentile([0.1 * n for n in range(1, 101)], 0.99) == pytest.approx(9.9)
    assert percentile([1.0], 0.99) == 1.0
