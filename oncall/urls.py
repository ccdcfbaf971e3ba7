"""HTML routes of on-call schedules (namespace "oncall")."""

from django.urls import path

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
