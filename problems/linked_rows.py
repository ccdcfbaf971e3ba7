"""The rows of a problem page's linked incidents table, formatted in Python.

The same markup templates/problems/agent/_linked_incident_row.html writes for a link
(tests/problems/test_linked_rows.py compares the two): through the template language a page of
50 links ran ~50 nodes, two `{% url %}`s, a `{% csrf_token %}`, a badge tag and a `date` filter
per row, about a quarter of the problem page's CPU. The two URLs are reversed once per page with
a stand-in number, then each row's number is put in its place."""

from collections.abc import Iterable

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.web.cells import day_month_year, status_badge_html
from problems.linked_kind import linked_kind
from problems.models import Problem, ProblemIncident

# A ticket number is letters, digits and a dash: this stand-in cannot be part of one.
_NUMBER_SLOT = "NUMBER_SLOT"

_ROW = """
            <tr>
              <td data-label="Incident" class="mono nowrap"><a href="{path}">{number}</a></td>
              <td data-label="Title">{title}</td>
              <td data-label="Status">{badge}{hold}</td>
              <td data-label="Requester">{requester}</td>
              <td data-label="Linked" class="nowrap">{linked}</td>
              <td>
                {unlink}
              </td>
            </tr>
          """
_UNLINK = """
                <form method="post" action="{action}" class="inline-form">
                  {csrf}
                  <button type="submit" class="btn btn-small btn-ghost">Unlink\
<span class="visually-hidden"> {number}</span></button>
                </form>
                """


def _csrf_input(token: str) -> str:
    """What `{% csrf_token %}` writes for the page's token (nothing without one)."""
    # Django's marker for a view exempt from CSRF protection, not a secret.
    if not token or token == "NOTPROVIDED":  # noqa: S105
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'


def linked_incident_rows(
    links: Iterable[ProblemIncident], problem: Problem, csrf_token: str
) -> SafeString:
    """The `<tr>`s of `links` (each with its incident and the incident's requester), with an
    Unlink button while the problem is not closed or cancelled."""
    path = linked_kind().agent_path(_NUMBER_SLOT)
    unlinkable = problem.status not in ("closed", "cancelled")
    unlink = reverse("problems:unlink", args=[problem.number, _NUMBER_SLOT])
    csrf = _csrf_input(csrf_token)
    rows = []
    for link in links:
        incident = link.incident
        number = escape(incident.number)
        hold = ""
        if incident.status == "on_hold":
            hold = f' <span class="muted">{escape(incident.get_on_hold_reason_display())}</span>'
        rows.append(
            _ROW.format(
                path=escape(path.replace(_NUMBER_SLOT, incident.number)),
                number=number,
                title=escape(incident.title),
                badge=status_badge_html(type(incident), incident.status),
                hold=hold,
                requester=escape(incident.requester.display_name),
                linked=day_month_year(link.linked_at),
                unlink=_UNLINK.format(
                    action=escape(unlink.replace(_NUMBER_SLOT, incident.number)),
                    csrf=csrf,
                    number=number,
                )
                if unlinkable
                else "",
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped above)
