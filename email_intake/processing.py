"""Claim and process stored messages (contract; the fetch helper writes the bodies)."""

from core.models import User
from email_intake.models import InboundEmail


def process_inbound(inbound_id: int) -> bool:
    """Claim one waiting message (compare-and-set pending -> processing) and run the pipeline
    on it; False when another worker has it or it is no longer waiting."""
    raise NotImplementedError


def retry_inbound(inbound: InboundEmail, *, actor: User) -> InboundEmail:
    """An admin's retry of a held, refused or quarantined message: back to pending, attempts
    reset, released_by the admin; processed again at once."""
    raise NotImplementedError
