from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core.health import healthz
from core.views import home

admin.site.site_header = "Service desk administration"
admin.site.site_title = "Service desk admin"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("", include("core.urls")),
    path("", include("incidents.urls")),
    path("", include("service_requests.urls")),
    path("", include("problems.urls")),
    # Before changes.urls, whose change pages would read "deployments" as a change number.
    path("", include("changes.urls_dora")),
    path("", include("changes.urls")),
    path("", include("portal.urls")),
    path("", include("reporting.urls")),
    path("", include("email_intake.urls")),
    path("", include("oncall.urls")),
    path("", include("slo.urls")),
    path("", include("sla.whatif.urls")),
]

# An unhandled exception: 503 with Retry-After when the database is unreachable, else 500
# (core/server_errors.py).
handler500 = "core.server_errors.server_error"
