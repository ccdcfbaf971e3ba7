"""Parsing never raises and never loses a message: charsets, headers, malformed MIME."""

import pytest

from email_intake.parsing import decode_bytes, decode_header_value, message_ids, parse_message


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("Grüße".encode("iso-8859-1"), "iso-8859-1", "Grüße"),
        ("Grüße".encode("koi8-r", "replace"), "koi8-r", "Gr??e"),
        ("Привет".encode("koi8-r"), "koi8-r", "Привет"),
        ("日本語".encode("shift_jis"), "shift_jis", "日本語"),
        ("Grüße".encode(), "x-unknown", "Grüße"),  # unknown: UTF-8
        ("Grüße".encode("cp1252"), "utf-8", "Grüße"),  # wrong: Windows-1252
        (b"\x81\x8d\xff", None, "\ufffd\ufffdÿ"),  # nothing fits: replacement, not an error
    ],
)
def test_bodies_decode_with_a_fallback(data, charset, expected) -> None:
    assert decode_bytes(data, charset) == expected


def test_header_values_are_decoded_and_single_line() -> None:
    assert decode_header_value("=?utf-8?q?Caf=C3=A9?= =?iso-8859-1?q?_d=E9j=E0?=") == "Café déjà"
    assert decode_header_value("=?utf-8?q?a=0D=0ABcc:_x@y?=") == "a Bcc: x@y"
    assert decode_header_value("=?bogus-charset?q?abc?=") == "abc"
    assert decode_header_value("=?utf-8?b?!!notbase64?=") != ""


def test_message_ids_keep_brackets_and_skip_junk() -> None:
    assert message_ids("<a@b> junk <c@d>\r\n <e@f>") == ["<a@b>", "<c@d>", "<e@f>"]
    assert message_ids("no-brackets@x") == []


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"garbage without headers",
        b"From: \r\nSubject: \xff\xfe\r\n\r\nbody",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary at all",
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain;'
        b" charset=\"utf-8\"; name*=bad''%ZZ\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@",
        b"From: a@b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n",
        b"From: <<<@@@>>>\r\nTo: ;;;\r\nMessage-ID: <<>>\r\n\r\nx",
    ],
)
def test_malformed_messages_parse(raw) -> None:
    parsed = parse_message(raw)
    assert isinstance(parsed.text, str)
    assert "\n" not in parsed.subject


def test_eight_bit_headers_and_display_names() -> None:
    raw = "From: René Müller <rene@example.com>\r\nSubject: Grüße\r\n\r\nx".encode()
    parsed = parse_message(raw)
    assert (parsed.sender_name, parsed.sender, parsed.subject) == (
        "René Müller",
        "rene@example.com",
        "Grüße",
    )


def test_an_invalid_sender_address_is_empty() -> None:
    assert parse_message(b"From: not an address\r\n\r\nx").sender == ""
