"""The schedule pages' helpers.

`{% can_add_schedules as flag %}`: whether the signed-in person may create a schedule (an admin,
or the manager of some active group), for the on-call sub-navigation. One query at most,
remembered on the request: the sub-navigation is on every on-call page, and those pages are
rendered by views that know nothing of schedule writing.

`{{ layer|layer_restrictions }}`: a layer's weekdays and daily window in words."""

from typing import Any

from django import template

from core.models import User
from core.roles import is_admin
from oncall.models import RotationLayer
from oncall.schedule_forms import WEEKDAYS, manageable_groups

register = template.Library()


@register.simple_tag(takes_context=True)
def can_add_schedules(context: dict[str, Any]) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not isinstance(user, User):
        return False
    remembered: bool | None = getattr(request, "_oncall_can_add_schedules", None)
    if remembered is None:
        remembered = is_admin(user) or manageable_groups(user).exists()
        setattr(request, "_oncall_can_add_schedules", remembered)  # noqa: B010 — per-request memo
    return remembered


DAY_NAMES = dict(WEEKDAYS)


@register.filter
def layer_restrictions(layer: RotationLayer) -> str:
    """A layer's restrictions in words: "Mon, Tue, Wed, 09:00 to 17:00", "Every day, all day"."""
    days = ", ".join(DAY_NAMES[int(d)] for d in layer.weekdays) or "Every day"
    if layer.window_start is None or layer.window_end is None:
        return f"{days}, all day"
    overnight = " (overnight)" if layer.window_end < layer.window_start else ""
    return f"{days}, {layer.window_start:%H:%M} to {layer.window_end:%H:%M}{overnight}"
