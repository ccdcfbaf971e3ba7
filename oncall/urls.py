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

app_name = "oncall"

urlpatterns = [
    path("oncall/", on_call_now_view, name="now"),
    path("oncall/schedules/<int:pk>/", schedule_view, name="schedule"),
    path("oncall/schedules/<int:pk>/overrides/", override_create_view, name="override_create"),
    path("oncall/schedules/<int:pk>/feed/", schedule_feed_view, name="schedule_feed"),
    path("oncall/overrides/<int:pk>/delete/", override_delete_view, name="override_delete"),
    path("oncall/my-shifts/", my_shifts_view, name="my_shifts"),
    path("oncall/my-shifts/feed/", my_feed_view, name="my_feed"),
    path("oncall/feeds/<str:token>.ics", feed_view, name="feed"),
    path("oncall/pages/<int:page_id>/link/<str:token>/", page_link_view, name="page_link"),
]
