"""Alert intake routes, mounted under /api/v1/ by config/api_urls.py."""

from django.urls import URLPattern, URLResolver, path

from incidents.alerts import views

app_name = "alerts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("alerts/", views.alert_intake, name="intake"),
    path("alerts/<str:token>/", views.alert_intake, name="intake_token"),
]
