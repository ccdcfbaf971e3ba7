"""Rows of the portal's single-kind lists (incidents.views.portal_rows,
service_requests.views.portal_rows) as one string each, laid out as their templates wrote
them, and the path of a row's ticket without a reverse() per row."""

from collections.abc import Callable, Iterable
from urllib.parse import quote

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

_SLOT = "number-slot"


def table_row(cells: Iterable[str]) -> SafeString:
    """A <tr> of `cells` (each a whole <td>, its values escaped by the caller), indented as
    the lists' templates indent their rows."""
    inner = "".join(f"        {cell}\n" for cell in cells)
    return mark_safe(f"\n      <tr>\n{inner}      </tr>\n      ")  # noqa: S308 (escaped cells)


def number_path(url_name: str) -> Callable[[str], str]:
    """The path of URL `url_name` for a ticket number: reversed once, the number put in."""
    shape = reverse(url_name, args=[_SLOT])
    return lambda number: shape.replace(_SLOT, quote(number))
