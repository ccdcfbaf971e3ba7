from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """Change enablement: standard, normal and emergency changes, approvals, the change
    calendar and freeze windows, patch rollouts and deployments from CI/CD."""

    name = "changes"
    verbose_name = "Changes"

    def ready(self) -> None:
        from changes.actions import CHANGE_ACTIONS, SYSTEM_ONLY
        from changes.kind import CHANGE
        from changes.panel_rows import register_panel_rows
        from core.tickets.actions import register_actions
        from core.tickets.kinds import register

        register(CHANGE)
        register_actions(CHANGE, CHANGE_ACTIONS, system_only=SYSTEM_ONLY)
        register_panel_rows()
