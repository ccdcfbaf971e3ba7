from django.urls import path

from core import attachment_views, preference_views, token_views
from core.web import pickers

app_name = "core"

urlpatterns = [
    path(
        "attachments/<str:token>/download",
        attachment_views.attachment_download,
        name="attachment_download",
    ),
    path("agent/pickers/assignees/", pickers.assignee_options, name="assignee_options"),
    path(
        "agent/pickers/configuration-items/",
        pickers.configuration_item_options,
        name="configuration_item_options",
    ),
    path("account/preferences/", preference_views.preferences, name="preferences"),
    path("account/tokens/", token_views.token_list, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
