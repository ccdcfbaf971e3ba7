"""Who may write to a mailbox, and the account a sender writes as.

A mailbox accepts anyone (an unknown address gets an end-user account: active, no usable
password, named from the From display name), only people with an account, or only the listed
domains.
"""

import re
import secrets

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from core.choices import Role
from core.models import User
from core.roles import ROLE_GROUP_NAMES, ROLE_MEMO
from email_intake.choices import SenderPolicy
from email_intake.models import Mailbox

_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


def user_for_address(address: str) -> User | None:
    """The active account with this email address (the oldest when several share it)."""
    return User.objects.filter(email__iexact=address, is_active=True).order_by("pk").first()


def refusal_of(mailbox: Mailbox, address: str) -> tuple[str, str] | None:
    """(reason code, text) when `mailbox` does not accept mail from `address`, else None."""
    if not address:
        return "no_sender", "The message has no valid From address."
    if mailbox.sender_policy == SenderPolicy.DOMAINS:
        domain = address.rpartition("@")[2]
        if domain not in mailbox.domains:
            listed = ", ".join(mailbox.domains) or "no domain"
            return "domain", f"{mailbox.address} only accepts mail from {listed}."
    if mailbox.sender_policy == SenderPolicy.KNOWN and user_for_address(address) is None:
        return "unknown_sender", f"{mailbox.address} only accepts mail from people with an account."
    return None


def _split_name(display_name: str, address: str) -> tuple[str, str]:
    name = display_name.strip().strip('"').strip()
    if "," in name:  # "Doe, Jane" as Outlook writes it
        last, _, first = name.partition(",")
        return first.strip()[:150], last.strip()[:150]
    first, _, last = name.partition(" ")
    if not first:
        first = address.partition("@")[0]
    return first[:150], last.strip()[:150]


def _end_user_group_id() -> int:
    return ROLE_MEMO.get(
        ("group-id", Role.END_USER),
        lambda: Group.objects.get_or_create(name=ROLE_GROUP_NAMES[Role.END_USER])[0].pk,
    )


def sender_account(address: str, display_name: str, *, looked_up: bool = False) -> User:
    """The account mail from `address` is written as, created as an end user when there is none.

    Race-safe: two workers creating the same address at once both end with the same account
    (the username is the address, unique in the database; the loser of the insert reads the
    winner's row)."""
    existing = None if looked_up else user_for_address(address)
    if existing is not None:
        return existing
    first, last = _split_name(display_name, address)
    username = _USERNAME_UNSAFE.sub("_", address)[:150]
    user = User(username=username, email=address, first_name=first, last_name=last)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        found = User.objects.filter(username=username).first()
        if found is not None and found.email.lower() == address and found.is_active:
            return found
        # The username is someone else's (or an inactive account's): a fresh one.
        user.username = f"{username[:140]}-{secrets.token_hex(4)}"
        user.save()
    # One INSERT (a new account has no memberships to look up first); the role memo forgets
    # the account as groups.add() would have made it.
    User.groups.through.objects.create(user_id=user.pk, group_id=_end_user_group_id())
    ROLE_MEMO.forget([user.pk])
    return user
