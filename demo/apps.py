from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and `manage.py seed_demo`. No models; nothing in the project imports it."""

    name = "demo"
    verbose_name = "Demo data"
