"""A real TLS receiver: the delivery connects to the checked address, sends the original host
name as SNI and in Host, and verifies the certificate against that name."""

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.models import User
from core.webhooks import outbound
from core.webhooks.models import DeliveryStatus, WebhookDelivery
from core.webhooks.services import webhook_send_test, webhook_subscription_create
from tests.conftest import IN_CI
from tests.webhooks.conftest import run_queued

NAME = "receiver.test"


def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        reason = "the openssl binary is needed to make a test certificate"
        if IN_CI:
            pytest.fail(f"{reason} — required when CI=true", pytrace=False)
        pytest.skip(reason)
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
            "-addext", f"subjectAltName=DNS:{name}",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _certificate(tmp_path_factory.mktemp("tls"), NAME)


@pytest.fixture
def tls_receiver(
    certificate: tuple[Path, Path],
) -> Iterator[tuple[int, Path, list[dict[str, str]]]]:
    """An HTTPS server on 127.0.0.1 with a certificate for receiver.test; what it saw."""
    cert, key = certificate
    seen: list[dict[str, str]] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sni: list[str] = []
    context.sni_callback = lambda sock, server_name, ctx: sni.append(server_name or "")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append({"host": self.headers["Host"], "sni": sni[-1] if sni else ""})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server.server_port, cert, seen
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _deliver_to(url: str, admin_user: User) -> WebhookDelivery:
    subscription, _ = webhook_subscription_create(
        name="TLS", url=url, event_types=["incident.created"], created_by=admin_user
    )
    webhook_send_test(subscription=subscription, actor=admin_user)
    run_queued()
    return WebhookDelivery.objects.get()


def test_tls_goes_to_the_checked_address_with_the_name_as_sni_and_certificate(
    tls_receiver: Any, monkeypatch: pytest.MonkeyPatch, settings: Any, admin_user: User
) -> None:
    port, cert, seen = tls_receiver
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver is on 127.0.0.1
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate only
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["127.0.0.1"])
    delivery = _deliver_to(f"https://{NAME}:{port}/hook", admin_user)
    assert delivery.status == DeliveryStatus.SUCCEEDED, delivery.last_error
    assert seen == [{"host": f"{NAME}:{port}", "sni": NAME}]


def test_a_certificate_for_another_name_is_refused(
    tls_receiver: Any, monkeypatch: pytest.MonkeyPatch, settings: Any, admin_user: User
) -> None:
    port, cert, seen = tls_receiver
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["127.0.0.1"])
    delivery = _deliver_to(f"https://other.test:{port}/hook", admin_user)
    assert delivery.status == DeliveryStatus.PENDING  # a TLS error is retried like any network one
    assert "certificate" in delivery.last_error.lower()
    assert seen == []
