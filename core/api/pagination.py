"""Cursor (keyset) pagination for ticket lists, whatever their ordering.

DRF's CursorPagination keys on one column and falls back to offsets among equal values, and
cannot page over a nullable key such as `sla_due_at` (time to breach). This paginator reads the
queryset's own ORDER BY (set by the FilterSet's `ordering`, or the model's Meta.ordering), adds
the primary key as the final tie-breaker, and encodes the last row's values of all those columns
in an opaque cursor. The next page is "rows after this tuple" as one WHERE clause the ordering
index can serve, so page 1,000 costs what page 1 costs and rows inserted meanwhile never shift
a page. Keys must be the model's own concrete fields (`F("x").asc(nulls_last=True)`, "-x", "x").
The queryset may be a `.values()` one that includes those columns.

Response: {"next": url | null, "previous": url | null, "results": [...]}. `?page_size=` picks
up to API_MAX_PAGE_SIZE rows (default PAGE_SIZE). A malformed cursor, or one made for another
ordering, is a 400 on the `cursor` field.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param


@dataclass(frozen=True)
class Key:
    """One ORDER BY column: its model field, direction and where NULLs sort."""

    field: models.Field[Any, Any]
    descending: bool
    nulls_last: bool

    @property
    def name(self) -> str:
        return str(self.field.attname)

    def reversed(self) -> Key:
        return Key(self.field, not self.descending, not self.nulls_last)

    def order_by(self) -> OrderBy:
        # Explicit NULL placement: SQLite and PostgreSQL disagree on the default.
        expression = F(self.name)
        sort = expression.desc if self.descending else expression.asc
        return sort(nulls_last=True) if self.nulls_last else sort(nulls_first=True)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    if name == "pk":
        pk = model._meta.pk
        assert pk is not None
        return pk
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist as exc:
        raise ImproperlyConfigured(f"Cursor pagination cannot order by {name!r}.") from exc
    if not isinstance(field, models.Field) or not field.concrete or "__" in name:
        raise ImproperlyConfigured(f"Cursor pagination cannot order by {name!r}.")
    return field


def ordering_keys(queryset: QuerySet[Any]) -> list[Key]:
    """The queryset's ordering as keys, ending with the primary key."""
    model = queryset.model
    order = list(queryset.query.order_by) or list(model._meta.ordering or [])
    keys: list[Key] = []
    for item in order:
        if isinstance(item, str):
            descending = item.startswith("-")
            field = _field(model, item.lstrip("-"))
            # The database default: NULLs are larger than everything (PostgreSQL), so they come
            # last ascending and first descending; SQLite agrees once told explicitly below.
            keys.append(Key(field, descending, nulls_last=not descending))
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            field = _field(model, str(getattr(item.expression, "name", "")))
            nulls_last = (
                bool(item.nulls_last)
                if item.nulls_last or item.nulls_first
                else not item.descending
            )
            keys.append(Key(field, bool(item.descending), nulls_last))
        else:
            raise ImproperlyConfigured(f"Cursor pagination cannot order by {item!r}.")
    pk = model._meta.pk
    assert pk is not None
    if not any(key.field == pk for key in keys):
        descending = keys[-1].descending if keys else False
        keys.append(Key(pk, descending, nulls_last=True))
    else:
        keys = keys[: [key.field for key in keys].index(pk) + 1]
    return keys


def _after(keys: list[Key], values: list[Any]) -> Q:
    """Rows strictly after `values` in the order of `keys` (lexicographic, NULL-aware)."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        name = key.name
        if value is None:
            # After NULL: only NULLs sort after it when NULLs are first; nothing when last.
            beyond = Q(**{f"{name}__isnull": False}) if not key.nulls_last else Q(pk__in=[])
            same = Q(**{f"{name}__isnull": True})
        else:
            lookup = "lt" if key.descending else "gt"
            beyond = Q(**{f"{name}__{lookup}": value})
            if key.nulls_last:
                beyond |= Q(**{f"{name}__isnull": True})
            same = Q(**{name: value})
        condition |= equal & beyond
        equal &= same
    return condition


class KeysetCursorPagination(BasePagination):
    """REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]; see the module docstring."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def __init__(self) -> None:
        self.base_url = ""
        self.next_values: list[Any] | None = None
        self.previous_values: list[Any] | None = None
        self.signature = ""
        self.keys: list[Key] = []

    # --- page size and cursor ---------------------------------------------------------------

    def get_page_size(self, request: Request) -> int:
        default = int(api_settings.PAGE_SIZE or 50)
        maximum = settings.API_MAX_PAGE_SIZE
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return default
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= maximum:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"Give a whole number from 1 to {maximum}."]}
            )
        return size

    def _decode(self, raw: str) -> tuple[bool, list[Any]]:
        invalid = exceptions.ValidationError(
            {self.cursor_query_param: ["Invalid cursor: use the next/previous links as given."]}
        )
        try:
            padded = raw + "=" * (-len(raw) % 4)
            payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            backwards, signature, encoded = bool(payload["b"]), payload["s"], payload["v"]
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError) as exc:
            raise invalid from exc
        if signature != self.signature or not isinstance(encoded, list):
            raise invalid
        if len(encoded) != len(self.keys):
            raise invalid
        values = []
        try:
            for key, value in zip(self.keys, encoded, strict=True):
                values.append(None if value is None else key.field.to_python(value))
        except (DjangoValidationError, ValueError, TypeError) as exc:
            raise invalid from exc
        return backwards, values

    def _encode(self, backwards: bool, values: list[Any]) -> str:
        encoded = [None if value is None else _plain(value) for value in values]
        payload = json.dumps({"b": int(backwards), "s": self.signature, "v": encoded})
        return base64.urlsafe_b64encode(payload.encode()).decode("ascii").rstrip("=")

    # --- BasePagination ------------------------------------------------------------------------

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.keys = ordering_keys(queryset)
        self.signature = ",".join(
            f"{'-' if k.descending else ''}{k.name}{'' if k.nulls_last else '^'}" for k in self.keys
        )
        raw = request.query_params.get(self.cursor_query_param)
        backwards, values = (False, None) if not raw else self._decode(raw)
        keys = [key.reversed() for key in self.keys] if backwards else self.keys
        page_qs = queryset.order_by(*[key.order_by() for key in keys])
        if values is not None:
            page_qs = page_qs.filter(_after(keys, values))
        rows = list(page_qs[: page_size + 1])
        has_more = len(rows) > page_size
        rows = rows[:page_size]
        if backwards:
            rows.reverse()
        self.next_values = self.previous_values = None
        if rows:
            first, last = rows[0], rows[-1]
            if has_more or backwards:
                self.next_values = [_key_value(last, key) for key in self.keys]
            if (has_more and backwards) or (values is not None and not backwards):
                self.previous_values = [_key_value(first, key) for key in self.keys]
        return rows

    def _link(self, backwards: bool, values: list[Any] | None) -> str | None:
        if values is None:
            return None
        return replace_query_param(
            self.base_url, self.cursor_query_param, self._encode(backwards, values)
        )

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "next": self._link(False, self.next_values),
                "previous": self._link(True, self.previous_values),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        maximum = settings.API_MAX_PAGE_SIZE
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The pagination cursor from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {maximum}.",
                "schema": {"type": "integer", "minimum": 1, "maximum": maximum},
            },
        ]


def _key_value(row: Any, key: Key) -> Any:
    """A key's value in a row: a model instance, or a dict from `.values()` (which must include
    the ordering's columns; the primary key as "id" or "pk")."""
    if isinstance(row, dict):
        if key.name in row:
            return row[key.name]
        return row["pk"] if "pk" in row else row[key.field.name]
    return getattr(row, key.name)


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, int | str | float | bool):
        return value
    return str(value)
