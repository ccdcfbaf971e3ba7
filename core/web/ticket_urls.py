"""The routes of a kind's ticket pages, under uniform names in the kind's namespace: for agents
`agent_detail`, `agent_transition` (`do/<action>/`), `agent_assign`, `agent_claim`,
`agent_escalate`, `agent_deescalate`, `agent_comment`, `agent_attach`; for the requester
`portal_detail`, `portal_reply`, `portal_attach`, `portal_rate`, `portal_action`."""

from django.urls import URLPattern, path

from core.web.portal_page import PortalTicketPage
from core.web.portal_views import (
    portal_action,
    portal_attach,
    portal_rate,
    portal_reply,
    portal_ticket,
)
from core.web.ticket_page import TicketPage
from core.web.ticket_views import (
    ticket_action,
    ticket_attach,
    ticket_claim,
    ticket_comment_add,
    ticket_detail,
)

# Work actions with a route of their own (the page's panels post to them).
_WORK_ROUTES = ("assign", "escalate", "deescalate")


def agent_ticket_urls(base: str, page: type[TicketPage]) -> list[URLPattern]:
    """Routes under `base` ("agent/incidents/"); list and kind-specific routes are the kind's
    own and must come first where they could be read as a ticket number."""
    options = {"page": page}
    routes = [
        path(f"{base}<str:number>/", ticket_detail, options, name="agent_detail"),
        path(f"{base}<str:number>/claim/", ticket_claim, options, name="agent_claim"),
        path(f"{base}<str:number>/comment/", ticket_comment_add, options, name="agent_comment"),
        path(f"{base}<str:number>/attach/", ticket_attach, options, name="agent_attach"),
        path(
            f"{base}<str:number>/do/<slug:action>/",
            ticket_action,
            options,
            name="agent_transition",
        ),
    ]
    routes += [
        path(
            f"{base}<str:number>/{name}/",
            ticket_action,
            {**options, "action": name},
            name=f"agent_{name}",
        )
        for name in _WORK_ROUTES
    ]
    return routes


def portal_ticket_urls(base: str, page: type[PortalTicketPage]) -> list[URLPattern]:
    """The requester's routes under `base` ("portal/incidents/"): `portal_detail`,
    `portal_reply`, `portal_attach`, `portal_rate` and `portal_action` (`<action>/`, last)."""
    options = {"page": page}
    return [
        path(f"{base}<str:number>/", portal_ticket, options, name="portal_detail"),
        path(f"{base}<str:number>/reply/", portal_reply, options, name="portal_reply"),
        path(f"{base}<str:number>/attach/", portal_attach, options, name="portal_attach"),
        path(f"{base}<str:number>/rate/", portal_rate, options, name="portal_rate"),
        path(f"{base}<str:number>/<slug:action>/", portal_action, options, name="portal_action"),
    ]
