"""HTML routes of the change calendar, freeze windows and standard-change templates, and the
calendar's iCalendar feed. Included into the "changes" namespace beside changes/urls.py, so
their names are `changes:calendar*`, `changes:freeze_*` and `changes:template_*`."""

from django.urls import path

from changes.views.calendar import (
    calendar_feed_link_view,
    calendar_feed_renew_view,
    calendar_feed_view,
    calendar_view,
)
from changes.views.change_templates import (
    template_activate_view,
    template_create_view,
    template_edit_view,
    template_list_view,
    template_retire_view,
)
from changes.views.freeze import (
    freeze_create_view,
    freeze_delete_view,
    freeze_edit_view,
    freeze_list_view,
)

urlpatterns = [
    path("agent/changes/calendar/", calendar_view, name="calendar"),
    path("agent/changes/calendar/feed/", calendar_feed_renew_view, name="calendar_feed_renew"),
    path("agent/changes/calendar/feed/link/", calendar_feed_link_view, name="calendar_feed_link"),
    path("changes/calendar/feed/<str:token>.ics", calendar_feed_view, name="calendar_feed"),
    path("agent/changes/freeze-windows/", freeze_list_view, name="freeze_list"),
    path("agent/changes/freeze-windows/new/", freeze_create_view, name="freeze_create"),
    path("agent/changes/freeze-windows/<int:pk>/edit/", freeze_edit_view, name="freeze_edit"),
    path("agent/changes/freeze-windows/<int:pk>/delete/", freeze_delete_view, name="freeze_delete"),
    path("agent/changes/templates/", template_list_view, name="template_list"),
    path("agent/changes/templates/new/", template_create_view, name="template_create"),
    path("agent/changes/templates/<int:pk>/edit/", template_edit_view, name="template_edit"),
    path("agent/changes/templates/<int:pk>/retire/", template_retire_view, name="template_retire"),
    path(
        "agent/changes/templates/<int:pk>/activate/",
        template_activate_view,
        name="template_activate",
    ),
]
