"""Helpers shared by the portal, agent and approval pages of service requests."""

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.models import User
from service_requests.answers import AnswerRow, answer_rows, user_ids_in
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest
from service_requests.permissions import can_perform
from service_requests.selectors import fields_of
from service_requests.transitions import Context, Transition, legal_actions
from sla.choices import ClockState, Metric
from sla.models import SlaClock

M = TypeVar("M", bound=Model)


def paginate(request: HttpRequest, queryset: QuerySet[M], per_page: int) -> Page[M]:
    # get_page() turns a bad or out-of-range ?page= into the nearest real page, never a 404.
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def allowed_transitions(user: User, request: ServiceRequest) -> list[Transition]:
    """The lifecycle actions this user may take on this request now (task gating is checked
    when `fulfil` is submitted, so the refusal can name the open tasks)."""
    ctx = Context(now=timezone.now())
    return [t for t in legal_actions(request, ctx) if can_perform(user, request, t.action)]


def answers_for(request: ServiceRequest) -> list[AnswerRow]:
    specs = fields_of(request.catalog_item)
    ids = user_ids_in(specs, request.answers)
    users = User.objects.in_bulk(list(ids)) if ids else {}
    return answer_rows(specs, request.answers, users)


@dataclass(frozen=True)
class Promise:
    text: str
    when: datetime | None = None
    is_late: bool = False


def sla_promises(request: ServiceRequest, clocks: list[SlaClock], now: datetime) -> list[Promise]:
    """What the requester is promised: the running targets, or that they are paused."""
    promises = []
    for clock in clocks:
        if clock.state != ClockState.RUNNING or clock.due_at is None:
            continue
        aim = "start on this" if clock.metric == Metric.RESPONSE else "fulfil this"
        if clock.due_at > now:
            promises.append(Promise(f"We aim to {aim} by", clock.due_at))
        else:
            promises.append(Promise(f"We aimed to {aim} by", clock.due_at, is_late=True))
    if any(clock.state == ClockState.PAUSED for clock in clocks):
        if request.status == RequestStatus.AWAITING_APPROVAL:
            promises.append(Promise("Our target times start once your request is approved."))
        else:
            promises.append(Promise("Our target times are paused while the request is on hold."))
    return promises
