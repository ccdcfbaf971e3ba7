"""Who may open a page, and the small request helpers every HTML view shares."""

from collections.abc import Callable
from functools import cached_property, wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from core.capped_counts import CappedCount, capped_window_counts
from core.models import User
from core.roles import is_agent

ViewFunc = Callable[..., HttpResponse]
M = TypeVar("M", bound=Model)


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (for type checking)."""

    htmx: HtmxDetails


def current_user(request: HttpRequest) -> User:
    """The signed-in user (views are behind login_required, so anything else is a 404)."""
    user = request.user
    if not isinstance(user, User):
        raise Http404("Not found.")
    return user


def agent_required(view: ViewFunc) -> ViewFunc:
    """Agents, managers and admins only; anyone else gets the same 404 as an unknown page,
    so the agent workspace does not reveal that it exists."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_agent(request.user):
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    return wrapped


def paginate(request: HttpRequest, queryset: QuerySet[M], per_page: int) -> Page[M]:
    # get_page() turns a bad or out-of-range ?page= into the nearest real page, never a 404.
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


if TYPE_CHECKING:
    # Generic in django-stubs only: at run time Paginator takes no type arguments.
    _Paginator = Paginator[Any]
else:
    _Paginator = Paginator


class CountedPaginator(_Paginator):
    """A paginator told its total up front (a capped count, or the queue's tab counts), so it
    runs no COUNT query of its own."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, count: CappedCount) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> CappedCount:
        return self._known_count


def paginate_capped(request: HttpRequest, queryset: QuerySet[M], per_page: int) -> Page[M]:
    """`paginate`, counting at most LIST_COUNT_CAP rows (core.capped_counts): past the cap the
    pages stop there and `page.paginator.count.label` says "10,000+"."""
    count = capped_window_counts(queryset, {"all": None})["all"]
    paginator = CountedPaginator(queryset, per_page, count=count)
    return paginator.get_page(request.GET.get("page"))


def queue_refresh_seconds() -> int:
    """How often ticket lists poll for fresh rows (HTMX); 0 (or less) turns polling off."""
    return max(0, settings.QUEUE_REFRESH_SECONDS)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` URL posted with a form, if it points back into this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
