"""End-user portal routes for incidents (the portal's home and "My tickets" are in `portal`)."""

from django.urls import path

from core.web.ticket_urls import portal_ticket_urls
from incidents.views import portal

portal_patterns = [
    path("portal/incidents/", portal.portal_list, name="portal_list"),
    path("portal/incidents/new/", portal.portal_report, name="portal_report"),
    *portal_ticket_urls("portal/incidents/", portal.IncidentPortalPage),
]
