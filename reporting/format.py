"""Readable numbers for pages and emails."""


def duration(seconds: float | None) -> str:
    """'2 d 3 h', '3 h 20 min', '45 min', '30 s'; an em dash for no value."""
    if seconds is None:
        return "—"
    total = round(seconds)
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h" if hours else f"{sign}{days} d"
    if hours:
        return f"{sign}{hours} h {minutes} min" if minutes else f"{sign}{hours} h"
    if minutes:
        return f"{sign}{minutes} min"
    return f"{sign}{secs} s"


def percent(rate: float | None) -> str:
    """0.9234 -> '92.3 %'; an em dash when there is nothing to divide."""
    return "—" if rate is None else f"{rate * 100:.1f} %"
