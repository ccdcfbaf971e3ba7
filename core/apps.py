from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


def _is_last_app_with_models(sender: AppConfig) -> bool:
    """post_migrate fires once per app that has models; the handlers below act once, after the
    last of them, when every app's tables and permissions exist."""
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    return sender.label == with_models[-1].label


def _ensure_roles(sender: AppConfig, **kwargs: Any) -> None:
    if not _is_last_app_with_models(sender):
        return
    from core.roles import ensure_role_groups

    ensure_role_groups()


def _grant_runtime_role(sender: AppConfig, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    if not _is_last_app_with_models(sender):
        return
    from core.db_roles import runtime_privileges_grant_configured

    runtime_privileges_grant_configured(using)


class CoreConfig(AppConfig):
    """The shared kernel: people, support groups, services/CIs, the ticket base, the timeline,
    comments, attachments and the outbox."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import checks  # noqa: F401 — registers the settings checks
        from core.constant_in import register_constant_in
        from core.roles import connect_role_memo
        from core.selectors import ACTORS_MEMO
        from core.single_line import single_line_guard_install
        from core.web.forms import CHOICES_MEMO

        # After every app's permissions exist: connect without a sender filter, dedupe by uid.
        post_migrate.connect(_ensure_roles, dispatch_uid="core.ensure_role_groups")
        # After every app's tables exist; runs on every migrate, so later tables are covered.
        post_migrate.connect(_grant_runtime_role, dispatch_uid="core.grant_runtime_role")
        register_constant_in()
        connect_role_memo()
        CHOICES_MEMO.connect()
        ACTORS_MEMO.connect()
        single_line_guard_install()
