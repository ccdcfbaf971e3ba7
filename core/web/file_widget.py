"""The file widget of every upload form (Django's ClearableFileInput), written in Python for
core.web.form_renderer: every ticket page's Files card has one, and through Django's template
(and its attributes' include) it cost half a millisecond a page."""

from collections.abc import Callable, Mapping
from typing import Any

Writer = Callable[[Mapping[str, Any]], str | None]


def clearable_file_input(write_input: Writer) -> Writer:
    """django/forms/widgets/clearable_file_input.html: with no current file it writes only the
    <input>, as `write_input` does (a file input shows no value); a widget showing a current
    file and its "clear" box is left to Django's template (None)."""

    def write(widget: Mapping[str, Any]) -> str | None:
        return None if widget.get("is_initial") else write_input(widget)

    return write
