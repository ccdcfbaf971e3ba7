"""The problem page's own tags: `{% linked_incident_rows links ticket %}`, the linked incidents'
rows written in Python (problems.linked_rows) with the page's CSRF token, and
`{% panel_field_rows form %}`, the visible fields of a panel's form, kept
(problems.panel_fields)."""

from collections.abc import Iterable

from django import template
from django.forms import Form
from django.utils.safestring import SafeString

from problems.linked_rows import linked_incident_rows as rows_of_links
from problems.models import Problem, ProblemIncident
from problems.panel_fields import panel_field_rows as kept_field_rows

register = template.Library()


@register.simple_tag(takes_context=True)
def linked_incident_rows(
    context: template.Context, links: Iterable[ProblemIncident], ticket: Problem
) -> SafeString:
    return rows_of_links(links, ticket, str(context.get("csrf_token") or ""))


@register.simple_tag
def panel_field_rows(form: Form) -> SafeString:
    """`{% for field in form.visible_fields %}{% field_row field %}{% endfor %}`."""
    return kept_field_rows(form)
