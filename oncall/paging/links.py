"""Signed one-click links in page messages: "acknowledge" and "resolve" for one person and page.

A token is django.core.signing over (page, person, action) with a salt that names the page, so a
token copied onto another page's URL fails its signature, and one made for another person or
action says so. Tokens expire after PAGING_LINK_HOURS. The link opens a confirmation page; only
its POST acts (oncall.views.ack: mail scanners fetch every link in a message).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

ACK = "ack"
RESOLVE = "resolve"
ACTIONS = (ACK, RESOLVE)


class LinkInvalid(Exception):  # noqa: N818 — a refusal shown to the reader
    """The token is not valid for this page (tampered, foreign, malformed)."""


class LinkExpired(Exception):  # noqa: N818
    """The token was valid but is older than PAGING_LINK_HOURS."""


@dataclass(frozen=True)
class LinkClaim:
    page_id: int
    person_id: int
    action: str


def _salt(page_id: int) -> str:
    return f"oncall.page-link:{page_id}"


def page_link_token(*, page_id: int, person_id: int, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown page link action {action!r}")
    return signing.dumps({"p": page_id, "u": person_id, "a": action}, salt=_salt(page_id))


def page_link_url(*, page_id: int, person_id: int, action: str) -> str:
    """The absolute URL of the link (SITE_URL + the route)."""
    token = page_link_token(page_id=page_id, person_id=person_id, action=action)
    path = reverse("oncall:page_link", kwargs={"page_id": page_id, "token": token})
    return settings.SITE_URL.rstrip("/") + path


def page_link_read(page_id: int, token: str) -> LinkClaim:
    """The claim of a token presented on page `page_id`'s URL; raises LinkExpired or LinkInvalid."""
    try:
        data = signing.loads(token, salt=_salt(page_id), max_age=settings.PAGING_LINK_HOURS * 3600)
    except signing.SignatureExpired as exc:
        raise LinkExpired(str(exc)) from exc
    except signing.BadSignature as exc:
        raise LinkInvalid(str(exc)) from exc
    if not isinstance(data, dict):
        raise LinkInvalid("malformed")
    try:
        claim = LinkClaim(int(data["p"]), int(data["u"]), str(data["a"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid("malformed") from exc
    if claim.page_id != page_id or claim.action not in ACTIONS:
        raise LinkInvalid("not for this page")
    return claim
