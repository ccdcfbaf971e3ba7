"""`{% agent_timeline_entries ticket events original_messages as entries %}`: an agent's ticket
page's timeline entries, written in Python (core.web.timeline_html) as tickets/_timeline.html
writes them with `agent_view`."""

from collections.abc import Mapping

from django import template
from django.utils.safestring import SafeString

from core.models import TicketBase, TimelineEvent
from core.web.timeline_html import timeline_entries

register = template.Library()


@register.simple_tag
def agent_timeline_entries(
    ticket: TicketBase, events: list[TimelineEvent], original_messages: Mapping[int, str]
) -> list[SafeString]:
    """`original_messages`: email_intake's `{% original_messages %}` (links to the mail the
    events came from), read by the template so that core does not import the email channel."""
    return timeline_entries(events, ticket, agent_view=True, original_messages=original_messages)
