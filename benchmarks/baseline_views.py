"""Baselines for benchmarks/api_bench.py: the framework's own ceiling over the same table.

DESIGN.md §7 measures the incident API against "a bare Django/DRF view over the same table" in
the same run. These views keep what every API endpoint pays for (the project's REST_FRAMEWORK
defaults: token authentication, permissions, throttling, keyset pagination, the JSON renderer)
and drop what the incident endpoints add (the scoped selector and its joins, the FilterSet, the
full output serializer, SLA clocks, services, timeline, outbox). Mounted only for benchmarks
(benchmarks/urls.py); they check no role, so never mount them in a deployment.
"""

from typing import Any, cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template import Context, Engine
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.models import TimelineEvent, User
from core.numbering import allocate_number
from core.tickets.kinds import kind_named
from incidents.models import Incident
from incidents.transitions import OPEN_STATUSES
from portal.views import MY_TICKETS_PAGE_SIZE


class BareIncidentSerializer(serializers.ModelSerializer[Incident]):
    class Meta:
        model = Incident
        fields = ("id", "number", "title", "status", "priority", "sla_due_at", "created_at")


class BareIncidentListView(ListAPIView[Incident]):
    """Open incidents by time to breach, 50 a page: the agent list's query without the rest."""

    serializer_class = BareIncidentSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Incident]:
        return Incident.objects.filter(status__in=sorted(OPEN_STATUSES)).order_by(
            F("sla_due_at").asc(nulls_last=True), "id"
        )


class BareIncidentCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class BareIncidentCreateView(APIView):
    """Insert one incident row (a number from the sequence, then one INSERT) and return it:
    no priority, no clocks, no timeline event, no outbox row."""

    def post(self, request: Request) -> Response:
        data = BareIncidentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        now = timezone.now()
        with transaction.atomic():
            incident = Incident.objects.create(
                number=allocate_number(Incident.NUMBER_PREFIX),
                title=data.validated_data["title"],
                description=data.validated_data["description"],
                requester=cast(User, request.user),
                identified_at=now,
                created_at=now,
                updated_at=now,
            )
        return Response(
            {"number": incident.number, "title": incident.title}, status=status.HTTP_201_CREATED
        )


# The agent pages' baseline (benchmarks/page_bench.py): the same 50 open tickets in the same order
# as a kind's agent list, rendered by a plain Django template over a narrow values() query, with
# the session and middleware every page pays for, and none of the list's scoping, filters, tabs,
# counts, SLA clocks or badges.
_BARE_ROWS = Engine.get_default().from_string(
    "<!doctype html><html lang=en><title>{{ label }}</title><table><tbody>"
    "{% for t in rows %}<tr><td>{{ t.number }}</td><td>{{ t.title }}</td>"
    "<td>{{ t.status }}</td><td>{{ t.priority }}</td>"
    "<td>{{ t.created_at|date:'c' }}</td></tr>{% endfor %}</tbody></table></html>"
)


def bare_ticket_rows(request: HttpRequest, kind_name: str) -> HttpResponse:
    kind = kind_named(kind_name)
    rows = (
        kind.model.objects.filter(status__in=sorted(kind.lifecycle.open))
        .order_by(F("sla_due_at").asc(nulls_last=True), "id")
        .values("number", "title", "status", "priority", "created_at")[:50]
    )
    context = Context({"rows": list(rows), "label": kind.plural})
    return HttpResponse(_BARE_ROWS.render(context))


# The ticket pages' baseline: the ticket's header fields and its newest TIMELINE_PAGE_SIZE events
# (public ones only for the portal) from two narrow values() queries, through a plain template.
_BARE_TICKET = Engine.get_default().from_string(
    "<!doctype html><html lang=en><title>{{ ticket.number }}</title><h1>{{ ticket.number }} "
    "{{ ticket.title }}</h1><p>{{ ticket.status }} {{ ticket.priority }} "
    "{{ ticket.created_at|date:'c' }}</p><div>{{ ticket.description|linebreaks }}</div><ol>"
    "{% for e in events %}<li>{{ e.created_at|date:'c' }} {{ e.kind }} {{ e.from_status }} "
    "{{ e.to_status }} {{ e.message|linebreaks }}</li>{% endfor %}</ol></html>"
)


def bare_ticket(
    request: HttpRequest, kind_name: str, number: str, public_only: bool = False
) -> HttpResponse:
    model = kind_named(kind_name).model
    ticket = model.objects.values(
        "id", "number", "title", "description", "status", "priority", "created_at"
    ).get(number=number)
    events = TimelineEvent.objects.filter(
        ticket_type=ContentType.objects.get_for_model(model), ticket_id=ticket["id"]
    )
    if public_only:
        events = events.filter(is_public=True)
    newest = events.order_by("-id").values(
        "kind", "from_status", "to_status", "message", "created_at"
    )[: settings.TIMELINE_PAGE_SIZE]
    context = Context({"ticket": ticket, "events": list(reversed(newest))})
    return HttpResponse(_BARE_TICKET.render(context))


def bare_portal_tickets(request: HttpRequest) -> HttpResponse:
    """The portal's "My tickets" baseline: the signed-in requester's newest incidents, a page of
    the portal's size, without the merge with requests, cursors, counts or filters."""
    rows = (
        Incident.objects.filter(requester_id=request.user.pk)
        .order_by("-updated_at", "-id")
        .values("number", "title", "status", "priority", "created_at")[:MY_TICKETS_PAGE_SIZE]
    )
    return HttpResponse(_BARE_ROWS.render(Context({"rows": list(rows), "label": "My tickets"})))
