"""Domain errors raised by services. Views turn them into messages (HTML) or 409/412 (API)."""


class DomainError(Exception):
    """A request the domain refuses; the message is shown to the user as it is."""


class TransitionError(DomainError):
    """An illegal lifecycle transition: names the current state and the action refused."""


class ValidationFailed(DomainError):  # noqa: N818 — reads better than ValidationFailedError
    """Required or invalid fields; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in errors.items()))


class ConflictError(DomainError):
    """The ticket changed since the caller read it (stale version) or another agent won a race."""
