"""HTML routes of the email channel (namespace "email_intake")."""

from django.urls import path

from email_intake.views.log import inbound_log_view, inbound_retry_view
from email_intake.views.mailboxes import (
    mailbox_create_view,
    mailbox_deactivate_view,
    mailbox_detail_view,
    mailbox_edit_view,
    mailbox_list_view,
    mailbox_test_view,
)
from email_intake.views.messages import message_raw_view, message_view

app_name = "email_intake"

urlpatterns = [
    path("email/mailboxes/", mailbox_list_view, name="mailbox_list"),
    path("email/mailboxes/new/", mailbox_create_view, name="mailbox_create"),
    path("email/mailboxes/<int:pk>/", mailbox_detail_view, name="mailbox_detail"),
    path("email/mailboxes/<int:pk>/edit/", mailbox_edit_view, name="mailbox_edit"),
    path("email/mailboxes/<int:pk>/test/", mailbox_test_view, name="mailbox_test"),
    path(
        "email/mailboxes/<int:pk>/deactivate/", mailbox_deactivate_view, name="mailbox_deactivate"
    ),
    path("email/refused/", inbound_log_view, name="inbound_log"),
    path("email/refused/<int:pk>/retry/", inbound_retry_view, name="inbound_retry"),
    path("email/messages/<int:pk>/", message_view, name="message"),
    path("email/messages/<int:pk>/raw/", message_raw_view, name="message_raw"),
]
