"""Serializer bases and the output shapes every ticket kind shares.

Input and output are separate classes (STYLE.md): `<Thing><Verb>InputSerializer(InputSerializer)`
validates a request body into plain values for a service; `<Thing>OutputSerializer` renders a
model. Input serializers refuse fields they do not know, so a misspelt field is a 400, not a
silently ignored value.
"""

import copy
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

from django.urls import reverse
from rest_framework import serializers
from rest_framework.fields import Field

from core.models import (
    Attachment,
    Comment,
    ConfigurationItem,
    Service,
    SupportGroup,
    TimelineEvent,
    User,
)


class InputSerializer(serializers.Serializer):
    """Base for request bodies: unknown fields are an error, read-only fields are not accepted."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            known = set(self.fields)
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}, code="unknown_field"
                )
        return super().to_internal_value(data)

    def create(self, validated_data: Any) -> Any:  # pragma: no cover — services create
        raise NotImplementedError("Input serializers validate; services create.")

    def update(self, instance: Any, validated_data: Any) -> Any:  # pragma: no cover
        raise NotImplementedError("Input serializers validate; services update.")


# A ModelSerializer that works out its fields once per class. (A comment, not a docstring: the
# schema would show a base class's docstring as every subclass's description.)
#
# DRF introspects the model for every serializer instance: about a millisecond for a wide model,
# and rendering one incident made three such instances (the incident, its people, its clocks).
# The fields built for the first instance are kept as a prototype; every instance gets fresh
# copies of them (DRF's own way of copying declared fields), so no field, and no field's binding
# to its parent, is shared between instances or threads. For shapes whose fields depend only on
# the class (Meta and declared fields), which is every shape here.
class OutputModelSerializer(serializers.ModelSerializer[Any]):
    _prototypes: ClassVar[dict[type, dict[str, Field[Any, Any, Any, Any]]]] = {}

    def get_fields(self) -> dict[str, Field[Any, Any, Any, Any]]:
        prototype = self._prototypes.get(type(self))
        if prototype is None:
            prototype = super().get_fields()
            self._prototypes[type(self)] = prototype
        return copy.deepcopy(prototype)


_REUSABLE = threading.local()


def render_one(
    serializer_class: type[serializers.BaseSerializer[Any]],
    instance: Any,
    context: Mapping[str, Any],
) -> dict[str, Any]:
    """`serializer_class(instance, context=context).data`, from a serializer built once per class
    and thread.

    Building a serializer copies all its fields (and its nested serializers' fields): for one
    wide object, such as an incident after a write, that was most of the cost of rendering it.
    An output serializer's fields depend only on its class and read the request's data through
    `context` when rendering, so one instance per class and thread renders every object with
    each call's context. A serializer in use is taken out of the pool, so re-entrant use (one
    rendering another object of its own class) gets an instance of its own.
    """
    pool: dict[type, serializers.BaseSerializer[Any]] = _REUSABLE.__dict__.setdefault("pool", {})
    serializer = pool.pop(serializer_class, None) or serializer_class()
    serializer._context = dict(context)  # what BaseSerializer.__init__ sets from context=
    try:
        return dict(serializer.to_representation(instance))
    finally:
        serializer._context = {}
        pool[serializer_class] = serializer


class UserRefSerializer(OutputModelSerializer):
    """A person as other objects refer to them (no email: requesters and agents see each other)."""

    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]
        read_only_fields = fields


class SupportGroupRefSerializer(OutputModelSerializer):
    class Meta:
        model = SupportGroup
        fields = ["id", "name", "tier"]
        read_only_fields = fields


class ServiceRefSerializer(OutputModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "name"]
        read_only_fields = fields


class ConfigurationItemRefSerializer(OutputModelSerializer):
    class Meta:
        model = ConfigurationItem
        fields = ["id", "name"]
        read_only_fields = fields


class CommentOutputSerializer(OutputModelSerializer):
    author = UserRefSerializer(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "is_internal", "source", "created_at"]
        read_only_fields = fields


class CommentCreateInputSerializer(InputSerializer):
    body = serializers.CharField(max_length=50_000, trim_whitespace=True)
    is_internal = serializers.BooleanField(
        default=False, help_text="An internal note (agents only) instead of a public reply."
    )


class AttachmentOutputSerializer(OutputModelSerializer):
    """A file's metadata; `download_url` serves it as a download after the same scope check."""

    uploaded_by = UserRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "is_internal",
            "uploaded_by",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj: Attachment) -> str:
        url_name = self.context.get("download_url_name")
        number = self.context.get("ticket_number")
        if not url_name or not number:
            return reverse("core:attachment_download", kwargs={"token": obj.token})
        path = reverse(url_name, kwargs={"number": number, "token": obj.token})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AttachmentCreateInputSerializer(InputSerializer):
    file = serializers.FileField(
        help_text="multipart/form-data; size and type limits as in the web UI."
    )
    is_internal = serializers.BooleanField(default=False, help_text="Agents only.")


class TimelineEventOutputSerializer(OutputModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)
    comment_id = serializers.IntegerField(read_only=True, allow_null=True)
    attachment_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = TimelineEvent
        fields = [
            "id",
            "created_at",
            "kind",
            "source",
            "actor",
            "from_status",
            "to_status",
            "changes",
            "message",
            "is_public",
            "comment_id",
            "attachment_id",
        ]
        read_only_fields = fields
