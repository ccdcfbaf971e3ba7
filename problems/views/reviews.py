"""The post-incident review editor of a major incident: the blameless template, the incident's
timeline assembled from its events, action items, and completion (which lets the incident be
closed)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import User
from core.selectors import timeline_for_user
from core.web.access import agent_required, current_user
from core.web.forms import apply_domain_errors
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


def _post_form(
    request: HttpRequest,
    number: str,
    form_class: type[Form],
    *,
    prefix: str,
    write: Callable[[PostIncidentReview, dict[str, Any], User], object],
    success: str,
) -> HttpResponse:
    """Bind the page's form of that `prefix` (the name `_render` knows it by) and
    `write(review, data, actor)`: invalid fields show on the page again with what was typed,
    any other refusal is a message above it."""
    incident = _incident(request, number)
    review = _existing_review(incident)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            write(review, form.cleaned_data, current_user(request))
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        except (TransitionError, ConflictError) as exc:
            messages.error(request, str(exc))
            return _back(number)
        else:
            messages.success(request, success)
            return _back(number)
    return _render(request, incident, review, bound={prefix: form})


@agent_required
@require_POST
def review_save(request: HttpRequest, number: str) -> HttpResponse:
    def write(review: PostIncidentReview, data: dict[str, Any], actor: User) -> object:
        values = {name: data[name] for name in reviews.REVIEW_FIELDS}
        return reviews.review_update(
            review, actor=actor, values=values, expected_version=data["version"]
        )

    return _post_form(
        request, number, ReviewForm, prefix="review", write=write, success="Review saved."
    )


@agent_required
@require_POST
def review_add_item(request: HttpRequest, number: str) -> HttpResponse:
    def write(review: PostIncidentReview, data: dict[str, Any], actor: User) -> object:
        return reviews.review_add_action_item(
            review,
            actor=actor,
            description=data["description"],
            owner=data["owner"],
            due_date=data["due_date"],
        )

    return _post_form(
        request, number, ActionItemForm, prefix="item", write=write, success="Action item added."
    )


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
    messages.success(request, f"Review completed; {incident.number} can now be closed.")
    return _back(number)
