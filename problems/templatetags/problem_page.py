"""`{% linked_incident_rows links ticket %}`: the problem page's linked incidents rows, written
in Python (problems.linked_rows) with the page's CSRF token."""

from collections.abc import Iterable

from django import template
from django.utils.safestring import SafeString

from problems.linked_rows import linked_incident_rows as rows_of_links
from problems.models import Problem, ProblemIncident

register = template.Library()


@register.simple_tag(takes_context=True)
def linked_incident_rows(
    context: template.Context, links: Iterable[ProblemIncident], ticket: Problem
) -> SafeString:
    return rows_of_links(links, ticket, str(context.get("csrf_token") or ""))
