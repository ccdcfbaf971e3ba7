"""HTML routes of on-call schedules (namespace "oncall")."""

from django.urls import path

from oncall.views.ack import page_link_view
from oncall.views.contacts import (
    contact_delete_view,
    contact_rotate_view,
    contact_test_view,
    contact_toggle_view,
    contact_view,
    rule_add_view,
    rule_delete_view,
)
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
from oncall.views.policies import (
    policies_view,
    policy_delete_view,
    policy_new_view,
    policy_view,
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
    path("oncall/policies/", policies_view, name="policies"),
    path("oncall/policies/new/", policy_new_view, name="policy_new"),
    path("oncall/policies/<int:pk>/", policy_view, name="policy"),
    path("oncall/policies/<int:pk>/delete/", policy_delete_view, name="policy_delete"),
    path("oncall/contact/", contact_view, name="contact"),
    path("oncall/contact/<int:pk>/toggle/", contact_toggle_view, name="contact_toggle"),
    path("oncall/contact/<int:pk>/delete/", contact_delete_view, name="contact_delete"),
    path("oncall/contact/<int:pk>/rotate/", contact_rotate_view, name="contact_rotate"),
    path("oncall/contact/<int:pk>/test/", contact_test_view, name="contact_test"),
    path("oncall/contact/<int:pk>/rules/", rule_add_view, name="rule_add"),
    path("oncall/contact/rules/<int:pk>/delete/", rule_delete_view, name="rule_delete"),
]
