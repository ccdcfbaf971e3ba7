"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

One Chromium per run of this folder, one browser context (cookies, storage) per actor, so a test
can have an end user and an agent side by side. Every test here carries the `browser` marker
(tests/conftest.py skips it without Chromium, and fails it instead when CI=true).

Playwright's sync API keeps an asyncio loop running in the main thread while it is started, which
makes Django refuse ORM calls from test code and from the transactional flush between tests
(SynchronousOnlyOperation). The tests here share nothing with an event loop, so the check is lifted
for this folder only, and Playwright is stopped when the folder is done, so the rest of the suite
runs with the check in force.
"""

import os
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from core.models import SupportGroup, User
from service_requests.choices import ApprovalMode, FieldType
from service_requests.models import CatalogCategory, CatalogField, CatalogItem, CatalogTask
from sla.models import Calendar, SlaPolicy
from tests.conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
# Generous for a shared 2-core machine; Playwright waits only as long as it has to.
TIMEOUT_MS = 15_000
# tests.factories.UserFactory gives every user this password.
PASSWORD = "pw-for-tests-1"
# CI keeps this folder: one sub-folder per flow, PNGs numbered in the order they were taken.
SCREENSHOT_ROOT = Path(
    os.environ.get("E2E_SCREENSHOT_DIR", str(settings.BASE_DIR / "var" / "e2e-screenshots"))
)

# axe-core from the npm registry (tests/e2e/package.json, installed by `npm ci --prefix tests/e2e`).
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"

# The smallest valid PNG (1x1, transparent): an upload the attachment checks accept.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture(autouse=True, scope="package")
def _allow_orm_beside_playwright() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Debian's Chromium, never a browser Playwright downloads."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest, browser: Any, live_server: Any
) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh browser context (its own cookies) on the live server.

    Keyword arguments go to `browser.new_context`. Every context is closed when the test ends;
    when the test failed, each open page is saved first as
    SCREENSHOT_ROOT/failures/<test>/page-<n>.png, to see what the browser showed.
    """
    from playwright.sync_api import Error as PlaywrightError

    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(
            base_url=live_server.url, **{"viewport": VIEWPORT, "locale": "en-GB", **options}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    pages = [page for context in contexts for page in context.pages]
    if pages and request.node.stash.get(_CALL_FAILED, False):
        folder = SCREENSHOT_ROOT / "failures" / re.sub(r"[^\w.-]+", "-", request.node.name)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for number, page in enumerate(pages, start=1):
            try:
                page.screenshot(path=str(folder / f"page-{number}.png"), full_page=True)
            except PlaywrightError:  # a crashed page: the test's own failure says enough
                continue
    for context in contexts:
        context.close()


def login(page: Any, user: User, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would, and wait until it has let us in."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def login_with_session(live_server: Any) -> Callable[[Any, User], None]:
    """Sign in without the form: a session made on the server, its cookie handed to the page's
    context. For tests about other pages than the login page."""

    def sign_in(page: Any, user: User) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in


class Screenshots:
    """Numbered full-page PNGs of one flow in SCREENSHOT_ROOT/<flow>/ (emptied first, so the
    folder shows the last run only)."""

    def __init__(self, flow: str) -> None:
        self.folder = SCREENSHOT_ROOT / flow
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, page: Any, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screenshots() -> Callable[[str], Screenshots]:
    return Screenshots


def disclosure(page: Any, name: str) -> Any:
    """The <summary> that opens an action's form (it has no ARIA role Playwright can match)."""
    return page.locator("summary").filter(has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))


def status_badge(page: Any) -> Any:
    """The ticket's status badge: the first one in the page's main content."""
    return page.get_by_role("main").locator(".badge-status").first


def form_of(button: Any) -> Any:
    """The form a submit button belongs to, to find fields by label inside that form only
    (the same label, e.g. "Support group", can appear in two forms of one page)."""
    return button.locator("xpath=ancestor::form[1]")


# --- Data the flows and the page sweep share ------------------------------------------------


@pytest.fixture
def requester(end_user: User, manager: User) -> User:
    """The end user, whose manager (the manager fixture) approves their requests."""
    end_user.manager = manager
    end_user.save(update_fields=["manager"])
    return end_user


@pytest.fixture
def laptop_item(l1_group: SupportGroup) -> CatalogItem:
    """A catalog item the requester's manager approves, with two questions and a two-step
    fulfilment checklist, fulfilled by the L1 group."""
    category = CatalogCategory.objects.create(name="Hardware", slug="hardware")
    item = CatalogItem.objects.create(
        category=category,
        slug="new-laptop",
        name="New laptop",
        summary="A new company laptop, imaged and ready to use.",
        description="Your manager approves the purchase first.",
        support_group=l1_group,
        approval_mode=ApprovalMode.MANAGER,
    )
    CatalogField.objects.create(
        item=item,
        key="model",
        label="Model",
        field_type=FieldType.CHOICE,
        choices='Standard 14"\nPerformance 16"',
        order=1,
    )
    CatalogField.objects.create(
        item=item,
        key="justification",
        label="Why do you need it?",
        field_type=FieldType.LONG_TEXT,
        order=2,
    )
    CatalogTask.objects.create(item=item, title="Order the laptop", order=1)
    CatalogTask.objects.create(item=item, title="Hand it over", order=2)
    return item


@pytest.fixture
def request_policies(always_open_calendar: Calendar) -> None:
    """Request SLAs for every priority: start within 4 h, fulfil within 24 h, 24x7."""
    for priority in range(1, 6):
        SlaPolicy.objects.create(
            name=f"Requests P{priority}",
            ticket_kind="request",
            priority=priority,
            response_target=timedelta(hours=4),
            resolution_target=timedelta(hours=24),
            calendar=always_open_calendar,
        )


@pytest.fixture
def axe_source() -> str:
    """axe-core's source; checked before any test data is built."""
    if not AXE_JS.exists():
        reason = f"axe-core is not installed at {AXE_JS}: run `npm ci --prefix tests/e2e`"
        if IN_CI:
            pytest.fail(f"{reason} — required when CI=true", pytrace=False)
        pytest.skip(reason)
    return AXE_JS.read_text()
