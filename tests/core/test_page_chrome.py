"""The page chrome kept by `{% chrome %}` (core/templatetags/chrome.py) in base.html and
agent/base.html writes, to the byte, what the same templates write without it — for every
viewer, section, time zone, with and without messages, and for pages that fill the blocks —
whether it renders or reuses; and each part of its key, each slot and the CSRF token, changes
what it writes."""

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.base import Message
from django.middleware.csrf import get_token
from django.template import Context, Engine, RequestContext, Template, TemplateSyntaxError
from django.test import RequestFactory, override_settings
from django.urls import (
    Resolver404,
    clear_script_prefix,
    path,
    resolve,
    set_script_prefix,
    set_urlconf,
)
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from core.models import User
from core.templatetags import chrome

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
OPEN = re.compile(r"{% chrome( [^%]*)? %}")


def _unkept(source: str) -> str:
    """A template as it reads without the memo: each `{% chrome a=x %}` a `{% with %}` of the
    same values, each slot the variable it names."""
    source = OPEN.sub(lambda match: "{% with" + (match[1] or " unused=None") + " %}", source)
    source = source.replace("{% endchrome %}", "{% endwith %}")
    return re.sub(r"{% slot ([^%]*) %}", r"{{ \1}}", source)


def _engine(**loaded: str) -> Engine:
    return Engine(
        dirs=[str(TEMPLATES)],
        context_processors=settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
        libraries=Engine.get_default().libraries,  # the installed apps' tag libraries
        loaders=[
            (
                "django.template.loaders.cached.Loader",  # as the project's: one compiled copy
                [
                    ("django.template.loaders.locmem.Loader", loaded),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            )
        ],
    )


# A page that fills every block base.html offers, and one that only extends a workspace base.
PAGE = (
    '{% extends "base.html" %}{% block title %}T &amp; t{% endblock %}'
    '{% block extra_head %}<link rel="x" href="/x.css">{% endblock %}'
    "{% block body_class %}auth-page{% endblock %}{% block page_class %}p{% endblock %}"
    "{% block content %}<p>{{ user.display_name }}</p>{% endblock %}"
)
FOOTER = '{% extends "base.html" %}{% block footer %}<p>own footer</p>{% endblock %}'
AGENT = '{% extends "agent/base.html" %}{% block extra_head %}{{ block.super }}+{% endblock %}'
PORTAL = '{% extends "portal/base.html" %}{% block content %}portal{% endblock %}'
PAGES = {"page.html": PAGE, "footer.html": FOOTER, "agent.html": AGENT, "portal.html": PORTAL}
PATHS = [
    "/agent/incidents/",
    "/agent/problems/",
    "/agent/changes/",
    "/agent/requests/",
    "/account/preferences/",
    "/account/tokens/",
    "/portal/",
    "/portal/tickets/",
    "/portal/catalog/",
    "/portal/incidents/new/",
    "/oncall/",
    "/slo/",
    "/manager/dashboard/",
    "/email/mailboxes/",
    "/nowhere/",
]
ZONES = ["UTC", "Europe/Berlin", "America/New_York"]


def _request(path: str, user: Any, messages: list[Message] | None = None) -> Any:
    request = RequestFactory().get(path)
    request.user = user
    try:
        request.resolver_match = resolve(path)
    except Resolver404:
        request.resolver_match = None
    request._messages = messages or []
    return request


@cache
def _engines() -> tuple[Engine, Engine]:
    """The pages with the project's templates, and with them as they read without the memo."""
    unkept = {
        name: _unkept((TEMPLATES / name).read_text())
        for name in ("base.html", "agent/base.html", "portal/base.html")
    }
    return _engine(**PAGES), _engine(**PAGES, **unkept)


def _render(engine: Engine, name: str, request: Any, values: dict[str, Any]) -> str:
    context = RequestContext(request)
    context.push(values)  # above the context processors, as a view's context is
    return engine.get_template(name).render(context)


def _kept(name: str, request: Any, values: dict[str, Any]) -> str:
    return _render(_engines()[0], name, request, values)


def _both(name: str, request: Any, token: str = "tok3n") -> tuple[str, str]:
    values = {"csrf_token": token}
    return _kept(name, request, values), _render(_engines()[1], name, request, values)


@pytest.fixture
def viewers(end_user, agent_l1, manager, admin_user) -> list[Any]:
    staff_agent = User.objects.get(pk=agent_l1.pk)
    staff_agent.is_staff = True
    return [AnonymousUser(), end_user, agent_l1, manager, admin_user, staff_agent]


def test_every_viewer_section_and_zone_reads_as_without_the_memo(viewers) -> None:
    shown = set()
    for zone in ZONES:
        with timezone.override(zone):
            for user in viewers:
                for path in PATHS:
                    for name in PAGES:
                        for _ in range(2):  # rendered, then reused
                            kept, unkept = _both(name, _request(path, user))
                            assert kept == unkept, (zone, user, path, name)
                        shown.add(kept)
    # Not the same page every time: roles, sections and zones show.
    assert len(shown) > 100


def test_messages_read_as_without_the_memo(end_user, agent_l1) -> None:
    messages = [Message(25, "Saved <b>it</b>"), Message(40, "Refused"), Message(20, "Note")]
    for user in (AnonymousUser(), end_user, agent_l1):
        kept, unkept = _both("page.html", _request("/portal/", user, messages))
        assert kept == unkept
        assert "Saved &lt;b&gt;it&lt;/b&gt;" in kept and 'role="alert"' in kept


def test_the_sign_out_form_carries_each_request_token(agent_l1) -> None:
    first, _ = _both("agent.html", _request("/agent/incidents/", agent_l1), token="first")
    second, unkept = _both("agent.html", _request("/agent/incidents/", agent_l1), token="sec&nd")
    assert 'name="csrfmiddlewaretoken" value="first"' in first
    assert 'name="csrfmiddlewaretoken" value="sec&amp;nd"' in second
    assert second == unkept


def test_without_a_token_the_form_carries_none_as_before(agent_l1) -> None:
    for token in ("", "NOTPROVIDED"):
        kept, unkept = _both("page.html", _request("/portal/", agent_l1), token=token)
        assert kept == unkept
        assert "csrfmiddlewaretoken" not in kept


def test_a_page_that_shows_no_form_does_not_ask_for_the_token() -> None:
    asked = []
    lazy = SimpleLazyObject(lambda: asked.append(1) or "tok")
    request = _request("/accounts/login/", AnonymousUser())
    _kept("page.html", request, {"csrf_token": lazy})
    _kept("page.html", request, {"csrf_token": lazy})
    assert asked == []  # asking sets the CSRF cookie: only pages with a form do


def test_a_renamed_person_shows_on_the_next_page(agent_l1, client_for) -> None:
    client = client_for(agent_l1)
    assert f'account-name">{agent_l1.display_name}<' in client.get("/agent/requests/").text
    agent_l1.first_name, agent_l1.last_name = "Zoë <b>", "O'Neil"
    agent_l1.save()
    page = client.get("/agent/requests/").text
    assert 'account-name">Zoë &lt;b&gt; O&#x27;Neil<' in page


def test_the_page_token_is_the_sign_out_forms_token(agent_l1, client_for) -> None:
    client = client_for(agent_l1)
    tokens = set()
    for _ in range(2):
        page = client.get("/account/preferences/").text
        on_page = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
        assert len(on_page) == 1  # the preferences form and the sign-out form: one token
        tokens |= on_page
    assert len(tokens) == 2  # masked afresh on each request


# Each part of the top bar's and the footer's keys changes what they write.


def _top(user: Any, path: str, zone: str = "UTC") -> str:
    with timezone.override(zone):
        kept, unkept = _both("page.html", _request(path, user))
    assert kept == unkept
    return kept


def test_each_key_part_of_the_chrome_changes_it(end_user, agent_l1, manager, admin_user) -> None:
    # signed_in
    assert "account-name" not in _top(AnonymousUser(), "/portal/")
    assert "account-name" in _top(end_user, "/portal/")
    # is_agent, is_manager, is_admin
    assert 'role-tag">Agent' in _top(agent_l1, "/portal/")
    assert "role-tag" not in _top(end_user, "/portal/")
    assert 'role-tag">Manager' in _top(manager, "/portal/")
    assert 'role-tag">Admin' in _top(admin_user, "/portal/")
    # is_staff, on its own: the same agent with and without it
    staff = User.objects.get(pk=agent_l1.pk)
    staff.is_staff = True
    assert ">Admin</a>" in _top(staff, "/portal/")
    assert ">Admin</a>" not in _top(agent_l1, "/portal/")
    # current (the URL name) and namespace
    marked = 'aria-current="page">Preferences'
    assert marked in _top(end_user, "/account/preferences/")
    assert marked not in _top(end_user, "/account/tokens/")
    assert 'aria-current="page">Problems' in _top(agent_l1, "/agent/problems/")
    assert 'aria-current="page">Changes' in _top(agent_l1, "/agent/changes/")
    # the zone shown in the footer
    assert "Times are shown in Europe/Berlin." in _top(end_user, "/portal/", "Europe/Berlin")
    assert "Times are shown in UTC." in _top(end_user, "/portal/")
    # is_agent in the footer: the portal's links for requesters only
    assert 'aria-label="Footer"' in _top(end_user, "/portal/")
    assert 'aria-label="Footer"' not in _top(agent_l1, "/portal/")


def test_a_script_prefix_renders_anew(agent_l1) -> None:
    plain = _top(agent_l1, "/agent/incidents/")
    set_script_prefix("/desk/")
    try:
        prefixed = _top(agent_l1, "/agent/incidents/")
    finally:
        clear_script_prefix()
    assert 'data-login-url="/desk/accounts/login/"' in prefixed
    assert 'href="/desk/agent/incidents/"' in prefixed and 'action="/desk/' in prefixed
    assert _top(agent_l1, "/agent/incidents/") == plain


# The tag itself.

TAG = Template(
    "{% load chrome %}{% chrome v=v %}[{{ v }}|{{ other }}|{% slot name %}|{% csrf_token %}]"
    "{% endchrome %}"
)


def _tag(**values: Any) -> str:
    return TAG.render(Context({"csrf_token": "t", **values}))


def test_the_body_sees_only_its_values_and_slots_read_the_page() -> None:
    assert _tag(v=1, other="x", name="Ann") == (
        '[1||Ann|<input type="hidden" name="csrfmiddlewaretoken" value="t">]'
    )
    assert _tag(v=1, other="x", name="Bob &") == (
        '[1||Bob &amp;|<input type="hidden" name="csrfmiddlewaretoken" value="t">]'
    )


def test_a_value_is_keyed_by_its_type() -> None:
    assert _tag(v=1).startswith("[1|")
    assert _tag(v=True).startswith("[True|")
    assert _tag(v="1").startswith("[1|")


def test_autoescaping_is_part_of_the_key() -> None:
    page = Template("{% load chrome %}{% chrome v=v %}{{ v }}{% endchrome %}")
    assert page.render(Context({"v": "<i>"}, autoescape=False)) == "<i>"
    assert page.render(Context({"v": "<i>"})) == "&lt;i&gt;"


class Prefixed:
    """A URLconf whose home is elsewhere."""

    urlpatterns = [path("prefixed/", lambda request: None, name="home")]


def test_the_urlconf_is_part_of_the_key() -> None:
    page = Template("{% load chrome %}{% chrome %}{% url 'home' %}{% endchrome %}")
    assert page.render(Context()) == "/"
    set_urlconf(Prefixed)
    try:
        assert page.render(Context()) == "/prefixed/"
    finally:
        set_urlconf(None)


def test_the_language_is_part_of_the_key(monkeypatch) -> None:
    # The desk translates nothing (USE_I18N is off): a second language is only a second key.
    page = Template("{% load chrome %}{% chrome %}{% url 'home' %}{% endchrome %}")
    for language in ("en-us", "de", "en-us"):
        monkeypatch.setattr(chrome, "get_language", lambda language=language: language)
        assert page.render(Context()) == "/"
    assert len(_memo(page)) == 2


def test_a_changed_setting_renders_anew() -> None:
    page = Template("{% load chrome static %}{% chrome %}{% static 'css/app.css' %}{% endchrome %}")
    with override_settings(STATIC_URL="/one/"):
        assert page.render(Context()).startswith("/one/css/app")
    with override_settings(STATIC_URL="/two/"):
        assert page.render(Context()).startswith("/two/css/app")


def test_values_that_cannot_be_kept_are_rendered_each_time() -> None:
    _tag(v="kept")
    kept = len(_memo(TAG))
    assert _tag(v=["a"], name="n").startswith("[[&#x27;a&#x27;]||n|")
    # A value with what a slot's place looks like is written as it is, not taken for a slot.
    assert _tag(v="a\x000\x00b", name="n").startswith("[a\x000\x00b||n|")
    assert len(_memo(TAG)) == kept


def _memo(page: Template) -> dict[Any, Any]:
    (node,) = page.nodelist.get_nodes_by_type(chrome.ChromeNode)
    return node.memo


def test_the_memo_stays_bounded(monkeypatch) -> None:
    monkeypatch.setattr(chrome, "MEMO_SIZE", 3)
    for index in range(10):
        _tag(v=index)
    assert 1 <= len(_memo(TAG)) <= 3


def test_a_block_inside_is_refused() -> None:
    with pytest.raises(TemplateSyntaxError):
        Template("{% load chrome %}{% chrome %}{% block a %}{% endblock %}{% endchrome %}")


def test_a_slot_outside_a_chrome_is_its_variable() -> None:
    page = Template("{% load chrome %}{% slot name %}")
    assert page.render(Context({"name": "<b>"})) == "&lt;b&gt;"


def test_a_request_token_is_read_through_the_page(agent_l1) -> None:
    request = _request("/agent/incidents/", agent_l1)
    token = get_token(request)
    html = _kept("agent.html", request, {})
    (value,) = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert value != token and len(value) == len(token)  # masked, as {% csrf_token %} does
