"""The API docs: Swagger UI served offline (sidecar assets) with no inline script or style, so
the strict CSP holds; checked in headless Chromium for CSP console errors."""

import re

import pytest
from django.test import modify_settings
from rest_framework.test import APIClient

# The sidecar's static files and drf-spectacular's templates need their apps installed
# (config/settings.py INSTALLED_APPS); added here in case the running settings lack them.
WITH_DOCS_APPS = modify_settings(
    INSTALLED_APPS={"append": ["drf_spectacular", "drf_spectacular_sidecar"]}
)


@pytest.mark.django_db
def test_docs_page_has_no_inline_script_or_style():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "<style" not in html
    assert " style=" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "Content-Security-Policy" in response


@pytest.mark.django_db
def test_docs_settings_script_points_at_the_schema():
    response = APIClient().get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()


@pytest.mark.django_db
def test_schema_is_served():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/incidents/" in response.json()["paths"]


@pytest.mark.browser
@WITH_DOCS_APPS
def test_docs_render_in_chromium_without_csp_errors(live_server, chromium_path, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            # Tall: from 150 tags + operations on, Swagger UI renders only the rows in view
            # (a window virtualizer), and the check below counts rendered operations.
            page = browser.new_page(viewport={"width": 1280, "height": 4000})
            page.on(
                "console",
                lambda msg: (
                    problems.append(f"console {msg.type}: {msg.text}")
                    if msg.type == "error" or "Content Security Policy" in msg.text
                    else None
                ),
            )
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on(
                "requestfailed",
                lambda req: problems.append(f"request failed: {req.url} {req.failure}"),
            )
            response = page.goto(f"{live_server.url}/api/docs/")
            assert response is not None and response.status == 200
            assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
            page.wait_for_selector(".swagger-ui .information-container .title", timeout=60_000)
            page.wait_for_selector(".opblock-tag", timeout=30_000)
            assert page.locator(".opblock").count() > 10
            assert "Service desk API" in page.inner_text(".information-container .title")
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
