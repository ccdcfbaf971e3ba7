"""The user's personal API tokens page: create (the secret is shown once), list, revoke."""

from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.api.tokens import (
    api_token_create,
    api_token_get_for_user,
    api_token_list_for_user,
    api_token_revoke,
)
from core.exceptions import DomainError, ValidationFailed
from core.models import ApiToken, ApiTokenScope, User

EXPIRY_CHOICES = [
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    ("never", "Never"),
]
# The token list shows at most this many (revoked ones after the active ones; cap per user is
# core.api.tokens.MAX_TOKENS_PER_USER active tokens).
LIST_LIMIT = 100


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Name",
        help_text="What uses the token, e.g. “Monitoring bridge” or “Backup script”.",
    )
    scopes = forms.MultipleChoiceField(
        choices=ApiTokenScope.choices,
        initial=[ApiTokenScope.READ],
        widget=forms.CheckboxSelectMultiple,
        label="Scopes",
        help_text="Give a token only what it needs. It never gets more than you may do yourself.",
    )
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", label="Expires")

    def expires_at(self) -> datetime | None:
        value = self.cleaned_data["expires"]
        if value == "never":
            return None
        return timezone.now() + timedelta(days=int(value))


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise Http404("Not found.")
    return user


def _page(
    request: HttpRequest,
    form: ApiTokenCreateForm,
    *,
    new_token: ApiToken | None = None,
    secret: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    tokens = list(api_token_list_for_user(user=user)[:LIST_LIMIT])
    now = timezone.now()
    context = {
        "form": form,
        "active_tokens": [
            t
            for t in tokens
            if t.revoked_at is None and (t.expires_at is None or t.expires_at > now)
        ],
        "inactive_tokens": [
            t for t in tokens if t.revoked_at is not None or (t.expires_at and t.expires_at <= now)
        ],
        "new_token": new_token,
        "secret": secret,
    }
    return render(request, "core/tokens/list.html", context, status=status)


@never_cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """GET: the user's tokens and the creation form. POST: create one and show its secret once,
    in this response only (nothing keeps it: not the session, not a redirect)."""
    if request.method != "POST":
        return _page(request, ApiTokenCreateForm())
    form = ApiTokenCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    user = _user(request)
    try:
        new = api_token_create(
            user=user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.expires_at(),
            created_by=user,
        )
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            form.add_error(field if field in form.fields else None, message)
        return _page(request, form, status=400)
    return _page(request, ApiTokenCreateForm(), new_token=new.token, secret=new.secret)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens (someone else's is a 404)."""
    user = _user(request)
    try:
        token = api_token_get_for_user(user=user, token_id=pk)
    except ApiToken.DoesNotExist as exc:
        raise Http404("No such token.") from exc
    try:
        api_token_revoke(token=token, actor=user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Token “{token.name}” is revoked; it no longer works.")
    return redirect("core:tokens")
