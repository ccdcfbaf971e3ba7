"""End-user portal routes for incidents (the portal's home and "My tickets" are in `portal`)."""

from django.urls import path

from incidents.views import portal

portal_patterns = [
    path("portal/incidents/", portal.portal_list, name="portal_list"),
    path("portal/incidents/new/", portal.portal_report, name="portal_report"),
    path("portal/incidents/<str:number>/", portal.portal_detail, name="portal_detail"),
    path("portal/incidents/<str:number>/reply/", portal.portal_reply, name="portal_reply"),
    path("portal/incidents/<str:number>/attach/", portal.portal_attach, name="portal_attach"),
    path("portal/incidents/<str:number>/rate/", portal.portal_rate, name="portal_rate"),
    path(
        "portal/incidents/<str:number>/<slug:action>/",
        portal.portal_action,
        name="portal_action",
    ),
]
