"""What the portal, agent and approval pages of requests show alike: the answers to the item's
questions."""

from core.models import User
from service_requests.answers import AnswerRow, answer_rows, user_ids_in
from service_requests.models import ServiceRequest
from service_requests.selectors import fields_of


def answers_for(request: ServiceRequest) -> list[AnswerRow]:
    specs = fields_of(request.catalog_item)
    ids = user_ids_in(specs, request.answers)
    users = User.objects.in_bulk(list(ids)) if ids else {}
    return answer_rows(specs, request.answers, users)
