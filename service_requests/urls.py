from django.urls import path

from core.web.ticket_urls import agent_ticket_urls, portal_ticket_urls
from service_requests.views import agent, approvals, portal
from service_requests.views.agent import RequestPage

app_name = "requests"

urlpatterns = [
    # End-user portal: the catalog and my requests
    path("portal/catalog/", portal.catalog, name="catalog"),
    path("portal/catalog/<slug:slug>/", portal.catalog_item, name="catalog_item"),
    path("portal/requests/", portal.portal_list, name="portal_list"),
    *portal_ticket_urls("portal/requests/", portal.RequestPortalPage),
    # Approvers
    path("portal/approvals/", approvals.approval_list, name="approval_list"),
    path("portal/approvals/<str:number>/", approvals.approval_detail, name="approval_detail"),
    path(
        "portal/approvals/<str:number>/<slug:decision>/",
        approvals.approval_decide,
        name="approval_decide",
    ),
    # Agent workspace: the list, the request's own routes, then the kernel's ticket routes
    path("agent/requests/", agent.agent_list, name="agent_list"),
    path("agent/requests/<str:number>/tasks/<int:task_id>/", agent.agent_task, name="agent_task"),
    path(
        "agent/requests/<str:number>/to-incident/",
        agent.agent_to_incident,
        name="agent_to_incident",
    ),
    *agent_ticket_urls("agent/requests/", RequestPage),
    # Posted from the incident page's request panel (service_requests.templatetags)
    path(
        "agent/incidents/<str:number>/to-request/",
        agent.incident_to_request,
        name="incident_to_request",
    ),
]
