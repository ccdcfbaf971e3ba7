"""The deployments page of the agent workspace (/agent/changes/deployments/): recent
deployments reported by CI/CD, newest first, with version, commit, pipeline link and the change
that records each; filtered by DeploymentFilterSet (the API list's too). A fixed number of
queries per page whatever its length."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.views.decorators.http import require_GET

from changes.deployment_filters import DeploymentFilterSet
from changes.deployments import deployment_list_for_user
from changes.models import Change
from core.tickets.kinds import kind_of
from core.web.access import agent_required, current_user, paginate


def _change_path() -> Callable[[str], str] | None:
    """How to link a change number to its page, or None while no change page is routed."""
    kind = kind_of(Change)
    try:
        kind.agent_path("CHG-000001")
    except NoReverseMatch:
        return None
    return kind.agent_path


@agent_required
@require_GET
def deployments_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filterset = DeploymentFilterSet(
        request.GET,
        queryset=deployment_list_for_user(user).order_by("-deployed_at", "-id"),
        request=request,
    )
    valid = filterset.is_valid()
    rows = filterset.qs if valid else deployment_list_for_user(user).none()
    page = paginate(request, rows, settings.QUEUE_PAGE_SIZE)
    change_path = _change_path()
    deployments = [
        {
            "deployment": deployment,
            "change_path": change_path(deployment.change.number) if change_path else "",
        }
        for deployment in page.object_list
    ]
    return render(
        request,
        "changes/deployments/list.html",
        {"filter": filterset, "page": page, "deployments": deployments},
        status=200 if valid else 400,
    )
