"""The change calendar of the agent workspace: a month (a grid on wide screens, a list of days on
narrow ones) or a week, by service; conflicts and freeze windows flagged in words; the
person's iCalendar feed (renewed here, with a link for one chosen service) and the feed itself
behind its secret URL."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from changes.calendar.conflicts import conflicts_by_change
from changes.calendar.feed import (
    feed_calendar,
    feed_has_token,
    feed_owner,
    feed_services,
    feed_token_renew,
)
from changes.calendar.freeze import can_manage_calendar
from changes.calendar.month import ONE_DAY, Day, arrange, midnight, month_grid, weeks
from changes.calendar.windows import calendar_changes, change_path, freeze_windows_between
from changes.forms_calendar import CalendarQueryForm, FeedLinkForm
from core.models import Service
from core.web.access import agent_required, current_user
from slo.selectors import exhausted_service_ids

# At most this many changes on one page (DESIGN.md §7: no page renders more than a page of
# tickets); past it the page says so and points to the week view and the service filter.
MAX_CHANGES = 100
STALE_LINK = "That calendar link no longer works (a newer one replaced it): get a new link."


@dataclass(frozen=True)
class Span:
    """What one calendar page shows: `first`..`last` drawn, `in_range` the month or week."""

    view: str
    first: date
    last: date
    in_range: tuple[date, date]
    previous: date
    following: date
    title: str


def _span(view: str, month: date | None, week: date | None, today: date) -> Span:
    if view == "week":
        monday = (week or today) - timedelta(days=(week or today).weekday())
        sunday = monday + 6 * ONE_DAY
        return Span(
            view="week",
            first=monday,
            last=sunday,
            in_range=(monday, sunday),
            previous=monday - 7 * ONE_DAY,
            following=monday + 7 * ONE_DAY,
            title=f"Week of {monday:%-d %B %Y}",
        )
    first_of_month = month or today.replace(day=1)
    start, end = month_grid(first_of_month)
    following = (first_of_month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Span(
        view="month",
        first=start,
        last=end,
        in_range=(first_of_month, following - ONE_DAY),
        previous=(first_of_month - ONE_DAY).replace(day=1),
        following=following,
        title=f"{first_of_month:%B %Y}",
    )


def _page_query(span: Span, when: date, service: Service | None) -> str:
    parts = [f"view={span.view}"]
    parts.append(f"week={when.isoformat()}" if span.view == "week" else f"month={when:%Y-%m}")
    if service is not None:
        parts.append(f"service={service.pk}")
    return "?" + "&".join(parts)


@dataclass(frozen=True)
class FeedLinks:
    """The person's feed as the page shows it right after it was made (the secret is shown
    only then): the link, the form for a one-service link, and that link once chosen."""

    token: str
    url: str
    form: FeedLinkForm
    service: Service | None = None

    @property
    def service_url(self) -> str:
        return f"{self.url}?service={self.service.pk}" if self.service is not None else ""


def _feed_links(request: HttpRequest, token: str, form: FeedLinkForm | None = None) -> FeedLinks:
    url = request.build_absolute_uri(reverse("changes:calendar_feed", args=[token]))
    form = form or FeedLinkForm(initial={"token": token})
    service = form.cleaned_data.get("service") if form.is_bound and form.is_valid() else None
    return FeedLinks(token=token, url=url, form=form, service=service)


def _calendar_page(
    request: HttpRequest,
    *,
    feed: FeedLinks | None = None,
    feed_error: str = "",
    status: int | None = None,
) -> HttpResponse:
    user = current_user(request)
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    form = CalendarQueryForm(request.GET or None)
    query: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    service = query.get("service")
    span = _span(query.get("view") or "month", query.get("month"), query.get("week"), today)
    start, end = midnight(span.first, zone), midnight(span.last + ONE_DAY, zone)
    changes = list(calendar_changes(start, end, service=service)[: MAX_CHANGES + 1])
    truncated = len(changes) > MAX_CHANGES
    changes = changes[:MAX_CHANGES]
    conflicts = conflicts_by_change(changes)
    spent = exhausted_service_ids({c.service_id for c in changes if c.service_id is not None})
    freezes = list(freeze_windows_between(start, end))
    days = arrange(
        span.first,
        span.last,
        zone=zone,
        today=today,
        in_range=span.in_range,
        changes=changes,
        conflicts=conflicts,
        freezes=freezes,
        paths={change.pk: change_path(change.number) for change in changes},
    )
    in_range: list[Day] = [d for d in days if d.in_range]
    return render(
        request,
        "changes/calendar/calendar.html",
        {
            "form": form,
            "span": span,
            "service": service,
            "days": in_range,
            "weeks": weeks(days) if span.view == "month" else [],
            "freezes": freezes,
            "conflicted": [(c, conflicts[c.pk]) for c in changes if c.pk in conflicts],
            # Services whose error budget is spent: their normal changes need one more approval.
            "spent_services": spent,
            "change_count": len(changes),
            "truncated": truncated,
            "max_changes": MAX_CHANGES,
            "previous_query": _page_query(span, span.previous, service),
            "following_query": _page_query(span, span.following, service),
            "today_query": _page_query(span, today, service),
            "other_view_query": _other_view_query(span, today, service),
            "can_manage": can_manage_calendar(user),
            "has_feed": feed is not None or feed_has_token(user),
            "feed": feed,
            "feed_error": feed_error,
        },
        status=status or (200 if form.is_valid() or not request.GET else 400),
    )


def _other_view_query(span: Span, today: date, service: Service | None) -> str:
    """The week view of the month's first week (or this week), or the month of the week."""
    if span.view == "week":
        other = Span("month", span.first, span.last, span.in_range, span.first, span.first, "")
        return _page_query(other, span.first, service)
    week = Span("week", span.first, span.last, span.in_range, span.first, span.first, "")
    first = span.in_range[0]
    return _page_query(week, today if first <= today <= span.in_range[1] else first, service)


@never_cache
@agent_required
@require_GET
def calendar_view(request: HttpRequest) -> HttpResponse:
    return _calendar_page(request)


@never_cache
@agent_required
@require_POST
def calendar_feed_renew_view(request: HttpRequest) -> HttpResponse:
    token = feed_token_renew(person=current_user(request))
    return _calendar_page(request, feed=_feed_links(request, token))


@never_cache
@agent_required
@require_POST
def calendar_feed_link_view(request: HttpRequest) -> HttpResponse:
    """The person's feed link again, with the link for one chosen service. The secret comes
    back from the page that showed it and must still open this person's own feed; a bad or
    stale one shows no link at all."""
    form = FeedLinkForm(request.POST)
    token = str(request.POST.get(f"{FeedLinkForm.prefix}-token", ""))
    if feed_owner(token) != current_user(request):
        return _calendar_page(request, status=400, feed_error=STALE_LINK)
    return _calendar_page(
        request, feed=_feed_links(request, token, form), status=None if form.is_valid() else 400
    )


@require_GET
def calendar_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    if feed_owner(token) is None:
        raise Http404("No such feed.")
    try:
        services = feed_services(request.GET.getlist("service"))
    except ValueError as error:
        # Calendar apps show the body of a failed subscription as it is: plain words.
        return HttpResponseBadRequest(f"{error}\n", content_type="text/plain; charset=utf-8")
    host = request.get_host().split(":")[0] or "servicedesk"

    def change_url(number: str) -> str:
        path = change_path(number)
        return request.build_absolute_uri(path) if path else ""

    body = feed_calendar(host=host, now=timezone.now(), change_url=change_url, services=services)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
