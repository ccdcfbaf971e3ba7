"""Change routes. The change page and its actions, notes, files, assignment and claiming are
the kernel's (core.web.ticket_urls: `agent_detail`, `agent_transition` — every panel posts
there —, `agent_comment`...), after the change routes whose second segment could be read as a
change number."""

from django.urls import path

from changes import urls_calendar, urls_patches
from changes.views import changes, portal
from changes.views.changes import ChangePage
from core.web.ticket_urls import agent_ticket_urls

app_name = "changes"

urlpatterns = [
    path("portal/changes/<str:number>/", portal.change_portal_detail, name="portal_detail"),
    path("agent/changes/", changes.change_list, name="agent_list"),
    path("agent/changes/new/", changes.change_new, name="new"),
    *urls_patches.urlpatterns,
    *urls_calendar.urlpatterns,
    *agent_ticket_urls("agent/changes/", ChangePage),
]
