"""HTML routes of on-call schedules (namespace "oncall")."""

from django.urls import path

from oncall.views.ack import page_link_view
from oncall.views.feeds import feed_view
from oncall.views.pages import (
    my_feed_view,
    my_shifts_view,
    on_call_now_view,
    override_create_view,
    override_delete_view,
    schedule_feed_view,
    schedule_view,
)
from oncall.views.schedule_edit import (
    layer_create_view,
    layer_delete_view,
    layer_edit_view,
    schedule_create_view,
    schedule_delete_view,
    schedule_edit_view,
)
from oncall.views.ticket_pages import (
    page_acknowledge_view,
    page_end_view,
    ticket_page_start_view,
)

app_name = "oncall"

urlpatterns = [
    path("oncall/", on_call_now_view, name="now"),
    path("oncall/schedules/<int:pk>/", schedule_view, name="schedule"),
    path("oncall/schedules/<int:pk>/overrides/", override_create_view, name="override_create"),
    path("oncall/schedules/<int:pk>/feed/", schedule_feed_view, name="schedule_feed"),
    path("oncall/overrides/<int:pk>/delete/", override_delete_view, name="override_delete"),
    path("oncall/schedules/new/", schedule_create_view, name="schedule_create"),
    path("oncall/schedules/<int:pk>/edit/", schedule_edit_view, name="schedule_edit"),
    path("oncall/schedules/<int:pk>/delete/", schedule_delete_view, name="schedule_delete"),
    path("oncall/schedules/<int:pk>/layers/new/", layer_create_view, name="layer_create"),
    path("oncall/layers/<int:pk>/edit/", layer_edit_view, name="layer_edit"),
    path("oncall/layers/<int:pk>/delete/", layer_delete_view, name="layer_delete"),
    path("oncall/my-shifts/", my_shifts_view, name="my_shifts"),
    path("oncall/my-shifts/feed/", my_feed_view, name="my_feed"),
    path("oncall/feeds/<str:token>.ics", feed_view, name="feed"),
    path("oncall/pages/<int:page_id>/link/<str:token>/", page_link_view, name="page_link"),
    path(
        "oncall/tickets/<slug:kind>/<str:number>/page/",
        ticket_page_start_view,
        name="ticket_page_start",
    ),
    path("oncall/pages/<int:pk>/acknowledge/", page_acknowledge_view, name="page_acknowledge"),
    path("oncall/pages/<int:pk>/end/", page_end_view, name="page_end"),
]
