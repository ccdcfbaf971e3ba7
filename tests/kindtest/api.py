from rest_framework import serializers

from core.api.serializers import OutputModelSerializer, UserRefSerializer
from core.api.ticket_actions import TicketActionsMixin, route_actions
from core.api.views import TicketConversationMixin, TicketViewSet
from tests.kindtest.kind import CHORE_ACTIONS, _get, _list
from tests.kindtest.models import Chore


class ChoreOutputSerializer(OutputModelSerializer):
    requester = UserRefSerializer(read_only=True)
    assignee = UserRefSerializer(read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Chore
        fields = ["number", "title", "status", "tier", "requester", "assignee", "version"]
        read_only_fields = fields


class ChoreViewSet(TicketActionsMixin, TicketConversationMixin, TicketViewSet):
    queryset = Chore.objects.none()
    serializer_class = ChoreOutputSerializer
    list_for_user = staticmethod(_list)
    get_for_user = staticmethod(_get)
    attachment_download_url_name = "chores-attachment-download"
    kind_name = "chore"


route_actions(
    ChoreViewSet,
    CHORE_ACTIONS,
    basename="chores",
    noun="chore",
    output=ChoreOutputSerializer,
    notes="Only agents work chores (403 otherwise); a move the lifecycle refuses is a 409.",
)
