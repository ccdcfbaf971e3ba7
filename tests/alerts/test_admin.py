"""The admin: a new integration's secret is shown once, rotation, revocation, read-only logs."""

from django.test import Client
from django.urls import reverse

from incidents.alerts.models import AlertLink, IntakeLogEntry, Integration
from incidents.alerts.services import token_hash
from tests.alerts.conftest import Hook, Poster
from tests.alerts.payloads import alertmanager, am_alert


def add_form(the_service, **overrides):  # type: ignore[no-untyped-def]
    return {
        "name": "Prometheus prod",
        "kind": "alertmanager",
        "service": the_service.pk,
        "support_group": "",
        "category": "software",
        "severity_label": "severity",
        "severity_map": "{}",
        "max_new_incidents_per_minute": "20",
        **overrides,
    }


def secret_on(page: str) -> str:
    start = page.index('value="alrt_') + len('value="')
    return page[start : page.index('"', start)]


def test_creating_an_integration_shows_its_secret_once(
    admin_user, client_for, service, post: Poster
) -> None:
    client: Client = client_for(admin_user)
    response = client.post(reverse("admin:alerts_integration_add"), add_form(service))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = secret_on(page)
    assert "shown only this once" in page
    assert f"/api/v1/alerts/{secret}/" in page
    integration = Integration.objects.get(name="Prometheus prod")
    assert integration.token_hash == token_hash(secret)
    assert integration.reporter.first_name == "Prometheus prod"
    assert not integration.reporter.is_active
    # Not in the session or a message cookie, and the change page never shows it again.
    assert secret not in str(client.session.items())
    assert all(secret not in morsel.value for morsel in response.cookies.values())
    change = client.get(reverse("admin:alerts_integration_change", args=[integration.pk]))
    assert secret not in change.content.decode()
    assert integration.token_prefix in change.content.decode()
    assert post(secret, alertmanager(am_alert("x"))).status_code == 200


def test_admin_form_checks_the_severity_map_and_auto_resolve(admin_user, client_for, service):  # type: ignore[no-untyped-def]
    client = client_for(admin_user)
    response = client.post(
        reverse("admin:alerts_integration_add"),
        add_form(service, severity_map='{"sev1": {"impact": "huge", "urgency": "high"}}'),
    )
    assert response.status_code == 200
    assert "impact must be one of" in response.content.decode()
    response = client.post(
        reverse("admin:alerts_integration_add"),
        add_form(service, service="", auto_resolve="on"),
    )
    assert "Resolving automatically needs a service" in response.content.decode()
    assert not Integration.objects.exists()


def test_rotating_the_secret(admin_user, client_for, hook: Hook, post: Poster) -> None:
    client = client_for(admin_user)
    url = reverse("admin:alerts_integration_rotate_secret", args=[hook.integration.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert hook.integration.token_prefix in confirm.content.decode()
    assert Integration.objects.get().token_hash == token_hash(hook.secret)  # GET changes nothing
    response = client.post(url)
    new_secret = secret_on(response.content.decode())
    assert new_secret != hook.secret
    assert post(hook, alertmanager(am_alert("x"))).status_code == 401
    assert post(new_secret, alertmanager(am_alert("x"))).status_code == 200


def test_rotating_needs_an_admin(agent_l1, client_for, hook: Hook) -> None:
    url = reverse("admin:alerts_integration_rotate_secret", args=[hook.integration.pk])
    response = client_for(agent_l1).post(url)
    assert response.status_code == 302
    assert Integration.objects.get().token_hash == token_hash(hook.secret)


def test_revoke_action(admin_user, client_for, hook: Hook, post: Poster) -> None:
    client = client_for(admin_user)
    client.post(
        reverse("admin:alerts_integration_changelist"),
        {"action": "revoke", "_selected_action": [hook.integration.pk]},
    )
    assert Integration.objects.get().is_active is False
    assert post(hook, alertmanager(am_alert("x"))).status_code == 401


def test_intake_log_and_links_are_read_only(
    admin_user, client_for, hook: Hook, post: Poster
) -> None:
    post(hook, None, raw=b"not json")
    post(hook, alertmanager(am_alert("x")))
    client = client_for(admin_user)
    entry = IntakeLogEntry.objects.get()
    link = AlertLink.objects.get()
    listing = client.get(reverse("admin:alerts_intakelogentry_changelist"))
    assert listing.status_code == 200
    assert "invalid_json" in listing.content.decode()
    detail = client.get(reverse("admin:alerts_intakelogentry_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert (
        client.post(
            reverse("admin:alerts_intakelogentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    links = client.get(reverse("admin:alerts_alertlink_changelist"))
    assert links.status_code == 200
    assert link.incident.number in links.content.decode()
    assert client.get(reverse("admin:alerts_alertlink_change", args=[link.pk])).status_code == 200
    assert client.get(reverse("admin:alerts_alertstorm_changelist")).status_code == 200
    assert client.get(reverse("admin:alerts_integration_changelist")).status_code == 200
