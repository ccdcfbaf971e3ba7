"""The person's preferences page (linked from the account menu of every layout)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from core.exceptions import ValidationFailed
from core.models import User
from core.preferences import user_time_zone_set
from core.time_zones import instant_text, selectable_zones, zone_of
from core.web.forms import apply_domain_errors


class PreferencesForm(forms.Form):
    # A text field with a list of suggestions rather than a select: the tz database has about
    # 400 canonical zones, twice what a select box may hold (DESIGN.md §7); the service checks
    # the name.
    time_zone = forms.CharField(
        required=False,
        max_length=64,
        label="Time zone",
        help_text="Every date in pages and emails is shown in this zone. Type a name such as "
        "Europe/Berlin or America/New_York; leave it empty to use the site's zone.",
        widget=forms.TextInput(
            attrs={"list": "time-zone-names", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise Http404("Not found.")
    return user


def _page(request: HttpRequest, form: PreferencesForm, *, status: int = 200) -> HttpResponse:
    user = _user(request)
    zone = zone_of(user)
    context = {
        "form": form,
        "zone_names": selectable_zones(),
        "site_zone": settings.TIME_ZONE,
        "current_zone": zone.key,
        "now_text": instant_text(timezone.now(), zone),
    }
    return render(request, "core/preferences.html", context, status=status)


@never_cache
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """GET: the form with the person's current zone. POST: store it; an unknown zone is shown
    again with its error and nothing changes."""
    user = _user(request)
    if request.method != "POST":
        return _page(request, PreferencesForm(initial={"time_zone": user.time_zone}))
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        user_time_zone_set(user=user, time_zone=form.cleaned_data["time_zone"])
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _page(request, form, status=400)
    shown = user.time_zone or f"the site's zone ({settings.TIME_ZONE})"
    messages.success(request, f"Saved. Dates are now shown in {shown}.")
    return redirect("core:preferences")
