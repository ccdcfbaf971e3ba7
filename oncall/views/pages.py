"""The on-call pages of the agent workspace: who is on call now, a schedule (two-week timeline,
overrides), my shifts (with a feed link)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.exceptions import ValidationFailed
from core.web.access import agent_required, current_user
from core.web.forms import apply_domain_errors
from oncall.access import can_delete_override, can_manage_group_schedules, can_write_overrides
from oncall.forms import OverrideForm
from oncall.models import Override, Schedule
from oncall.paging.ticket_panel import pages_for_person
from oncall.selectors import (
    on_call_for_group,
    people_by_id,
    person_shifts,
    schedule_get,
    schedule_timeline,
)
from oncall.services import feed_token_renew, override_create, override_delete
from oncall.timeline import day_ticks, timeline_rows

TIMELINE_DAYS = 14
MY_SHIFTS_DAYS = 28


@never_cache
@agent_required
def on_call_now_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "oncall/now.html",
        {
            "on_call": on_call_for_group(None, now),
            "now": now,
            "pages_for_me": pages_for_person(current_user(request)),
        },
    )


def _range_start(request: HttpRequest, zone: ZoneInfo) -> datetime:
    """Midnight (schedule zone) of ?from=YYYY-MM-DD, else of today; a bad date is today."""
    try:
        day = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        day = timezone.now().astimezone(zone).date()
    return datetime.combine(day, datetime.min.time(), zone)


def _schedule_page(
    request: HttpRequest,
    schedule_pk: int,
    form: OverrideForm | None = None,
    status: int = 200,
    feed_url: str = "",
) -> HttpResponse:
    user = current_user(request)
    probe = get_object_or_404(Schedule, pk=schedule_pk)
    zone = ZoneInfo(probe.time_zone)
    start = _range_start(request, zone)
    end = start + timedelta(days=TIMELINE_DAYS)
    schedule = schedule_get(schedule_pk, window=(start - timedelta(days=62), end))
    people = people_by_id([schedule])
    timeline = schedule_timeline(schedule, start, end)
    rows = timeline_rows(timeline, start, end, people)
    upcoming = [o for o in schedule.overrides.all() if o.end > timezone.now()]
    group = schedule.support_group
    return render(
        request,
        "oncall/schedule.html",
        {
            "schedule": schedule,
            "rows": rows,
            "final": rows[-1],
            "final_shifts": [
                (s, people[s.person_id].display_name if s.person_id in people else s.person_id)
                for s in timeline[-1].shifts
            ],
            "people": people,
            "ticks": day_ticks(start, TIMELINE_DAYS, zone),
            "start": start,
            "end": end,
            "previous": (start - timedelta(days=TIMELINE_DAYS)).date().isoformat(),
            "next": end.date().isoformat(),
            "overrides": [(o, can_delete_override(user, o)) for o in upcoming],
            "form": form or OverrideForm(schedule=schedule, initial={"person": user.pk}),
            "can_override": can_write_overrides(user, group),
            "can_manage": can_manage_group_schedules(user, group),
            "feed_url": feed_url,
        },
        status=status,
    )


@never_cache
@agent_required
def schedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _schedule_page(request, pk)


@require_POST
@agent_required
def override_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule.objects.select_related("support_group"), pk=pk)
    form = OverrideForm(request.POST, schedule=schedule)
    if not form.is_valid():
        return _schedule_page(request, pk, form, status=400)
    try:
        override_create(
            schedule=schedule,
            person=form.cleaned_data["person"],
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            actor=current_user(request),
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _schedule_page(request, pk, form, status=400)
    messages.success(request, "The override is saved.")
    return redirect("oncall:schedule", pk)


@require_POST
@agent_required
def override_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    override = get_object_or_404(Override.objects.select_related("schedule__support_group"), pk=pk)
    override_delete(override=override, actor=current_user(request))
    messages.success(request, "The override is removed.")
    return redirect("oncall:schedule", override.schedule_id)


@require_POST
@agent_required
def schedule_feed_view(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule.objects.select_related("support_group"), pk=pk)
    if not can_manage_group_schedules(current_user(request), schedule.support_group):
        raise PermissionDenied("Only admins and the group's manager can renew its feed.")
    token = feed_token_renew(schedule=schedule)
    url = request.build_absolute_uri(reverse("oncall:feed", args=[token]))
    return _schedule_page(request, pk, feed_url=url)


def _my_shifts_page(request: HttpRequest, feed_url: str = "") -> HttpResponse:
    user = current_user(request)
    start = timezone.now()
    shifts = person_shifts(user, start, start + timedelta(days=MY_SHIFTS_DAYS))
    return render(
        request,
        "oncall/my_shifts.html",
        {
            "shifts": shifts,
            "days": MY_SHIFTS_DAYS,
            "feed_url": feed_url,
            "pages_for_me": pages_for_person(user),
        },
    )


@never_cache
@agent_required
def my_shifts_view(request: HttpRequest) -> HttpResponse:
    return _my_shifts_page(request)


@require_POST
@agent_required
def my_feed_view(request: HttpRequest) -> HttpResponse:
    token = feed_token_renew(person=current_user(request))
    return _my_shifts_page(
        request, request.build_absolute_uri(reverse("oncall:feed", args=[token]))
    )
