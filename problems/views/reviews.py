"""The post-incident review editor of a major incident: the blameless template, the incident's
timeline assembled from its events, action items, and completion (which lets the incident be
closed)."""

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.selectors import timeline_for_user
from core.web.access import agent_required, current_user
from core.web.submit import form_submit
from problems import reviews
from problems.forms import ActionItemForm, CompleteReviewForm, ReviewForm
from problems.linked_kind import LinkedTicket
from problems.models import PostIncidentReview
from problems.selectors import problems_for_incident, review_for_incident, review_incident_for_user


def _render(
    request: HttpRequest,
    incident: LinkedTicket,
    review: PostIncidentReview | None,
    *,
    bound: dict[str, Form] | None = None,
) -> HttpResponse:
    user = current_user(request)
    bound = bound or {}
    context: dict[str, object] = {"incident": incident, "review": review}
    if review is not None:
        events = list(timeline_for_user(ticket=incident, user=user))
        initial = {name: getattr(review, name) for name in reviews.REVIEW_FIELDS}
        context.update(
            timeline=reviews.review_timeline(incident, events),
            sections=[
                (name, label, getattr(review, name)) for name, label, _ in reviews.REVIEW_SECTIONS
            ],
            review_form=bound.get("review")
            or ReviewForm(initial={"version": review.version, **initial}, prefix="review"),
            item_form=bound.get("item") or ActionItemForm(prefix="item"),
            complete_form=bound.get("complete")
            or CompleteReviewForm(initial={"version": review.version}, prefix="complete"),
            action_items=review.action_items.select_related("owner"),
            problems=problems_for_incident(user, incident),
        )
    return render(request, "problems/agent/review.html", context)


def _incident(request: HttpRequest, number: str) -> LinkedTicket:
    return review_incident_for_user(current_user(request), number)


def _existing_review(incident: LinkedTicket) -> PostIncidentReview:
    review = review_for_incident(incident)
    if review is None:
        raise Http404("The review has not been started.")
    return review


def _back(number: str) -> HttpResponse:
    return redirect("problems:review", number=number)


@agent_required
def review_page(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    return _render(request, incident, review_for_incident(incident))


@agent_required
@require_POST
def review_start_view(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    try:
        reviews.review_start(incident, actor=current_user(request))
    except TransitionError as exc:
        messages.error(request, str(exc))
    return _back(number)


class _ReviewPage:
    """The review page as core.web.submit sees it: the incident is its ticket."""

    def __init__(self, request: HttpRequest, review: PostIncidentReview) -> None:
        self.request = request
        self.review = review

    def render(self, ticket: Any, bound: dict[str, Form] | None = None) -> HttpResponse:
        return _render(self.request, ticket, self.review, bound=bound)

    def back(self, number: str) -> HttpResponse:
        return _back(number)


@agent_required
@require_POST
def review_save(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    review = _existing_review(incident)

    def write(data: dict[str, Any]) -> str:
        values = {name: data[name] for name in reviews.REVIEW_FIELDS}
        reviews.review_update(
            review, actor=current_user(request), values=values, expected_version=data["version"]
        )
        return "Review saved."

    form = ReviewForm(request.POST, prefix="review")
    page = _ReviewPage(request, review)
    # The form guards the review's version, not the incident's.
    return form_submit(
        page, incident, form, write, name="review", version_now=lambda: review.version
    )


@agent_required
@require_POST
def review_add_item(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    review = _existing_review(incident)

    def write(data: dict[str, Any]) -> str:
        reviews.review_add_action_item(
            review,
            actor=current_user(request),
            description=data["description"],
            owner=data["owner"],
            due_date=data["due_date"],
        )
        return "Action item added."

    form = ActionItemForm(request.POST, prefix="item")
    return form_submit(_ReviewPage(request, review), incident, form, write, name="item")


@agent_required
@require_POST
def review_toggle_item(request: HttpRequest, number: str, item_id: int) -> HttpResponse:
    incident = _incident(request, number)
    review = _existing_review(incident)
    item = review.action_items.filter(pk=item_id).first()
    if item is None:
        raise Http404("No such action item.")
    reviews.review_set_action_item_done(
        item, actor=current_user(request), is_done=request.POST.get("done") == "1"
    )
    return _back(number)


@agent_required
@require_POST
def review_complete_view(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    review = _existing_review(incident)
    form = CompleteReviewForm(request.POST, prefix="complete")
    if not form.is_valid():
        return _render(request, incident, review, bound={"complete": form})
    try:
        reviews.review_complete(
            review, actor=current_user(request), expected_version=form.cleaned_data["version"]
        )
    except ValidationFailed as exc:
        missing = ", ".join(
            label for name, label, _ in reviews.REVIEW_SECTIONS if name in exc.errors
        )
        messages.error(request, f"Write these sections first: {missing}.")
        return _back(number)
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return _back(number)
    waiting = reviews.review_close_refusal(incident)
    messages.success(
        request,
        f"Review completed; {waiting}"
        if waiting
        else (f"Review completed; {incident.number} can now be closed."),
    )
    return _back(number)
