"""The project's URLs plus the chore kind's: its agent list and page (the kernel's) and its API
(the kernel's actions). Tests of the kind use `@pytest.mark.urls("tests.kindtest.urls")`."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from config.urls import urlpatterns as project_urls
from core.web.ticket_list import ticket_list
from core.web.ticket_urls import agent_ticket_urls
from tests.kindtest.api import ChoreViewSet
from tests.kindtest.views import ChorePage

router = SimpleRouter()
router.register("chores", ChoreViewSet, basename="chores")

chore_pages = (
    [
        path("agent/chores/", ticket_list, {"kind_name": "chore"}, name="agent_list"),
        *agent_ticket_urls("agent/chores/", ChorePage),
    ],
    "chores",
)

urlpatterns = [
    path("", include(chore_pages)),
    path("api/v1/", include(router.urls)),
    *project_urls,
]
