from django.db import models


class Lease(models.Model):
    """A named, time-limited right to run something alone (the outbox relay is a singleton).

    Taken and renewed with one conditional UPDATE (core/leases.py), which works the same on
    SQLite and PostgreSQL and behind PgBouncer, where session advisory locks would not.
    """

    name = models.CharField(max_length=60, primary_key=True)
    holder = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'} until {self.expires_at:%H:%M:%S}"


class Heartbeat(models.Model):
    """When a background duty last ran ("worker", "sla.sweep"); /healthz reads these."""

    name = models.CharField(max_length=60, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
