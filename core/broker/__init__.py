"""The embedded Celery broker of `make run`: kombu's filesystem transport, made safe for several
processes (see `core.broker.filesystem`)."""
