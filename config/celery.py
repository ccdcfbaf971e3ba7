"""The Celery application. Tasks live in each app's tasks.py and are found by autodiscovery."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# `filesystem://` (the embedded default) means our race-free filesystem transport, in every
# process that imports this app: web, worker and beat. Why: core/broker/filesystem.py.
TRANSPORT_ALIASES["filesystem"] = "core.broker.filesystem:Transport"

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
