from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender: AppConfig, **kwargs: Any) -> None:
    from django.apps import apps

    # post_migrate fires once per app that has models; act once, after the last of them.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender.label != with_models[-1].label:
        return
    from core.roles import ensure_role_groups

    ensure_role_groups()


class CoreConfig(AppConfig):
    """The shared kernel: people, support groups, services/CIs, the ticket base, the timeline,
    comments, attachments and the outbox."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core.roles import connect_role_memo
        from core.single_line import single_line_guard_install

        # After every app's permissions exist: connect without a sender filter, dedupe by uid.
        post_migrate.connect(_ensure_roles, dispatch_uid="core.ensure_role_groups")
        connect_role_memo()
        single_line_guard_install()
