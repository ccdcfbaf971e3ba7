"""Base classes for API viewsets.

`ApiViewSet`      any resource: typed helpers to validate input and render output.
`TicketViewSet`   a ticket kind addressed by its human number (INC-000042): reads go through the
                  kind's scoped selectors (out of scope → 404), writes through its services,
                  responses carry the ETag, `expected_version()` reads If-Match.
`TicketConversationMixin`  comments, attachments (upload, download) and the timeline of a
                  ticket as nested routes, with public/internal visibility per role.

Authentication, the default permissions (signed in + token scope), throttling, pagination and
the error format come from settings.REST_FRAMEWORK; see core/api/*.py.
"""

from typing import Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.api import etag
from core.api.idempotency import idempotent
from core.api.renderers import BinaryRenderer
from core.api.serializers import (
    AttachmentCreateInputSerializer,
    AttachmentOutputSerializer,
    CommentCreateInputSerializer,
    CommentOutputSerializer,
    TimelineEventOutputSerializer,
    render_one,
)
from core.choices import Source
from core.exceptions import TransitionError
from core.models import Attachment, Comment, TicketBase, User
from core.roles import is_agent
from core.selectors import attachments_for_user, timeline_for_user
from core.services import attachment_add
from core.tickets.work import ticket_comment

# A human ticket number in a URL: INC-000042, REQ-000001, PRB-000123 (case-insensitive).
NUMBER_REGEX = r"[A-Za-z]{3}-[0-9]{1,12}"


class ApiViewSet(viewsets.GenericViewSet):
    """Base for every API viewset (see the module docstring)."""

    def current_user(self) -> User:
        user = self.request.user
        if not isinstance(user, User):  # permission classes keep anonymous users out first
            raise NotAuthenticated()
        return user

    def validated(
        self, serializer_class: type[BaseSerializer[Any]], data: Any = None
    ) -> dict[str, Any]:
        """Validate `data` (default: the request body) with an input serializer; a 400 in the
        API's error format when invalid."""
        serializer = serializer_class(
            data=self.request.data if data is None else data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def render(
        self,
        obj: Any,
        serializer_class: type[BaseSerializer[Any]] | None = None,
        *,
        status_code: int = status.HTTP_200_OK,
        headers: dict[str, str] | None = None,
    ) -> Response:
        serializer_class = serializer_class or self.get_serializer_class()
        data = render_one(serializer_class, obj, self.get_serializer_context())
        return Response(data, status=status_code, headers=headers)


class TicketViewSet(ApiViewSet):
    """A ticket kind by number. Subclasses set `list_for_user` / `get_for_user` to the kind's
    selectors (functions of (user) and (user, number)) and `output_serializer_class`."""

    lookup_field = "number"
    lookup_url_kwarg = "number"
    lookup_value_regex = NUMBER_REGEX
    list_for_user: ClassVar["staticmethod[[User], QuerySet[Any]]"]
    get_for_user: ClassVar["staticmethod[[User, str], Any]"]

    def get_queryset(self) -> QuerySet[Any]:
        return type(self).list_for_user(self.current_user())

    def get_object(self) -> Any:
        """The ticket named in the URL, through the scoped selector (out of scope → 404)."""
        cached = getattr(self, "_ticket", None)
        if cached is not None:
            return cached
        number = str(self.kwargs[self.lookup_url_kwarg]).upper()
        ticket = type(self).get_for_user(self.current_user(), number)
        self.check_object_permissions(self.request, ticket)
        self._ticket = ticket
        return ticket

    def expected_version(self, ticket: Any) -> int | None:
        """The version If-Match asks for (412 right away when stale; None without If-Match)."""
        return etag.expected_version(self.request, ticket)

    def render_ticket(self, ticket: Any, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The ticket in its output shape, with its ETag."""
        return etag.with_etag(self.render(ticket, status_code=status_code), ticket)

    def fresh(self, ticket: Any) -> Any:
        """The ticket re-read through the selector (with its related rows) after a write."""
        return type(self).get_for_user(self.current_user(), ticket.number)

    def retrieve(self, request: Request, number: str) -> Response:
        # The kind's viewset names the operation in the schema (extend_schema_view).
        return self.render_ticket(self.get_object())

    def with_location(self, response: Response, ticket: Any) -> Response:
        """A 201 that names where the new ticket lives (its detail route in this viewset)."""
        response["Location"] = self.request.build_absolute_uri(
            reverse(f"{self.basename}-detail", kwargs={"number": ticket.number})
        )
        return response


def _ticket_content_type(ticket: Model) -> ContentType:
    return ContentType.objects.get_for_model(ticket)


def comments_for_user(*, ticket: TicketBase, user: User) -> QuerySet[Comment]:
    """The ticket's comments in order; requesters never see internal notes."""
    comments = Comment.objects.filter(
        ticket_type=_ticket_content_type(ticket), ticket_id=ticket.pk
    ).select_related("author")
    if not is_agent(user):
        comments = comments.filter(is_internal=False)
    return comments.order_by("created_at", "id")


class TicketConversationMixin:
    """Nested routes on a TicketViewSet: `{number}/comments/` (GET, POST), `{number}/attachments/`
    (GET, POST multipart), `{number}/attachments/{token}/download/` (GET) and
    `{number}/timeline/` (GET). Subclasses may override `can_attach`."""

    #: URL name of the download route, e.g. "incidents-attachment-download" (router basename +
    #: "-attachment-download"); set by the subclass so download links point into its routes.
    attachment_download_url_name: ClassVar[str] = ""

    def add_comment(self, ticket: Any, *, author: User, body: str, is_internal: bool) -> Comment:
        """The kernel's reply/note for every kind (core.tickets.work.ticket_comment)."""
        return ticket_comment(
            ticket, author=author, body=body, is_internal=is_internal, source=Source.API
        )

    def can_attach(self, ticket: Any, user: User) -> None:
        """Raise a DomainError when `user` may not add files to `ticket` now. Default: final
        tickets (closed, cancelled) take files from agents only."""
        if not is_agent(user) and getattr(ticket, "status", "") in ("closed", "cancelled"):
            raise TransitionError(f"{ticket.number} is {ticket.status}; files cannot be added.")

    def _conversation_context(self: Any, ticket: Any) -> dict[str, Any]:
        return {
            **self.get_serializer_context(),
            "ticket_number": ticket.number,
            "download_url_name": self.attachment_download_url_name,
        }

    def _paginated(self: Any, queryset: QuerySet[Any], serializer_class: Any, ticket: Any) -> Any:
        page = self.paginate_queryset(queryset)
        context = self._conversation_context(ticket)
        return self.get_paginated_response(serializer_class(page, many=True, context=context).data)

    @extend_schema(
        methods=["GET"],
        summary="List comments (requesters see public replies only)",
        responses=CommentOutputSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a public reply or an internal note (agents)",
        request=CommentCreateInputSerializer,
        responses={201: CommentOutputSerializer},
    )
    @action(detail=True, methods=["get", "post"], url_path="comments", url_name="comments")
    def comments(self: Any, request: Request, number: str) -> Response:
        if request.method == "POST":
            return self._comment_create(request, number)
        ticket = self.get_object()
        return self._paginated(
            comments_for_user(ticket=ticket, user=self.current_user()),
            CommentOutputSerializer,
            ticket,
        )

    @idempotent
    def _comment_create(self: Any, request: Request, number: str) -> Response:
        ticket = self.get_object()
        user = self.current_user()
        data = self.validated(CommentCreateInputSerializer)
        if data["is_internal"] and not is_agent(user):
            raise PermissionDenied("Only agents can write internal notes.")
        with transaction.atomic():
            comment = self.add_comment(
                ticket, author=user, body=data["body"], is_internal=data["is_internal"]
            )
        return Response(
            CommentOutputSerializer(comment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        summary="List files (requesters see public files only)",
        responses=AttachmentOutputSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Upload a file (multipart/form-data, field `file`)",
        request={"multipart/form-data": AttachmentCreateInputSerializer},
        responses={201: AttachmentOutputSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="attachments",
        url_name="attachments",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def attachments(self: Any, request: Request, number: str) -> Response:
        if request.method == "POST":
            return self._attachment_create(request, number)
        ticket = self.get_object()
        return self._paginated(
            attachments_for_user(ticket=ticket, user=self.current_user()).select_related(
                "uploaded_by"
            ),
            AttachmentOutputSerializer,
            ticket,
        )

    @idempotent
    def _attachment_create(self: Any, request: Request, number: str) -> Response:
        ticket = self.get_object()
        user = self.current_user()
        data = self.validated(AttachmentCreateInputSerializer)
        if data["is_internal"] and not is_agent(user):
            raise PermissionDenied("Only agents can add internal files.")
        self.can_attach(ticket, user)
        with transaction.atomic():
            attachment = attachment_add(
                ticket=ticket,
                uploaded_by=user,
                upload=data["file"],
                is_internal=data["is_internal"],
                source=Source.API,
            )
        return Response(
            AttachmentOutputSerializer(attachment, context=self._conversation_context(ticket)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Download a file (as an attachment, never rendered inline)",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<token>[0-9a-f]{32})/download",
        url_name="attachment-download",
        renderer_classes=[JSONRenderer, BinaryRenderer],
    )
    def attachment_download(self: Any, request: Request, number: str, token: str) -> Any:
        ticket = self.get_object()
        try:
            attachment: Attachment = attachments_for_user(
                ticket=ticket, user=self.current_user()
            ).get(token=token)
        except Attachment.DoesNotExist as exc:
            raise Http404("No such file on this ticket.") from exc
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    @extend_schema(
        summary="The ticket's timeline (requesters see public events only)",
        responses=TimelineEventOutputSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="timeline", url_name="timeline")
    def timeline(self: Any, request: Request, number: str) -> Response:
        ticket = self.get_object()
        return self._paginated(
            timeline_for_user(ticket=ticket, user=self.current_user()),
            TimelineEventOutputSerializer,
            ticket,
        )
