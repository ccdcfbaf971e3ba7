from django.apps import AppConfig


class OncallConfig(AppConfig):
    """On-call: schedules of support groups (rotation layers, overrides, the final schedule as
    a pure function, "who is on call", iCalendar feeds) and paging (escalation policies,
    contact methods, notification rules, pages worked by their own sweeper)."""

    name = "oncall"
    label = "oncall"
    verbose_name = "On call"

    def ready(self) -> None:
        from core.tickets.paging_hooks import paging_register
        from oncall import reminders  # noqa: F401 — registers the shift reminders' task
        from oncall.paging import events  # noqa: F401 — registers the page event's words
        from oncall.paging.hooks import HOOKS, PRIORITY_RULES_MEMO

        PRIORITY_RULES_MEMO.connect()
        paging_register(HOOKS)
