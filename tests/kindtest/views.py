from core.web.ticket_page import TicketPage


class ChorePage(TicketPage):
    """The chore page is the kernel's page as it is: no template of its own."""

    kind_name = "chore"
    template = "tickets/agent/detail.html"
