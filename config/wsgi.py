"""The WSGI entry point (gunicorn config.wsgi:application, as docker-compose.yml runs it).

After loading the project, it builds the URL resolvers (which import every view, serializer and
FilterSet) and moves everything alive at that point out of the garbage collector's sight with
gc.freeze(): those objects live as long as the process, and without the freeze every full
collection walks all of them again. On the incident API list this took about a quarter off the
CPU time of a request (BENCHMARKS.md, "Incident API").

Gunicorn runs no system checks, so the settings checks (core.checks: the priority matrix, the
API rates, REPORTING_WORK_MEM) run here first: a bad value stops the worker from booting with a
message naming the setting, instead of a 500 on the first request that reads it.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from core.checks import settings_checks_enforce

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
settings_checks_enforce()

get_resolver().reverse_dict  # noqa: B018 — imports every view module and builds the lookups
gc.collect()
gc.freeze()
