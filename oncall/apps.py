from django.apps import AppConfig


class OncallConfig(AppConfig):
    """On-call schedules of support groups: rotation layers, overrides, the final schedule (a
    pure function, oncall.engine), "who is on call", and iCalendar feeds."""

    name = "oncall"
    label = "oncall"
    verbose_name = "On call"
