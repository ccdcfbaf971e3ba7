"""The known-error database: published workarounds, searchable."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.web.access import agent_required, current_user, paginate
from problems.forms import KnownErrorSearchForm
from problems.selectors import known_error_list_for_user


@agent_required
def known_error_list(request: HttpRequest) -> HttpResponse:
    form = KnownErrorSearchForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    errors = known_error_list_for_user(
        current_user(request),
        text=data.get("q") or "",
        include_resolved=bool(data.get("include_resolved")),
    )
    page = paginate(request, errors, settings.QUEUE_PAGE_SIZE)
    return render(request, "problems/agent/known_errors.html", {"form": form, "page": page})
