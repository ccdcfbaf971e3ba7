"""Alert payloads are normalised, not refused: control characters in what lands in a
single-line field (title, dedup key, severity) become spaces, since an alert must not be lost."""

from incidents.alerts.choices import IntegrationKind
from incidents.models import Incident
from tests.alerts.conftest import Hook, Poster
from tests.alerts.payloads import alertmanager, am_alert


def test_alert_title_with_newlines_is_stored_on_one_line(make_hook, post: Poster) -> None:
    hook: Hook = make_hook(IntegrationKind.GENERIC)
    response = post(
        hook, {"title": "Disk\r\nfull\x07 on db1", "dedup_key": "disk\ndb1", "severity": "hi\tgh"}
    )
    assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    assert incident.title == "Disk full on db1"
    assert incident.alert_links.get().fingerprint == "disk db1"


def test_alertmanager_labels_with_control_characters_make_a_one_line_title(
    hook: Hook, post: Poster
) -> None:
    alert = am_alert("fp1", name="Disk\x1bfull")
    alert["annotations"]["summary"] = "db1\r\nBcc: x@example.com"
    response = post(hook, alertmanager(alert))
    assert response.status_code == 200, response.content
    assert Incident.objects.get().title == "[Disk full] db1 Bcc: x@example.com"
