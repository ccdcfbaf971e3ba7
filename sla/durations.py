"""Human target durations: '30m', '4h', '2d', '1h30m' (days are 24 hours of calendar time)."""

import re
from datetime import timedelta

_PATTERN = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")


def parse_target(text: str) -> timedelta:
    match = _PATTERN.match(text.strip().lower())
    if not text.strip() or match is None:
        raise ValueError(f"'{text}' is not a target like 30m, 4h, 2d or 1h30m")
    parts = {key: int(value) for key, value in match.groupdict(default="0").items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"])
