"""iCalendar feeds behind a secret URL (no sign-in: calendar apps cannot): a schedule's final
shifts, or a person's shifts on every schedule, from 30 days ago to 90 days ahead."""

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from oncall.ical import Event, calendar
from oncall.selectors import (
    feed_for_token,
    people_by_id,
    person_shifts,
    schedule_get,
    schedule_timeline,
)

PAST = timedelta(days=30)
AHEAD = timedelta(days=90)


@require_GET
def feed_view(request: HttpRequest, token: str) -> HttpResponse:
    feed = feed_for_token(token)
    if feed is None:
        raise Http404("No such feed.")
    now = timezone.now()
    start, end = now - PAST, now + AHEAD
    host = request.get_host().split(":")[0] or "servicedesk"
    if feed.schedule_id is not None:
        schedule = schedule_get(feed.schedule_id, window=(start - timedelta(days=62), end))
        people = people_by_id([schedule])
        name = f"On call: {schedule.name} ({schedule.support_group.name})"
        events = [
            Event(
                uid=f"oncall-{schedule.pk}-{shift.person_id}-{int(shift.start.timestamp())}@{host}",
                start=shift.start,
                end=shift.end,
                summary=f"On call: {people[shift.person_id].display_name}"
                if shift.person_id in people
                else "On call",
                description=f"{schedule.name}, {shift.source}",
            )
            for shift in schedule_timeline(schedule, start, end)[-1].shifts
        ]
    else:
        assert feed.person is not None
        name = f"My on-call shifts ({feed.person.display_name})"
        events = [
            Event(
                uid=f"oncall-{schedule.pk}-{shift.person_id}-{int(shift.start.timestamp())}@{host}",
                start=shift.start,
                end=shift.end,
                summary=f"On call: {schedule.name}",
                description=f"{schedule.support_group.name}, {shift.source}",
            )
            for schedule, shift in person_shifts(feed.person, start, end)
        ]
    response = HttpResponse(
        calendar(name, events, now=now), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=300"
    return response
