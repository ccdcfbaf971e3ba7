"""Turn one stored message into its outcome (contract; the pipeline helper writes the body)."""

from email_intake.models import InboundEmail


def handle(inbound: InboundEmail) -> None:
    """Called by email_intake.processing with `inbound` claimed (status processing), inside a
    transaction the caller opened. Sets the final status, outcome, reason, ticket, comment and
    processed_at, and saves. Raises on an unexpected failure (the caller rolls back, counts the
    attempt and quarantines after EMAIL_INTAKE_MAX_ATTEMPTS)."""
    raise NotImplementedError
