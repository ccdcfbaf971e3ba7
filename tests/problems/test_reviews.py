"""Post-incident reviews: a major incident cannot be closed (by an agent, its requester or the
auto-close task) until its review is completed."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import TimelineEvent
from core.tasks import autoclose_task as autoclose_resolved_task
from incidents import services as incident_services
from incidents.choices import IncidentStatus
from problems import reviews
from problems.choices import ReviewStatus

pytestmark = pytest.mark.django_db

FILLED = {
    "summary": "Mail was down for 2 hours.",
    "impact": "All staff could not send mail.",
    "detection": "Monitoring alert after 5 minutes.",
    "response": "Failed over to the standby relay.",
    "root_cause": "Certificate expired.",
    "went_well": "",
    "to_improve": "Alert 30 days before expiry.",
}


@pytest.fixture
def major(make_incident):
    return make_incident(
        IncidentStatus.RESOLVED,
        is_major=True,
        contained_at=timezone.now() - timedelta(hours=2),
        resolved_at=timezone.now() - timedelta(hours=1),
        diagnosis_notes="The relay certificate expired.",
    )


def test_a_major_incident_cannot_be_closed_before_its_review(major, agent_l1, end_user):
    with pytest.raises(TransitionError, match="post-incident review is completed"):
        incident_services.incident_close(major, actor=agent_l1)
    with pytest.raises(TransitionError, match="post-incident review is completed"):
        incident_services.incident_close(major, actor=end_user)
    major.refresh_from_db()
    assert major.status == IncidentStatus.RESOLVED


def test_completing_the_review_lets_it_close(major, agent_l1):
    review = reviews.review_start(major, actor=agent_l1)
    assert review.root_cause == "The relay certificate expired."  # from the diagnosis
    review = reviews.review_update(review, actor=agent_l1, values=FILLED)
    review = reviews.review_complete(review, actor=agent_l1, expected_version=review.version)
    assert (review.status, review.completed_by) == (ReviewStatus.COMPLETED, agent_l1)
    major.refresh_from_db()
    assert major.review_completed_at is not None
    events = TimelineEvent.objects.filter(
        ticket_type=ContentType.objects.get_for_model(major), ticket_id=major.pk
    )
    assert events.filter(kind="review", changes__completed=True).count() == 1
    closed = incident_services.incident_close(major, actor=agent_l1)
    assert closed.status == IncidentStatus.CLOSED


def test_auto_close_skips_a_major_incident_without_review(major, make_incident, settings):
    settings.INCIDENT_AUTOCLOSE_DAYS = 0
    minor = make_incident(IncidentStatus.RESOLVED, resolved_at=timezone.now() - timedelta(hours=1))
    assert autoclose_resolved_task() == 1
    major.refresh_from_db()
    minor.refresh_from_db()
    assert (major.status, minor.status) == (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)


def test_completion_needs_every_section_but_what_went_well(major, agent_l1):
    review = reviews.review_start(major, actor=agent_l1)
    review = reviews.review_update(
        review, actor=agent_l1, values={**FILLED, "detection": "", "to_improve": " "}
    )
    with pytest.raises(ValidationFailed) as refused:
        reviews.review_complete(review, actor=agent_l1)
    assert set(refused.value.errors) == {"detection", "to_improve"}
    major.refresh_from_db()
    assert major.review_completed_at is None


def test_completion_needs_the_incident_resolved(make_incident, agent_l1):
    ongoing = make_incident(IncidentStatus.CONTAINED, is_major=True, contained_at=timezone.now())
    review = reviews.review_start(ongoing, actor=agent_l1)
    review = reviews.review_update(review, actor=agent_l1, values=FILLED)
    with pytest.raises(TransitionError, match="once it is resolved"):
        reviews.review_complete(review, actor=agent_l1)
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT


def test_a_completed_review_is_read_only_but_items_can_be_ticked(major, agent_l1):
    review = reviews.review_start(major, actor=agent_l1)
    item = reviews.review_add_action_item(
        review,
        actor=agent_l1,
        description="Alert on expiry",
        owner=agent_l1,
        due_date=timezone.localdate(),
    )
    review = reviews.review_update(review, actor=agent_l1, values=FILLED)
    reviews.review_complete(review, actor=agent_l1)
    with pytest.raises(TransitionError, match="completed"):
        reviews.review_update(review, actor=agent_l1, values={"summary": "Changed"})
    with pytest.raises(TransitionError, match="completed"):
        reviews.review_add_action_item(
            review,
            actor=agent_l1,
            description="More",
            owner=agent_l1,
            due_date=timezone.localdate(),
        )
    reviews.review_set_action_item_done(item, actor=agent_l1, is_done=True)
    item.refresh_from_db()
    assert item.is_done


def test_reviews_are_for_major_incidents_and_agents(make_incident, agent_l1, end_user, major):
    with pytest.raises(TransitionError, match="not a major incident"):
        reviews.review_start(make_incident(IncidentStatus.RESOLVED), actor=agent_l1)
    with pytest.raises(TransitionError, match="Only agents"):
        reviews.review_start(major, actor=end_user)
    assert reviews.review_start(major, actor=agent_l1) == reviews.review_start(
        major, actor=agent_l1
    )


def test_review_edits_check_the_version_and_the_owner(major, agent_l1, end_user):
    review = reviews.review_start(major, actor=agent_l1)
    reviews.review_update(review, actor=agent_l1, values={"summary": "One"})
    with pytest.raises(ConflictError):
        reviews.review_update(
            review, actor=agent_l1, values={"summary": "Two"}, expected_version=review.version
        )
    with pytest.raises(ValidationFailed) as refused:
        reviews.review_add_action_item(
            review, actor=agent_l1, description="", owner=end_user, due_date=timezone.localdate()
        )
    assert set(refused.value.errors) == {"description", "owner"}


def test_the_review_timeline_is_assembled_from_the_incident_events(major, agent_l1):
    incident_services.incident_comment(
        major, author=agent_l1, body="Failing over now", is_internal=True
    )
    incident_services.incident_reopen(major, actor=agent_l1, reason="Mail is down again.")
    reviews.review_start(major, actor=agent_l1)
    events = list(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(major), ticket_id=major.pk
        ).select_related("actor", "comment", "attachment")
    )
    rows = reviews.review_timeline(major, events)
    # What each event means, as core.tickets.describe reads it; a status change by its route.
    assert [(r.what, r.detail) for r in rows] == [
        ("Added an internal note", "Failing over now"),
        ("Resolved → Classified", "Mail is down again."),
        ("Started the post-incident review", "Post-incident review started."),
    ]
    assert rows[0].actor == agent_l1.display_name
    assert rows[0].offset_seconds > 0
    assert [row.at for row in rows] == [event.created_at for event in events]
