"""Control characters never reach a single-line field or an email header.

One rule (core.single_line) for every way in: the API and the pages get a field error and
nothing is stored, the admin's model forms too; alert payloads are normalised instead (a
monitoring system's alert must not be lost); an email about a row stored before the rule still
goes out with a one-line subject. (Alert payloads: tests/alerts/test_single_line_payloads.py.)
"""

import json

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from core.exceptions import ValidationFailed
from core.models import OutboxMessage, TimelineEvent, User
from core.outbox import outbox_enqueue
from core.single_line import (
    SINGLE_LINE_MESSAGE,
    has_control_characters,
    single_line_normalise,
    single_line_validate,
)
from core.tasks import send_email_task
from core.tickets.notify import notify_requester
from incidents import services as incident_services
from incidents.models import Incident

INJECTION = "Printer jams\r\nBcc: everyone@example.com"


@pytest.mark.parametrize(
    "value",
    ["a\r\nb", "a\nb", "a\rb", "a\x00b", "a\tb", "a\x1b[31mb", "a\x7fb", "a\x85b", "a\u2028b"],
)
def test_control_characters_are_refused(value: str) -> None:
    assert has_control_characters(value)
    with pytest.raises(Exception, match="one line"):
        single_line_validate(value)


@pytest.mark.parametrize("value", ["Printer jams", "Ünïcödé — “quoted” ✓", "100% & <b>", ""])
def test_ordinary_text_passes(value: str) -> None:
    assert not has_control_characters(value)
    single_line_validate(value)


def test_normalise_puts_runs_of_control_characters_on_one_line() -> None:
    assert single_line_normalise(" Disk\r\n\tfull\x07 on db1\n") == "Disk full on db1"


def _nothing_stored() -> bool:
    return not (
        Incident.objects.exists()
        or TimelineEvent.objects.exists()
        or OutboxMessage.objects.exists()
    )


def test_api_refuses_a_title_with_a_line_break(
    client_for, end_user: User, incident_policies
) -> None:
    response = client_for(end_user).post(
        "/api/v1/incidents/",
        json.dumps({"title": INJECTION, "description": "Line one\nline two"}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["fields"] == {"title": [SINGLE_LINE_MESSAGE]}
    assert _nothing_stored()


def test_api_keeps_newlines_in_the_description(
    client_for, end_user: User, incident_policies
) -> None:
    response = client_for(end_user).post(
        "/api/v1/incidents/",
        json.dumps({"title": "Printer jams", "description": "Line one\nline two"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Incident.objects.get().description == "Line one\nline two"


def test_report_form_refuses_a_title_with_a_line_break(client_for, end_user: User) -> None:
    response = client_for(end_user).post(
        reverse("incidents:portal_report"),
        {"title": INJECTION, "description": "Every page", "service": "", "effect": "me_slowed"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == [SINGLE_LINE_MESSAGE]
    assert _nothing_stored()


def test_a_service_called_directly_refuses_it_too(end_user: User) -> None:
    with pytest.raises(ValidationFailed) as refused, transaction.atomic():
        incident_services.incident_create(requester=end_user, title=INJECTION)
    assert refused.value.errors == {"title": SINGLE_LINE_MESSAGE}
    assert _nothing_stored()


def test_admin_form_shows_the_field_error(client_for, admin_user: User) -> None:
    response = client_for(admin_user).post(
        reverse("admin:core_service_add"), {"name": "Mail\nserver", "criticality": "medium"}
    )
    assert response.status_code == 200
    assert SINGLE_LINE_MESSAGE in response.content.decode()


def test_email_about_a_title_stored_before_the_rule_has_a_one_line_subject(
    end_user: User,
) -> None:
    incident = incident_services.incident_create(requester=end_user, title="Old row")
    Incident.objects.filter(pk=incident.pk).update(title=INJECTION)  # as stored before the rule
    incident.refresh_from_db()
    OutboxMessage.objects.all().delete()
    notify_requester(
        incident, subject=f"Update: {incident.title}", body="Body\nkeeps lines", key="k"
    )
    row = OutboxMessage.objects.get(task_name="core.send_email")
    assert send_email_task(row.pk) == 1
    [sent] = mail.outbox
    assert sent.subject == f"[{incident.number}] Update: Printer jams Bcc: everyone@example.com"
    assert sent.body.startswith("Body\nkeeps lines")
    assert sent.bcc == []


def test_an_email_queued_with_a_line_break_in_its_subject_still_sends(end_user: User) -> None:
    outbox_enqueue(
        task_name="core.send_email",
        payload={"to": [end_user.email], "subject": "Hello\r\nBcc: x@example.com", "body": "b"},
        dedupe_key="queued-before-the-rule",
    )
    row = OutboxMessage.objects.get()
    assert send_email_task(row.pk) == 1
    assert [m.subject for m in mail.outbox] == ["Hello Bcc: x@example.com"]


def test_a_row_stored_before_the_rule_can_still_change_its_other_fields(end_user: User) -> None:
    incident = incident_services.incident_create(requester=end_user, title="Old row")
    Incident.objects.filter(pk=incident.pk).update(title=INJECTION)
    incident.refresh_from_db()
    incident_services.incident_accept(incident, actor=None)
    assert Incident.objects.get().status == "logged"
