"""A ticket's whole life, run in a process of its own that connects as the runtime role.

tests/core/test_audit_roles.py starts it with DATABASE_URL naming the runtime role: people and a
service are created, an incident is reported, accepted, classified, answered, given a file,
resolved and closed; the outbox relay claims and publishes its messages (to an in-memory broker)
and each message's task runs here, by name, as the worker would; the SLA sweeper runs once. It
prints what it saw as JSON; any refusal by the database ends it with a traceback.
"""

import io
import json
import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()

    from collections import Counter

    from django.contrib.contenttypes.models import ContentType
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from config.celery import app
    from core.choices import Role, Tier
    from core.models import OutboxMessage, TimelineEvent
    from core.services import attachment_add
    from core.tickets.work import ticket_comment
    from incidents import services
    from incidents.choices import Category, Impact, ResolutionCode, Urgency
    from tests.factories import ServiceFactory, SupportGroupFactory, UserFactory

    group = SupportGroupFactory(name="Walk L1", tier=Tier.L1)
    agent = UserFactory(username="walk-agent", role=Role.AGENT)
    group.members.add(agent)
    requester = UserFactory(username="walk-user", role=Role.END_USER)
    service = ServiceFactory(name="Walk mail", owner_group=group)

    incident = services.incident_create(requester=requester, title="Mail is down")
    incident = services.incident_accept(incident, actor=agent)
    incident = services.incident_classify(
        incident,
        actor=agent,
        category=Category.SOFTWARE,
        impact=Impact.MEDIUM,
        urgency=Urgency.HIGH,
        service=service,
    )
    ticket_comment(incident, author=agent, body="Looking into it.", is_internal=False)
    attachment_add(
        ticket=incident,
        uploaded_by=agent,
        upload=SimpleUploadedFile("trace.txt", b"stack trace", content_type="text/plain"),
    )
    incident = services.incident_resolve(
        incident, actor=agent, resolution_code=ResolutionCode.FIXED, resolution_notes="Restarted"
    )
    incident = services.incident_close(incident, actor=agent)

    call_command("relay_outbox", stdout=io.StringIO())
    app.loader.import_default_modules()
    for message in OutboxMessage.objects.order_by("id"):
        app.tasks[message.task_name](message.pk)
    app.tasks["sla.sweep"]()

    sys.stdout.write(
        json.dumps(
            {
                "status": incident.status,
                "events": TimelineEvent.objects.filter(
                    ticket_type=ContentType.objects.get_for_model(incident), ticket_id=incident.pk
                ).count(),
                "outbox": dict(Counter(OutboxMessage.objects.values_list("status", flat=True))),
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
