"""The new/edit pages of something only some people keep (freeze windows, standard-change
templates, service level objectives): one form page for both, refused to anyone else, bad input
shown back on its fields with a 400 and nothing stored, a message and a redirect once saved.

A page declares an `Editor` (its form, template, service and wording) and routes
`editor.new_view()` and `editor.edit_view()`; its other pages for the same people (a list, a
delete) call `editor.require(request)`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from core.exceptions import ValidationFailed
from core.models import User
from core.web.access import ViewFunc, agent_required, current_user
from core.web.forms import apply_domain_errors

T = TypeVar("T")


def _no_initial(request: HttpRequest) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Editor(Generic[T]):
    """`get(pk)` finds the object to edit (Http404 when there is none); `save(obj, form,
    actor)` stores the valid form through the app's service (obj None: new) and returns what
    it saved, or raises ValidationFailed; `initial(obj)` fills the edit form,
    `new_initial(request)` the new one. `saved(obj)` is the success message, `done(obj)`
    where to go then (a URL or a URL name). The template gets the form as `form` and the object
    (None when new) as `context_name`."""

    form_class: type[forms.Form]
    template: str
    context_name: str
    can_manage: Callable[[User], bool]
    refusal: str
    get: Callable[[int], T]
    save: Callable[[T | None, Any, User], T]
    initial: Callable[[T], dict[str, Any]]
    saved: Callable[[T], str]
    done: Callable[[T], str]
    new_initial: Callable[[HttpRequest], dict[str, Any]] = _no_initial
    aliases: Mapping[str, str] = field(default_factory=dict)

    def require(self, request: HttpRequest) -> None:
        """Refuse (403) anyone who may not keep these objects."""
        if not self.can_manage(current_user(request)):
            raise PermissionDenied(self.refusal)

    def page(
        self, request: HttpRequest, obj: T | None, form: forms.Form, status: int = 200
    ) -> HttpResponse:
        return render(request, self.template, {self.context_name: obj, "form": form}, status=status)

    def respond(self, request: HttpRequest, obj: T | None) -> HttpResponse:
        """The form (GET), or the posted form saved and a redirect (a 400 with the errors on
        their fields when the form or the service refuses it). Call `require` first."""
        if request.method != "POST":
            initial = self.new_initial(request) if obj is None else self.initial(obj)
            return self.page(request, obj, self.form_class(initial=initial))
        form = self.form_class(request.POST)
        if not form.is_valid():
            return self.page(request, obj, form, status=400)
        try:
            saved = self.save(obj, form, current_user(request))
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, dict(self.aliases))
            return self.page(request, obj, form, status=400)
        messages.success(request, self.saved(saved))
        return redirect(self.done(saved))

    def new_view(self) -> ViewFunc:
        """The page of a new one (agents' workspace; `can_manage` people only)."""

        @never_cache
        @agent_required
        def new(request: HttpRequest) -> HttpResponse:
            self.require(request)
            return self.respond(request, None)

        return new

    def edit_view(self) -> ViewFunc:
        """The edit page of one, by its `pk`."""

        @never_cache
        @agent_required
        def edit(request: HttpRequest, pk: int) -> HttpResponse:
            self.require(request)
            return self.respond(request, self.get(pk))

        return edit
