from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    """Problem management: root cause, known errors, linked incidents, post-incident reviews."""

    name = "problems"
    verbose_name = "Problems"
