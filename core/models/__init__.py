from core.models.cmdb import ConfigurationItem, Service
from core.models.coordination import Heartbeat, Lease
from core.models.links import TicketLink, TicketLinkKind
from core.models.mail import TicketEmail
from core.models.numbering import TicketCounter
from core.models.outbox import OutboxMessage, OutboxStatus
from core.models.people import User
from core.models.teams import SupportGroup
from core.models.tickets import RatedTicket, TicketBase
from core.models.timeline import Attachment, Comment, TimelineEvent
from core.models.tokens import ApiToken, ApiTokenScope, IdempotencyRecord

__all__ = [
    "ApiToken",
    "ApiTokenScope",
    "Attachment",
    "Comment",
    "ConfigurationItem",
    "Heartbeat",
    "IdempotencyRecord",
    "Lease",
    "OutboxMessage",
    "OutboxStatus",
    "RatedTicket",
    "Service",
    "SupportGroup",
    "TicketBase",
    "TicketCounter",
    "TicketEmail",
    "TicketLink",
    "TicketLinkKind",
    "TimelineEvent",
    "User",
]
