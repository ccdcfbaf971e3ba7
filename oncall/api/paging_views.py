"""/api/v1/oncall/ for paging: escalation policies, contact methods, notification rules and
pages. Agents read policies; writes go through oncall.policy_services (admins and the group's
manager) and oncall.contact_services (one's own; admins anyone's), 403 otherwise. Pages are
those of tickets the user can see (oncall.paging_selectors), others 404; acknowledging and
resolving take `If-Match` with the page's ETag (its version)."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import etag
from core.api.idempotency import idempotent
from core.api.permissions import HasTokenScope, IsAgent
from core.api.views import ApiViewSet
from core.choices import Source
from core.exceptions import TransitionError
from core.tickets.kinds import kind_for_number
from oncall.api.paging_serializers import (
    ContactMethodInputSerializer,
    ContactMethodOutputSerializer,
    ContactMethodSecretOutputSerializer,
    PageCreateInputSerializer,
    PageDetailOutputSerializer,
    PageEndInputSerializer,
    PageOutputSerializer,
    PolicyInputSerializer,
    PolicyOutputSerializer,
    RuleInputSerializer,
    RuleOutputSerializer,
    step_data,
)
from oncall.contact_services import (
    contact_method_delete,
    contact_method_save,
    contact_method_secret_rotate,
    rule_delete,
    rule_save,
)
from oncall.filtersets import ContactMethodFilterSet, PageFilterSet, PolicyFilterSet
from oncall.models import ContactMethod, EscalationPolicy, NotificationRule, Page, PageReason
from oncall.paging.services import page_acknowledge, page_end, page_start
from oncall.paging_selectors import (
    contact_method_get,
    contact_method_list,
    page_get_for_user,
    page_list_for_user,
    policy_get,
    policy_list,
    rule_get,
)
from oncall.policy_services import policy_delete, policy_save

AGENTS = [IsAuthenticated, HasTokenScope, IsAgent]


def _policy_data(validated: dict[str, Any]) -> dict[str, Any]:
    data = dict(validated)
    if "steps" in data:
        data["steps"] = step_data(data["steps"])
    return data


class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Escalation policies with their steps (every agent reads them)."""

    queryset = EscalationPolicy.objects.none()  # for the schema only; reads use the selector
    serializer_class = PolicyOutputSerializer
    filterset_class = PolicyFilterSet
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[EscalationPolicy]:
        return policy_list().order_by("name", "pk")

    def get_object(self) -> EscalationPolicy:
        return policy_get(int(self.kwargs["pk"]))

    @extend_schema(summary="List escalation policies")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One escalation policy with its steps")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=PolicyInputSerializer,
        responses={201: PolicyOutputSerializer},
        summary="Add an escalation policy (admins and the group's manager)",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = _policy_data(self.validated(PolicyInputSerializer))
        saved = policy_save(policy=None, data=data, actor=self.current_user())
        return self.render(policy_get(saved.pk), status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=PolicyInputSerializer,
        responses=PolicyOutputSerializer,
        summary="Change some fields of a policy; `steps` replaces every step",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        policy = self.get_object()
        serializer = PolicyInputSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = _policy_data(dict(serializer.validated_data))
        policy_save(policy=policy, data=data, actor=self.current_user())
        return self.render(policy_get(policy.pk))

    @extend_schema(
        responses={204: None},
        summary="Delete a policy (pages under way keep their snapshot and go on)",
    )
    def destroy(self, request: Request, pk: str) -> Response:
        policy_delete(policy=self.get_object(), actor=self.current_user())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContactMethodViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Contact methods with their notification rules: your own (admins: everyone's)."""

    queryset = ContactMethod.objects.none()
    serializer_class = ContactMethodOutputSerializer
    filterset_class = ContactMethodFilterSet
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[ContactMethod]:
        return contact_method_list(self.current_user()).order_by("person_id", "pk")

    def get_object(self) -> ContactMethod:
        return contact_method_get(self.current_user(), int(self.kwargs["pk"]))

    @extend_schema(summary="List contact methods (yours; admins everyone's)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One contact method with its rules")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    def _render_with_secret(self, method: ContactMethod, secret: str, code: int) -> Response:
        context = {**self.get_serializer_context(), "secret": secret}
        fresh = contact_method_get(self.current_user(), method.pk)
        return Response(ContactMethodSecretOutputSerializer(fresh, context=context).data, code)

    @extend_schema(
        request=ContactMethodInputSerializer,
        responses={201: ContactMethodSecretOutputSerializer},
        summary="Add a contact method (notified at once; a signed webhook's secret shown once)",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(ContactMethodInputSerializer)
        actor = self.current_user()
        person = data.pop("person", actor)
        method, secret = contact_method_save(method=None, person=person, data=data, actor=actor)
        return self._render_with_secret(method, secret, status.HTTP_201_CREATED)

    @extend_schema(
        request=ContactMethodInputSerializer,
        responses=ContactMethodSecretOutputSerializer,
        summary="Change a contact method (is_active=true also clears its failing mark)",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        method = self.get_object()
        serializer = ContactMethodInputSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "person" in data:
            raise TransitionError("A contact method stays with its person.")
        saved, secret = contact_method_save(
            method=method, person=method.person, data=data, actor=self.current_user()
        )
        return self._render_with_secret(saved, secret, status.HTTP_200_OK)

    @extend_schema(responses={204: None}, summary="Delete a contact method and its rules")
    def destroy(self, request: Request, pk: str) -> Response:
        contact_method_delete(method=self.get_object(), actor=self.current_user())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=ContactMethodSecretOutputSerializer,
        summary="A new secret for a signed webhook (shown once; the old one stops working)",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        method = self.get_object()
        secret = contact_method_secret_rotate(method=method, actor=self.current_user())
        return self._render_with_secret(method, secret, status.HTTP_200_OK)


class RuleViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """Notification rules of your contact methods (listed with their method)."""

    queryset = NotificationRule.objects.none()
    serializer_class = RuleOutputSerializer
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"
    filter_backends: list[Any] = []

    def get_object(self) -> NotificationRule:
        return rule_get(self.current_user(), int(self.kwargs["pk"]))

    @extend_schema(summary="One notification rule")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=RuleInputSerializer,
        responses={201: RuleOutputSerializer},
        summary="Notify through a method this many minutes (0-120) after being paged",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(RuleInputSerializer)
        method = contact_method_get(self.current_user(), data["contact_method"])
        rule = rule_save(
            rule=None,
            method=method,
            delay_minutes=data["delay_minutes"],
            actor=self.current_user(),
        )
        return self.render(rule, status_code=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Delete a notification rule")
    def destroy(self, request: Request, pk: str) -> Response:
        rule_delete(rule=self.get_object(), actor=self.current_user())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PageViewSet(mixins.ListModelMixin, ApiViewSet):
    """Pages of tickets you can see: list, detail with notifications, page a ticket by hand,
    acknowledge, resolve."""

    queryset = Page.objects.none()
    serializer_class = PageOutputSerializer
    filterset_class = PageFilterSet
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Page]:
        return page_list_for_user(self.current_user())

    def get_object(self) -> Page:
        return page_get_for_user(self.current_user(), int(self.kwargs["pk"]))

    def _render_page(self, page: Page, code: int = status.HTTP_200_OK) -> Response:
        fresh = page_get_for_user(self.current_user(), page.pk)
        response = self.render(fresh, PageDetailOutputSerializer, status_code=code)
        return etag.with_etag(response, fresh)

    @extend_schema(summary="List pages (newest first)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=PageDetailOutputSerializer, summary="One page with its notifications")
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._render_page(self.get_object())

    @extend_schema(
        request=PageCreateInputSerializer,
        responses={201: PageDetailOutputSerializer},
        summary="Page the on-call for a ticket, with a message",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(PageCreateInputSerializer)
        number = str(data["ticket"]).strip().upper()
        kind = kind_for_number(number)
        if kind is None:
            raise Http404(f"No ticket {number}.")
        ticket = kind.get_for_user(self.current_user(), number)
        page = page_start(
            ticket,
            reason=PageReason.MANUAL,
            actor=self.current_user(),
            message=data.get("message", ""),
        )
        assert page is not None  # by hand, a refusal is an error, never None
        return self._render_page(page, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=PageDetailOutputSerializer,
        summary="Acknowledge a page: its escalation stops (If-Match: the page's ETag)",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        page = self.get_object()
        etag.expected_version(request, page)
        page_acknowledge(page, actor=self.current_user(), source=Source.API)
        return self._render_page(page)

    @extend_schema(
        request=PageEndInputSerializer,
        responses=PageDetailOutputSerializer,
        summary="End a page as resolved (If-Match: the page's ETag)",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        page = self.get_object()
        etag.expected_version(request, page)
        data = self.validated(PageEndInputSerializer)
        user = self.current_user()
        why = data.get("why") or f"{user} ended the page."
        if not page_end(page, status="resolved", actor=user, source=Source.API, why=why):
            ended = Page.objects.get(pk=page.pk).get_status_display().lower()
            raise TransitionError(f"This page has already ended ({ended}).")
        return self._render_page(page)
