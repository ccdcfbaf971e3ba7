"""A person's own preferences: today the time zone their dates are shown in."""

from django.core.exceptions import ValidationError

from core.exceptions import ValidationFailed
from core.models import User
from core.time_zones import zone_name_validate


def user_time_zone_set(*, user: User, time_zone: str) -> User:
    """Store the zone `user` reads dates in ("" = the site's TIME_ZONE). An unknown name is a
    ValidationFailed on `time_zone` and stores nothing. Saves only this field, so a profile
    edited meanwhile in the admin keeps its other changes."""
    name = time_zone.strip()
    try:
        zone_name_validate(name)
    except ValidationError as exc:
        raise ValidationFailed({"time_zone": " ".join(exc.messages)}) from exc
    if user.time_zone != name:
        user.time_zone = name
        user.save(update_fields=["time_zone"])
    return user
