"""What the portal, agent and approval pages of requests show alike: the answers to the item's
questions, and the SLA targets in the requester's words."""

from dataclasses import dataclass
from datetime import datetime

from core.models import User
from service_requests.answers import AnswerRow, answer_rows, user_ids_in
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest
from service_requests.selectors import fields_of
from sla.choices import ClockState, Metric
from sla.models import SlaClock


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
