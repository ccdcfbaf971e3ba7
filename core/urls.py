from django.urls import path

from core import attachment_views

app_name = "core"

urlpatterns = [
    path(
        "attachments/<str:token>/download",
        attachment_views.attachment_download,
        name="attachment_download",
    ),
]
