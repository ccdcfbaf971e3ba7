from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    """Problem management: root cause, known errors, linked incidents, post-incident reviews."""

    name = "problems"
    verbose_name = "Problems"

    def ready(self) -> None:
        from core.tickets.actions import register_actions
        from core.tickets.closing import close_blocker_install
        from core.tickets.kinds import register
        from problems.actions import PROBLEM_ACTIONS
        from problems.forms import PROBLEM_OPTIONS_MEMO
        from problems.kind import PROBLEM
        from problems.panel_rows import register_panel_rows
        from problems.reviews import review_close_refusal

        register(PROBLEM)
        register_actions(PROBLEM, PROBLEM_ACTIONS)
        register_panel_rows()
        close_blocker_install("post_incident_review", review_close_refusal)
        PROBLEM_OPTIONS_MEMO.connect()
