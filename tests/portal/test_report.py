"""Reporting an incident from the portal: "how does this affect you" mapped to impact and
urgency in one place, several files at once, and nothing stored when anything is refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Attachment
from core.web.forms import MAX_REPORT_FILES
from incidents.forms import EFFECTS
from incidents.models import Incident
from incidents.priority import priority_for

pytestmark = pytest.mark.django_db

URL = reverse("incidents:portal_report")


def _png(name: str = "screen.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")


@pytest.mark.parametrize("effect", EFFECTS, ids=[e.key for e in EFFECTS])
def test_each_answer_sets_impact_and_urgency(client_for, end_user, service, l1_group, effect):
    response = client_for(end_user).post(
        URL, {"title": "Cannot print", "effect": effect.key, "service": service.pk}
    )
    assert response.status_code == 302
    incident = Incident.objects.get(requester=end_user)
    assert (incident.impact, incident.urgency) == (effect.impact, effect.urgency)
    assert incident.priority == priority_for(effect.impact, effect.urgency)


def test_report_with_several_files(client_for, end_user, l1_group):
    response = client_for(end_user).post(
        URL,
        {
            "title": "Screen flickers",
            "effect": "me_slowed",
            "attachment": [_png("a.png"), _png("b.png")],
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get(requester=end_user)
    names = set(
        Attachment.objects.filter(ticket_id=incident.pk).values_list("original_name", flat=True)
    )
    assert names == {"a.png", "b.png"}


def test_too_many_files_are_refused_and_nothing_is_stored(client_for, end_user, l1_group):
    files = [_png(f"{i}.png") for i in range(MAX_REPORT_FILES + 1)]
    response = client_for(end_user).post(
        URL, {"title": "Screen flickers", "effect": "me_slowed", "attachment": files}
    )
    assert response.status_code == 200
    assert f"Attach at most {MAX_REPORT_FILES} files" in response.content.decode()
    assert not Incident.objects.exists() and not Attachment.objects.exists()


def test_a_refused_file_type_stores_nothing(client_for, end_user, l1_group):
    bad = SimpleUploadedFile("page.html", b"<p>hi</p>", content_type="text/html")
    response = client_for(end_user).post(
        URL, {"title": "Screen flickers", "effect": "me_slowed", "attachment": [_png(), bad]}
    )
    assert response.status_code == 200
    assert "are not accepted" in response.content.decode()
    assert not Incident.objects.exists() and not Attachment.objects.exists()


def test_missing_answers_are_explained(client_for, end_user):
    response = client_for(end_user).post(URL, {"title": "  "})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Tell us how this affects you" in body
    assert 'aria-invalid="true"' in body
    assert not Incident.objects.exists()


def test_report_form_has_stable_ids_and_labels(client_for, end_user):
    body = client_for(end_user).get(URL).content.decode()
    for control in (
        'id="id_title"',
        'id="id_description"',
        'id="id_service"',
        'id="id_effect_0"',
        'id="id_attachment"',
        'id="report-submit"',
        "multiple",
    ):
        assert control in body
    assert '<label for="id_title">What is broken?' in body
    assert "<legend>How does this affect you?</legend>" in body
