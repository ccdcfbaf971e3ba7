from django.apps import AppConfig


class OncallConfig(AppConfig):
    """On-call: schedules of support groups (rotation layers, overrides, the final schedule as
    a pure function, "who is on call", iCalendar feeds) and paging (escalation policies,
    contact methods, notification rules, pages worked by their own sweeper)."""

    name = "oncall"
    label = "oncall"
    verbose_name = "On call"

    def ready(self) -> None:
        from core.health import register_check
        from core.tickets.paging_hooks import paging_register
        from oncall.paging import events  # noqa: F401 — registers the page event's words
        from oncall.paging.auditor import paging_health
        from oncall.paging.hooks import HOOKS, PRIORITY_RULES_MEMO
        from oncall.paging.ticket_panel import PAGING_GROUPS_MEMO, register_panel_rows

        PRIORITY_RULES_MEMO.connect()
        PAGING_GROUPS_MEMO.connect()
        paging_register(HOOKS)
        register_panel_rows()
        # /healthz reports pages stuck past their deadline (oncall.paging.auditor).
        register_check("paging", paging_health)
