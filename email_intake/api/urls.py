"""REST routes of the email channel, mounted under /api/v1/ (`mailboxes-list|detail`,
`inbound-emails-list|detail|retry`)."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from email_intake.api.views import InboundEmailViewSet, MailboxViewSet

router = SimpleRouter()
router.register("mailboxes", MailboxViewSet, basename="mailboxes")
router.register("inbound-emails", InboundEmailViewSet, basename="inbound-emails")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
