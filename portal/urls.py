"""The portal's own pages; each kind's portal pages (report, detail, catalog) live in its app."""

from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/tickets/", views.tickets, name="tickets"),
]
