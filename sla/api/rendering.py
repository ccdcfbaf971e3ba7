"""The API of a ticket kind with SLA clocks: its tickets render with their clocks."""

from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.api import etag
from core.api.serializers import render_one
from core.api.views import TicketViewSet
from core.models import TicketBase
from sla.models import SlaClock
from sla.selectors import clocks_for_tickets


class ClockedTicketViewSet(TicketViewSet):
    """A TicketViewSet whose output serializer shows SLA clocks (sla.api.serializers.
    WithSlaClocks): every ticket it renders carries its clocks, read in one query per ticket
    or per page, all measured at one `now`."""

    def _output(self) -> type[BaseSerializer[Any]]:
        # The class's own output shape, also while an action route has its input serializer.
        output = type(self).serializer_class
        assert output is not None, f"{type(self).__name__} sets serializer_class"
        return output

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context.setdefault("now", timezone.now())
        return context

    def render_ticket(
        self,
        ticket: Any,
        *,
        status_code: int = status.HTTP_200_OK,
        clocks: list[SlaClock] | None = None,
    ) -> Response:
        """The ticket with its ETag and clocks (`clocks` when already in hand, as after a
        create)."""
        if clocks is None:
            clocks = clocks_for_tickets([ticket])[ticket.pk]
        context = {**self.get_serializer_context(), "clocks": {ticket.pk: clocks}}
        data = render_one(self._output(), ticket, context)
        return etag.with_etag(Response(data, status=status_code), ticket)

    def render_page(self, tickets: Sequence[TicketBase]) -> Response:
        """One page of tickets in the output shape (one query for all their clocks)."""
        context = {**self.get_serializer_context(), "clocks": clocks_for_tickets(tickets)}
        data = self._output()(tickets, many=True, context=context).data
        return self.get_paginated_response(data)
