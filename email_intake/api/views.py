"""/api/v1/mailboxes/ (admins: the mailboxes the desk reads; secrets write-only) and
/api/v1/inbound-emails/ (admins: the refused-mail log, read-only, with a `retry` action)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.idempotency import idempotent
from core.api.permissions import HasTokenScope, IsAdmin
from core.api.views import ApiViewSet
from core.exceptions import TransitionError
from email_intake import processing
from email_intake.api.serializers import (
    InboundEmailOutputSerializer,
    MailboxInputSerializer,
    MailboxOutputSerializer,
)
from email_intake.filtersets import InboundEmailFilterSet
from email_intake.models import InboundEmail, Mailbox
from email_intake.selectors import RETRYABLE_STATUSES, inbound_log, mailbox_get, mailbox_list
from email_intake.services import mailbox_delete, mailbox_save

ADMINS = [IsAuthenticated, HasTokenScope, IsAdmin]


class MailboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Mailboxes the desk reads over IMAP. Admins only. Secrets (password, OAuth client
    secret, refresh token) are accepted but never returned; an empty one keeps the stored
    value."""

    queryset = Mailbox.objects.none()  # for the schema only; reads use the selector
    serializer_class = MailboxOutputSerializer
    permission_classes = ADMINS
    lookup_value_regex = r"[0-9]+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Mailbox]:
        return mailbox_list()

    def get_object(self) -> Mailbox:
        mailbox = mailbox_get(int(self.kwargs["pk"]))
        self.check_object_permissions(self.request, mailbox)
        return mailbox

    @extend_schema(summary="List mailboxes (admins)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One mailbox (admins)")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=MailboxInputSerializer,
        responses={201: MailboxOutputSerializer},
        summary="Add a mailbox (admins)",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(MailboxInputSerializer)
        saved = mailbox_save(mailbox=None, data=data, actor=self.current_user())
        return self.render(mailbox_get(saved.pk), status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=MailboxInputSerializer,
        responses=MailboxOutputSerializer,
        summary="Change a mailbox (admins; PATCH changes only what is sent)",
    )
    def update(self, request: Request, pk: str) -> Response:
        return self._update(partial=False)

    @extend_schema(
        request=MailboxInputSerializer,
        responses=MailboxOutputSerializer,
        summary="Change some fields of a mailbox (admins)",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        return self._update(partial=True)

    def _update(self, *, partial: bool) -> Response:
        mailbox = self.get_object()
        serializer = MailboxInputSerializer(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        saved = mailbox_save(
            mailbox=mailbox, data=dict(serializer.validated_data), actor=self.current_user()
        )
        return self.render(mailbox_get(saved.pk))

    @extend_schema(
        responses={204: None, 200: MailboxOutputSerializer},
        summary="Delete a mailbox that never received mail; one that did is deactivated (200)",
    )
    def destroy(self, request: Request, pk: str) -> Response:
        mailbox = self.get_object()
        if mailbox_delete(mailbox=mailbox, actor=self.current_user()):
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self.render(mailbox_get(mailbox.pk))


class InboundEmailViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The refused-mail log: stored messages that were refused, held, quarantined or ignored,
    newest first. Admins only; `retry` sends a refused, held or quarantined one through the
    pipeline again."""

    queryset = InboundEmail.objects.none()  # for the schema only; reads use the selector
    serializer_class = InboundEmailOutputSerializer
    filterset_class = InboundEmailFilterSet
    permission_classes = ADMINS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[InboundEmail]:
        return inbound_log()

    @extend_schema(summary="List refused, held, quarantined and ignored mail (admins)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One message of the refused-mail log (admins)")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses=InboundEmailOutputSerializer,
        summary="Process a refused, held or quarantined message again (admins)",
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        inbound: InboundEmail = self.get_object()
        if inbound.status not in RETRYABLE_STATUSES:
            raise TransitionError(
                f"This message is {inbound.status}; only refused, held or quarantined mail "
                "can be retried."
            )
        inbound = processing.retry_inbound(inbound, actor=self.current_user())
        return self.render(inbound)
