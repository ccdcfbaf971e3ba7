"""REST API routes of changes, mounted under /api/v1/ by config/api_urls.py.

URL names: `changes-list`, `changes-detail`, `changes-<action>` (the action table's: assess,
submit, revise, schedule, schedule-standard, start, start-emergency, complete, fail, back-out,
review, close, close-review, cancel, assign, claim, decide, link-problem, unlink-problem,
link-incident, unlink-incident), `changes-links`, `changes-comments`, `changes-attachments`,
`changes-attachment-download`, `changes-timeline`; `change-templates-list`,
`change-templates-detail`, `change-templates-retire`, `change-templates-reactivate`.
"""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from changes.api import calendar_urls, patch_urls
from changes.api.change_templates import ChangeTemplateViewSet
from changes.api.views import ChangeViewSet

router = SimpleRouter()
router.register("changes", ChangeViewSet, basename="changes")
router.register("change-templates", ChangeTemplateViewSet, basename="change-templates")

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    *calendar_urls.urlpatterns,
    *patch_urls.urlpatterns,
]
