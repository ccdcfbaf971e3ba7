"""Human target durations: '30m', '4h', '2d', '1h30m' (days are 24 hours of calendar time)."""

import re
from datetime import timedelta

_PATTERN = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")
# More digits than any target needs; also keeps int() below Python's limit on digit strings.
_MAX_DIGITS = 12


def parse_target(text: str) -> timedelta:
    """The duration `text` names; ValueError with the reason for anything else, including a
    number of any size too large for a duration (never OverflowError)."""
    match = _PATTERN.match(text.strip().lower())
    if not text.strip() or match is None:
        raise ValueError(f"'{text}' is not a target like 30m, 4h, 2d or 1h30m")
    digits = match.groupdict(default="0")
    too_long = ValueError(f"'{text}' is too long for a target")
    if any(len(value.lstrip("0")) > _MAX_DIGITS for value in digits.values()):
        raise too_long
    parts = {key: int(value) for key, value in digits.items()}
    try:
        return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"])
    except OverflowError as exc:
        raise too_long from exc
