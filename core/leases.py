"""Leases (one holder at a time, for a while) and heartbeats (when a duty last ran).

A lease is a row taken with a conditional UPDATE: free, expired, or already ours. The holder
renews it while it works and releases it when done; a holder that dies simply lets it expire, so
no crash can block the duty for longer than the lease. Heartbeats are written by the duties
themselves and read by /healthz.
"""

import os
import socket
import threading
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import Heartbeat, Lease


def holder_name() -> str:
    """This process and thread, so two threads of one process never share a lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def lease_take(name: str, *, seconds: float, holder: str | None = None) -> bool:
    """Take or renew lease `name` for `seconds`; False when someone else holds it."""
    holder = holder or holder_name()
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    taken = Lease.objects.filter(
        Q(name=name) & (Q(expires_at__lte=now) | Q(holder=holder) | Q(holder=""))
    ).update(holder=holder, expires_at=until)
    if taken:
        return True
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, expires_at=until)
    except IntegrityError:
        return False  # someone else holds it (or created it a moment ago)
    return True


def lease_release(name: str, *, holder: str | None = None) -> None:
    Lease.objects.filter(name=name, holder=holder or holder_name()).update(
        holder="", expires_at=timezone.now()
    )


def heartbeat(name: str) -> None:
    now = timezone.now()
    if not Heartbeat.objects.filter(name=name).update(seen_at=now):
        Heartbeat.objects.get_or_create(name=name, defaults={"seen_at": now})


def last_heartbeat(name: str) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("seen_at", flat=True).first()
