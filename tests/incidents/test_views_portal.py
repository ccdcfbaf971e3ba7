"""The end-user portal: pages per role, scope, the report form, replies, confirm/reopen."""

import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.exceptions import ValidationFailed
from core.models import Attachment, Comment
from core.services import attachment_add
from incidents import services
from incidents.choices import Category, Impact, IncidentStatus, ResolutionCode, Urgency
from incidents.forms import EFFECTS
from incidents.models import Incident
from incidents.priority import priority_for
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def incident(end_user, service):
    return services.incident_create(
        requester=end_user,
        title="Mail is down",
        description="**Nothing** sends",
        impact=Impact.MEDIUM,
        urgency=Urgency.MEDIUM,
        service=service,
    )


@pytest.fixture
def resolved(incident, agent_l1, service):
    services.incident_accept(incident, actor=agent_l1)
    services.incident_classify(
        incident,
        actor=agent_l1,
        category=Category.SOFTWARE,
        impact=Impact.MEDIUM,
        urgency=Urgency.MEDIUM,
        service=service,
    )
    return services.incident_resolve(
        incident,
        actor=agent_l1,
        resolution_code=ResolutionCode.FIXED,
        resolution_notes="Restarted the mail relay.",
    )


def _report_data(**overrides):
    data = {
        "title": "Printer jams",
        "description": "Every page",
        "service": "",
        "effect": "me_slowed",
    }
    data.update(overrides)
    return data


# --- Pages and scope ------------------------------------------------------------------------


def test_portal_pages_render_for_end_user(client_for, end_user, incident):
    client = client_for(end_user)
    for url in (
        reverse("incidents:portal_list"),
        reverse("incidents:portal_report"),
        reverse("incidents:portal_detail", args=[incident.number]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    mine = client.get(reverse("incidents:portal_list"))
    assert incident.number in mine.content.decode()


def test_empty_states_say_what_to_do(client_for, end_user):
    client = client_for(end_user)
    body = client.get(reverse("incidents:portal_list")).content.decode()
    assert "Report a problem" in body
    assert reverse("incidents:portal_report") in body


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("incidents:portal_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_other_users_incident_is_404(client_for, other_end_user, incident):
    client = client_for(other_end_user)
    assert client.get(reverse("incidents:portal_detail", args=[incident.number])).status_code == 404
    response = client.post(
        reverse("incidents:portal_reply", args=[incident.number]), {"body": "hello"}
    )
    assert response.status_code == 404
    assert not Comment.objects.exists()
    assert incident.number not in client.get(reverse("incidents:portal_list")).content.decode()


def test_agent_sees_only_own_incidents_in_portal(client_for, agent_l1, incident):
    # The portal is the requester's view; agents work others' incidents in the agent workspace.
    client = client_for(agent_l1)
    assert client.get(reverse("incidents:portal_detail", args=[incident.number])).status_code == 404
    assert incident.number not in client.get(reverse("incidents:portal_list")).content.decode()


def test_unknown_number_is_404(client_for, end_user):
    response = client_for(end_user).get(reverse("incidents:portal_detail", args=["INC-999999"]))
    assert response.status_code == 404


def test_end_user_never_sees_internal_notes_or_files(client_for, end_user, agent_l1, incident):
    services.incident_comment(
        incident, author=agent_l1, body="SECRET-NOTE about the user", is_internal=True
    )
    services.incident_comment(
        incident, author=agent_l1, body="PUBLIC-REPLY here", is_internal=False
    )
    internal = attachment_add(
        ticket=incident,
        uploaded_by=agent_l1,
        upload=SimpleUploadedFile("secret-dump.log", b"x"),
        is_internal=True,
    )
    body = (
        client_for(end_user)
        .get(reverse("incidents:portal_detail", args=[incident.number]))
        .content.decode()
    )
    assert "PUBLIC-REPLY here" in body
    assert "SECRET-NOTE" not in body
    assert "secret-dump.log" not in body
    assert internal.token not in body
    assert "<strong>Nothing</strong> sends" in body  # description rendered as Markdown


def test_description_markdown_is_sanitised(client_for, end_user):
    incident = services.incident_create(
        requester=end_user,
        title="XSS",
        description="<script>alert(1)</script> [x](javascript:alert(1))",
    )
    body = (
        client_for(end_user)
        .get(reverse("incidents:portal_detail", args=[incident.number]))
        .content.decode()
    )
    assert "<script>alert(1)" not in body
    assert "javascript:alert" not in body


# --- Report form ----------------------------------------------------------------------------


@pytest.mark.parametrize("effect", EFFECTS, ids=lambda e: e.key)
def test_report_maps_effect_to_impact_and_urgency(client_for, end_user, service, effect):
    response = client_for(end_user).post(
        reverse("incidents:portal_report"),
        _report_data(effect=effect.key, service=str(service.pk)),
    )
    incident = Incident.objects.get()
    assert (incident.impact, incident.urgency) == (effect.impact, effect.urgency)
    assert incident.priority == priority_for(effect.impact, effect.urgency)
    assert incident.requester == end_user
    assert incident.service == service
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:portal_detail", args=[incident.number])
    assert any(f"{incident.number} received" in m for m in _messages(response))


def test_whole_service_stopped_is_p1(client_for, end_user):
    client_for(end_user).post(
        reverse("incidents:portal_report"), _report_data(effect="many_stopped")
    )
    incident = Incident.objects.get()
    assert (incident.impact, incident.urgency, incident.priority) == (Impact.HIGH, Urgency.HIGH, 1)


def test_report_with_attachment_stores_both(client_for, end_user, settings):
    upload = SimpleUploadedFile("error.png", b"\x89PNG\r\n", content_type="image/png")
    client_for(end_user).post(
        reverse("incidents:portal_report"), {**_report_data(), "attachment": upload}
    )
    incident = Incident.objects.get()
    attachment = Attachment.objects.get()
    assert attachment.ticket_id == incident.pk
    assert not attachment.is_internal
    assert len(_media_files(settings)) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"effect": ""}, "effect"),
        ({"effect": "not-an-effect"}, "effect"),
    ],
)
def test_report_invalid_input_stores_nothing(client_for, end_user, data, field):
    response = client_for(end_user).post(reverse("incidents:portal_report"), _report_data(**data))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("page.html", b"<script>alert(1)</script>", "text/html"),
        ("logo.svg", b"<svg onload='alert(1)'/>", "image/svg+xml"),
        ("logo.png", b"<svg onload='alert(1)'/>", "image/svg+xml"),  # lying extension
        ("tool.exe", b"MZ", "application/octet-stream"),
    ],
)
def test_report_refuses_bad_attachment_types(
    client_for, end_user, settings, name, content, content_type
):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    response = client_for(end_user).post(
        reverse("incidents:portal_report"), {**_report_data(), "attachment": upload}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["attachment"]
    assert not Incident.objects.exists()
    assert not Attachment.objects.exists()
    assert _media_files(settings) == []


def test_report_refuses_too_large_attachment(client_for, end_user, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.txt", b"x" * 2048, content_type="text/plain")
    response = client_for(end_user).post(
        reverse("incidents:portal_report"), {**_report_data(), "attachment": upload}
    )
    assert "larger than" in " ".join(response.context["form"].errors["attachment"])
    assert not Incident.objects.exists()
    assert _media_files(settings) == []


def test_attachment_refused_by_the_service_rolls_back_the_incident(
    client_for, end_user, monkeypatch
):
    def refuse(**kwargs):
        raise ValidationFailed({"file": "Refused by the scanner."})

    monkeypatch.setattr("incidents.views.portal.attachment_add", refuse)
    upload = SimpleUploadedFile("ok.txt", b"hello", content_type="text/plain")
    response = client_for(end_user).post(
        reverse("incidents:portal_report"), {**_report_data(), "attachment": upload}
    )
    assert response.context["form"].errors["attachment"] == ["Refused by the scanner."]
    assert not Incident.objects.exists()


# --- Replies and files ----------------------------------------------------------------------


def test_reply_adds_public_comment(client_for, end_user, incident):
    response = client_for(end_user).post(
        reverse("incidents:portal_reply", args=[incident.number]), {"body": "Still down here"}
    )
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.body == "Still down here"
    assert not comment.is_internal


def test_empty_reply_shows_field_error(client_for, end_user, incident):
    response = client_for(end_user).post(
        reverse("incidents:portal_reply", args=[incident.number]), {"body": ""}
    )
    assert response.status_code == 200
    assert response.context["reply_form"].errors["body"]
    assert not Comment.objects.exists()


def test_reply_on_closed_incident_is_refused(client_for, end_user, resolved):
    services.incident_close(resolved, actor=end_user)
    response = client_for(end_user).post(
        reverse("incidents:portal_reply", args=[resolved.number]), {"body": "hello?"}
    )
    assert response.status_code == 302
    assert not Comment.objects.exists()
    assert any("report a new incident" in m for m in _messages(response))


def test_requester_adds_file(client_for, end_user, incident):
    upload = SimpleUploadedFile("trace.txt", b"trace", content_type="text/plain")
    client_for(end_user).post(
        reverse("incidents:portal_attach", args=[incident.number]), {"file": upload}
    )
    attachment = Attachment.objects.get()
    assert attachment.original_name == "trace.txt"
    assert not attachment.is_internal


def test_requester_file_of_bad_type_is_refused(client_for, end_user, incident, settings):
    upload = SimpleUploadedFile("x.svg", b"<svg/>", content_type="image/svg+xml")
    response = client_for(end_user).post(
        reverse("incidents:portal_attach", args=[incident.number]), {"file": upload}
    )
    assert response.context["attach_form"].errors["file"]
    assert not Attachment.objects.exists()
    assert _media_files(settings) == []


# --- Confirm / reopen -----------------------------------------------------------------------


def test_confirm_and_reopen_only_when_resolved(client_for, end_user, incident):
    body = (
        client_for(end_user)
        .get(reverse("incidents:portal_detail", args=[incident.number]))
        .content.decode()
    )
    assert "Confirm it&#x27;s fixed" not in body and "Confirm it's fixed" not in body


def test_resolved_page_offers_both_choices(client_for, end_user, resolved):
    body = (
        client_for(end_user)
        .get(reverse("incidents:portal_detail", args=[resolved.number]))
        .content.decode()
    )
    assert "Confirm it" in body
    assert "still broken" in body
    assert "Restarted the mail relay." in body


def test_confirm_fixed_closes(client_for, end_user, resolved):
    response = client_for(end_user).post(
        reverse("incidents:portal_action", args=[resolved.number, "close"]),
        {"close-version": resolved.version},
    )
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert resolved.status == IncidentStatus.CLOSED


def test_still_broken_reopens_with_reason(client_for, end_user, resolved):
    client_for(end_user).post(
        reverse("incidents:portal_action", args=[resolved.number, "reopen"]),
        {"reopen-version": resolved.version, "reopen-reason": "Mail bounces again"},
    )
    resolved.refresh_from_db()
    assert resolved.status == IncidentStatus.CLASSIFIED
    assert resolved.reopen_count == 1


def test_reopen_without_reason_is_a_field_error(client_for, end_user, resolved):
    response = client_for(end_user).post(
        reverse("incidents:portal_action", args=[resolved.number, "reopen"]),
        {"reopen-version": resolved.version, "reopen-reason": ""},
    )
    assert response.status_code == 200
    assert response.context["action_forms"]["reopen"].form.errors["reason"]
    resolved.refresh_from_db()
    assert resolved.status == IncidentStatus.RESOLVED


def test_stale_confirm_changes_nothing(client_for, end_user, resolved):
    response = client_for(end_user).post(
        reverse("incidents:portal_action", args=[resolved.number, "close"]),
        {"close-version": resolved.version - 1},
    )
    assert any("changed by someone else" in m for m in _messages(response))
    resolved.refresh_from_db()
    assert resolved.status == IncidentStatus.RESOLVED


def test_illegal_confirm_changes_nothing(client_for, end_user, incident):
    response = client_for(end_user).post(
        reverse("incidents:portal_action", args=[incident.number, "close"]),
        {"close-version": incident.version},
    )
    assert response.status_code == 302
    assert _messages(response)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED


def test_requester_cannot_run_agent_actions_from_portal(client_for, end_user, incident):
    response = client_for(end_user).post(
        reverse("incidents:portal_action", args=[incident.number, "accept"]),
        {"accept-version": incident.version},
    )
    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED


# --- Query counts ---------------------------------------------------------------------------


def _portal_list_queries(client, query=None) -> int:
    # Warm what each process keeps (content types, the viewer's roles).
    client.get(reverse("incidents:portal_list"), query)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("incidents:portal_list"), query)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_portal_list_query_count_is_constant(client_for, end_user, service, l1_group):
    client = client_for(end_user)
    IncidentFactory(requester=end_user, service=service, support_group=l1_group)
    one = _portal_list_queries(client)
    IncidentFactory.create_batch(19, requester=end_user, service=service, support_group=l1_group)
    assert _portal_list_queries(client) == one


def test_portal_list_paginates_by_25(client_for, end_user):
    IncidentFactory.create_batch(27, requester=end_user)
    client = client_for(end_user)
    first = client.get(reverse("incidents:portal_list"))
    assert len(first.context["mine"].rows) == 25
    assert "27 incidents, newest first." in first.content.decode()
    older = first.context["mine"].page.older
    second = client.get(reverse("incidents:portal_list"), {"older": older})
    assert len(second.context["mine"].rows) == 2
    assert not {i.pk for i in first.context["mine"].rows} & {
        i.pk for i in second.context["mine"].rows
    }
    newer = second.context["mine"].page.newer
    back = client.get(reverse("incidents:portal_list"), {"newer": newer})
    assert back.context["mine"].rows == first.context["mine"].rows
    assert _portal_list_queries(client, {"older": older}) == _portal_list_queries(client)


def test_portal_list_bad_cursor_is_a_clear_error(client_for, end_user):
    incident = IncidentFactory(requester=end_user)
    response = client_for(end_user).get(reverse("incidents:portal_list"), {"older": "x.y.z"})
    assert response.status_code == 400
    assert "That page link is not valid" in response.content.decode()
    assert [row.number for row in response.context["mine"].rows] == [incident.number]


# --- Sign in --------------------------------------------------------------------------------


def test_login_page_renders_with_labels(client):
    response = client.get(reverse("login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username">' in body and '<label for="id_password">' in body
    assert 'autocomplete="current-password"' in body


def test_wrong_password_shows_error(client, end_user):
    response = client.post(reverse("login"), {"username": end_user.username, "password": "nope"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_repeated_failures_show_locked_out_page(client, end_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        response = client.post(
            reverse("login"), {"username": end_user.username, "password": "wrong"}
        )
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in is paused" in body
    assert "15 minutes" in body


def test_portal_pages_have_no_inline_code(client_for, end_user, resolved):
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.IGNORECASE)
    login = Client().get(reverse("login"))
    assert login.status_code == 200
    assert not inline.findall(login.content.decode())
    client = client_for(end_user)
    for url in (
        reverse("incidents:portal_list"),
        reverse("incidents:portal_report"),
        reverse("incidents:portal_detail", args=[resolved.number]),
    ):
        assert not inline.findall(client.get(url).content.decode()), url


def test_portal_list_reads_each_requesters_own_rows_from_kept_statements(
    client_for, end_user, other_end_user
):
    """The list's statements are kept per requester (core.web.keyset_list): a second requester
    gets their own rows and count, not the first one's, and a new incident shows at once."""
    mine = IncidentFactory(requester=end_user, title="Mine <b>bold</b>")
    theirs = IncidentFactory.create_batch(2, requester=other_end_user)
    first = client_for(end_user).get(reverse("incidents:portal_list"))
    second = client_for(other_end_user).get(reverse("incidents:portal_list"))
    assert [row.number for row in first.context["mine"].rows] == [mine.number]
    assert "1 incident, newest first." in first.content.decode()
    assert "Mine &lt;b&gt;bold&lt;/b&gt;" in first.content.decode()
    assert {row.number for row in second.context["mine"].rows} == {i.number for i in theirs}
    assert "2 incidents, newest first." in second.content.decode()
    newer = IncidentFactory(requester=end_user)
    again = client_for(end_user).get(reverse("incidents:portal_list"))
    assert [row.number for row in again.context["mine"].rows] == [newer.number, mine.number]
    assert f'href="{reverse("incidents:portal_detail", args=[newer.number])}"' in (
        again.content.decode()
    )
