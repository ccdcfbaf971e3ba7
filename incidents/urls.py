from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("agent/incidents/", views.agent_list, name="agent_list"),
]
