from django.urls import path

from service_requests.views import agent, approvals, portal

app_name = "requests"

urlpatterns = [
    # End-user portal: the catalog and my requests
    path("portal/catalog/", portal.catalog, name="catalog"),
    path("portal/catalog/<slug:slug>/", portal.catalog_item, name="catalog_item"),
    path("portal/requests/", portal.portal_list, name="portal_list"),
    path("portal/requests/<str:number>/", portal.portal_detail, name="portal_detail"),
    path("portal/requests/<str:number>/reply/", portal.portal_reply, name="portal_reply"),
    path("portal/requests/<str:number>/attach/", portal.portal_attach, name="portal_attach"),
    path("portal/requests/<str:number>/withdraw/", portal.portal_withdraw, name="portal_withdraw"),
    path("portal/requests/<str:number>/confirm/", portal.portal_confirm, name="portal_confirm"),
    path("portal/requests/<str:number>/rate/", portal.portal_rate, name="portal_rate"),
    # Approvers
    path("portal/approvals/", approvals.approval_list, name="approval_list"),
    path("portal/approvals/<str:number>/", approvals.approval_detail, name="approval_detail"),
    path(
        "portal/approvals/<str:number>/<slug:decision>/",
        approvals.approval_decide,
        name="approval_decide",
    ),
    # Agent workspace
    path("agent/requests/", agent.agent_list, name="agent_list"),
    path("agent/requests/<str:number>/", agent.agent_detail, name="agent_detail"),
    path("agent/requests/<str:number>/assign/", agent.agent_assign, name="agent_assign"),
    path("agent/requests/<str:number>/comment/", agent.agent_comment, name="agent_comment"),
    path("agent/requests/<str:number>/attach/", agent.agent_attach, name="agent_attach"),
    path("agent/requests/<str:number>/tasks/<int:task_id>/", agent.agent_task, name="agent_task"),
    path(
        "agent/requests/<str:number>/to-incident/",
        agent.agent_to_incident,
        name="agent_to_incident",
    ),
    path(
        "agent/requests/<str:number>/do/<slug:action>/",
        agent.agent_transition,
        name="agent_transition",
    ),
    path(
        "agent/incidents/<str:number>/to-request/",
        agent.incident_to_request,
        name="incident_to_request",
    ),
]
