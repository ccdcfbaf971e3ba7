from django.apps import AppConfig


class KindTestConfig(AppConfig):
    """Chores: the test-only kind (tests/kindtest/__init__.py)."""

    name = "tests.kindtest"
    label = "kindtest"

    def ready(self) -> None:
        from core.tickets.actions import register_actions
        from core.tickets.kinds import register
        from tests.kindtest.kind import CHORE, CHORE_ACTIONS

        register(CHORE)
        register_actions(CHORE, CHORE_ACTIONS)
