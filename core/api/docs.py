"""The OpenAPI schema's browsable docs (Swagger UI), offline and under the strict CSP.

Swagger UI's files come from drf-spectacular-sidecar (served by the app, no CDN). The page has
no inline script or style: its settings script is a separate request (`?script`, as in
drf-spectacular's SpectacularSwaggerSplitView), and the page markup is ours because the stock
template carries an inline <style> block the CSP would refuse.
"""

from pathlib import Path
from typing import Any

import drf_spectacular
from django.http import HttpResponse
from django.template import Context, Engine
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.request import Request

# drf-spectacular's own templates, read directly: the settings script is theirs, unchanged.
_ENGINE = Engine(dirs=[str(Path(drf_spectacular.__file__).parent / "templates")])

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }}</title>
  {% if favicon_href %}<link rel="icon" href="{{ favicon_href }}">{% endif %}
  <link rel="stylesheet" href="{{ swagger_ui_css }}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{{ swagger_ui_bundle }}"></script>
  <script src="{{ swagger_ui_standalone }}"></script>
  <script src="{{ script_url }}"></script>
</body>
</html>
"""


class ApiDocsView(SpectacularSwaggerSplitView):
    """GET /api/docs/: Swagger UI for /api/schema/; GET /api/docs/?script: its settings."""

    renderer_classes = [TemplateHTMLRenderer, JSONRenderer]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        context = Context(response.data)
        if request.GET.get("script") is not None:
            script = _ENGINE.get_template(self.template_name_js).render(context)
            return HttpResponse(script, content_type="application/javascript; charset=utf-8")
        page = _ENGINE.from_string(_PAGE).render(context)
        return HttpResponse(page, content_type="text/html; charset=utf-8")
