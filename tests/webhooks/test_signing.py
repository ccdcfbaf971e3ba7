"""Signing: the header format, and the documented receiver recipe accepting exactly what we sign."""

import hashlib
import hmac
import time

from core.webhooks.signing import (
    webhook_body,
    webhook_secret_generate,
    webhook_signature,
    webhook_signature_verify,
)
from tests.webhooks.conftest import verify_signature

SECRET = "whsec_test-secret"
BODY = webhook_body({"id": "e1", "type": "incident.created", "data": {"title": "Mail ✉ down"}})


def test_header_is_t_and_v1_hmac_of_timestamp_dot_body():
    header = webhook_signature(secret=SECRET, body=BODY, timestamp=1_700_000_000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_body_is_compact_utf8_json():
    assert BODY.startswith(b'{"id":"e1","type":"incident.created"')
    assert "✉".encode() in BODY


def test_documented_recipe_and_library_accept_a_fresh_signature():
    header = webhook_signature(secret=SECRET, body=BODY, timestamp=int(time.time()))
    assert verify_signature(SECRET, BODY, header)
    assert webhook_signature_verify(secret=SECRET, body=BODY, header=header)


def test_tampered_body_wrong_secret_and_old_timestamp_are_refused():
    now = int(time.time())
    header = webhook_signature(secret=SECRET, body=BODY, timestamp=now)
    for check in (verify_signature, _library):
        assert not check(SECRET, BODY.replace(b"down", b"up!!"), header)
        assert not check("whsec_other", BODY, header)
        old = webhook_signature(secret=SECRET, body=BODY, timestamp=now - 301)
        assert not check(SECRET, BODY, old)
        assert not check(SECRET, BODY, "garbage")
        assert not check(SECRET, BODY, f"t={now}")


def _library(secret: str, body: bytes, header: str) -> bool:
    return webhook_signature_verify(secret=secret, body=body, header=header)


def test_generated_secrets_are_random_and_long():
    first, second = webhook_secret_generate(), webhook_secret_generate()
    assert first != second
    assert first.startswith("whsec_") and len(first) >= 40
