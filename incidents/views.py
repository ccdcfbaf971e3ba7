from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("portal")


@login_required
def agent_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("agent list")
