"""IMAP access to a mailbox with the standard library's imaplib.

`open_mailbox(mailbox)` connects (implicit TLS, or plain + STARTTLS), logs in by password or
XOAUTH2 and yields the connection; every failure becomes an `ImapError` whose message is one
sentence an admin can act on. `check_connection(mailbox)` is the "test connection" button and
`manage.py mail_check`: it never raises.
"""

import imaplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings

from email_intake.choices import AuthMethod, Security
from email_intake.models import Mailbox
from email_intake.oauth import OAuthError, access_token, xoauth2_string

# Our keyword on processed messages (servers that refuse custom keywords get \Seen instead).
KEYWORD = "$ServiceDesk"


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    summary: str  # one sentence an admin reads: "Connected; 12 messages wait in INBOX."


class ImapError(Exception):
    """A mailbox could not be read; the message says why in one sentence."""


def _where(mailbox: Mailbox) -> str:
    return f"{mailbox.host}:{mailbox.port}"


def _ssl_context(mailbox: Mailbox) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not mailbox.verify_certificate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    timeout = settings.EMAIL_INTAKE_IMAP_TIMEOUT_SECONDS
    where = _where(mailbox)
    try:
        if mailbox.security == Security.TLS:
            return imaplib.IMAP4_SSL(
                mailbox.host, mailbox.port, ssl_context=_ssl_context(mailbox), timeout=timeout
            )
        connection = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
    except socket.gaierror as exc:
        raise ImapError(f"The host name {mailbox.host!r} could not be resolved (DNS).") from exc
    except ConnectionRefusedError as exc:
        raise ImapError(f"{where} refused the connection (nothing listens there).") from exc
    except TimeoutError as exc:
        raise ImapError(f"{where} did not answer within {timeout} seconds.") from exc
    except ssl.SSLCertVerificationError as exc:
        raise ImapError(
            f"The TLS certificate of {where} is not trusted ({exc.verify_message}); "
            "install a trusted certificate or turn off certificate verification."
        ) from exc
    except ssl.SSLError as exc:
        raise ImapError(
            f"The TLS handshake with {where} failed ({exc.reason}); is the port right for TLS?"
        ) from exc
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(f"Could not connect to {where}: {exc}.") from exc
    try:
        connection.starttls(ssl_context=_ssl_context(mailbox))
    except ssl.SSLCertVerificationError as exc:
        _close(connection)
        raise ImapError(
            f"The TLS certificate of {where} is not trusted ({exc.verify_message}); "
            "install a trusted certificate or turn off certificate verification."
        ) from exc
    except (ssl.SSLError, OSError, imaplib.IMAP4.error) as exc:
        _close(connection)
        raise ImapError(f"STARTTLS with {where} failed: {exc}.") from exc
    return connection


def _login(connection: imaplib.IMAP4, mailbox: Mailbox) -> None:
    try:
        if mailbox.auth_method == AuthMethod.XOAUTH2:
            token = access_token(mailbox)
            sasl = xoauth2_string(mailbox.username, token)
            connection.authenticate("XOAUTH2", lambda _challenge: sasl)
        else:
            connection.login(mailbox.username, mailbox.password)
    except OAuthError as exc:
        raise ImapError(f"No OAuth access token: {exc}") from exc
    except imaplib.IMAP4.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ImapError(f"The server refused the login of {mailbox.username!r}: {detail}.") from exc


def _close(connection: imaplib.IMAP4) -> None:
    with suppress(OSError, imaplib.IMAP4.error):
        connection.logout()


@contextmanager
def open_mailbox(mailbox: Mailbox) -> Iterator[imaplib.IMAP4]:
    """A logged-in connection to `mailbox` (no folder selected), logged out afterwards."""
    if not mailbox.host:
        raise ImapError("The mailbox has no IMAP host (it is fed by manage.py mail_import).")
    connection = _connect(mailbox)
    try:
        _login(connection, mailbox)
    except BaseException:
        _close(connection)
        raise
    try:
        yield connection
    finally:
        _close(connection)


def select_folder(connection: imaplib.IMAP4, folder: str, *, readonly: bool = False) -> int:
    """SELECT `folder`; returns how many messages it holds. ImapError when it does not exist."""
    status, data = connection.select(quote_folder(folder), readonly=readonly)
    if status != "OK":
        detail = data[0].decode(errors="replace") if data and data[0] else ""
        raise ImapError(f"The folder {folder!r} does not exist or cannot be opened ({detail}).")
    return int(data[0] or 0) if data else 0


def quote_folder(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def uid_search(connection: imaplib.IMAP4, *criteria: str) -> list[int]:
    status, data = connection.uid("SEARCH", *criteria)
    if status != "OK":
        raise ImapError(f"The server refused the search: {data!r}.")
    return [int(uid) for uid in (data[0] or b"").split()]


def keywords_allowed(connection: imaplib.IMAP4) -> bool:
    """Whether the selected folder keeps custom keywords (PERMANENTFLAGS lists \\*). Call once
    right after SELECT: imaplib hands each untagged response out only once."""
    _, data = connection.response("PERMANENTFLAGS")
    return any(item and b"\\*" in item for item in data)


def unprocessed_criteria(*, keywords: bool) -> tuple[str, ...]:
    """Messages we have not taken yet: without our keyword. UNSEEN only where the server keeps no
    keywords: a person reading the mailbox in a mail client would otherwise hide mail from us."""
    if keywords:
        return ("UNKEYWORD", KEYWORD, "UNDELETED")
    return ("UNSEEN", "UNDELETED")


def check_connection(mailbox: Mailbox) -> ConnectionCheck:
    """Connect, log in and open the folder; one sentence on what worked or failed. Never raises."""
    try:
        with open_mailbox(mailbox) as connection:
            total = select_folder(connection, mailbox.folder, readonly=True)
            keywords = keywords_allowed(connection)
            waiting = len(uid_search(connection, *unprocessed_criteria(keywords=keywords)))
            if mailbox.processed_folder:
                status, _ = connection.select(quote_folder(mailbox.processed_folder), readonly=True)
                if status != "OK":
                    raise ImapError(
                        f"Connected, but the processed folder {mailbox.processed_folder!r} "
                        "does not exist."
                    )
    except ImapError as exc:
        return ConnectionCheck(False, str(exc))
    except Exception as exc:  # the button must answer whatever happens
        return ConnectionCheck(False, f"Unexpected failure: {type(exc).__name__}: {exc}.")
    security = "TLS" if mailbox.security == Security.TLS else "STARTTLS"
    return ConnectionCheck(
        True,
        f"Connected to {_where(mailbox)} over {security} as {mailbox.username!r}; "
        f"{total} messages in {mailbox.folder}, {waiting} not yet taken.",
    )
