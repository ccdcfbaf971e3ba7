"""What every ticket kind's output shape shares: its group, assignee and service as references,
the actions the viewer may take now (from the kind's action table), and the order of the
common fields (`ticket_fields`)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import (
    OutputModelSerializer,
    ServiceRefSerializer,
    SupportGroupRefSerializer,
    UserRefSerializer,
)
from core.lifecycle import Lifecycle
from core.models import User
from core.tickets.actions import actions_of

# number, title, description, status, priority: how every ticket's shape begins.
TICKET_HEAD = ("number", "title", "description", "status", "priority")
# Who asked, who works on it, in which group, for which service.
TICKET_PEOPLE = ("requester", "assignee", "support_group", "service")


def ticket_stamps(lifecycle: Lifecycle) -> tuple[str, ...]:
    """How every ticket's shape ends: version, the milestones in lifecycle order, created and
    updated."""
    return ("version", *lifecycle.milestones.values(), "created_at", "updated_at")


class TicketOutputSerializer(OutputModelSerializer):
    assignee = UserRefSerializer(read_only=True, allow_null=True)
    support_group = SupportGroupRefSerializer(read_only=True, allow_null=True)
    service = ServiceRefSerializer(read_only=True, allow_null=True)
    actions = serializers.SerializerMethodField()

    def viewer(self) -> User | None:
        user = getattr(self.context.get("request"), "user", None)
        return user if isinstance(user, User) else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, obj: Any) -> list[str]:
        """The actions the viewer may take now, as the URL segment of their route
        (POST /<kind>/{number}/{action}/)."""
        viewer = self.viewer()
        if viewer is None:
            return []
        legal = actions_of(obj).legal_now(viewer, obj)
        return [action.api_path or action.name for action, _ in legal]
