"""Pagination of API lists.

Small lists (configuration, customers, messages) use page numbers with a total `count`.
The ticket list uses a keyset cursor: each page is one indexed range read after the last row
of the previous page, so its cost does not depend on the page number or on the table size
(no COUNT(*) over the table, no OFFSET).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response

MAX_PAGE_SIZE = 200


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class KeysetPagination(BasePagination):
    """Forward-only cursor over a fixed set of orderings, each ending in the primary key.

    A view sets `keyset_orderings = {"name": ("field", "-field", ..., "id")}` and
    `keyset_default = "name"`; clients pass `ordering=<name>`, `page_size` and the opaque
    `cursor` from the previous page's `next`.
    """

    page_size = 50

    def _orderings(self, view) -> dict[str, tuple[str, ...]]:
        return view.keyset_orderings

    def _page_size(self, request) -> int:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({"page_size": ["A whole number from 1."]})
        return min(int(raw), MAX_PAGE_SIZE)

    def _ordering(self, request, view) -> str:
        name = request.query_params.get("ordering") or view.keyset_default
        if name not in self._orderings(view):
            raise ValidationError(
                {"ordering": [f"One of: {', '.join(sorted(self._orderings(view)))}."]}
            )
        return name

    @staticmethod
    def _encode(ordering: str, values: list) -> str:
        raw = json.dumps({"o": ordering, "v": values}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def _decode(cursor: str, ordering: str, n: int) -> list:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            values = data["v"]
            if data["o"] != ordering or not isinstance(values, list) or len(values) != n:
                raise ValueError
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise ValidationError({"cursor": ["Not a cursor from this list."]}) from exc
        return values

    @staticmethod
    def _value(obj, field: str):
        value = getattr(obj, "pk" if field == "id" else field)
        return value.isoformat() if isinstance(value, datetime) else value

    @staticmethod
    def _parse(model, field: str, value):
        if field != "id" and model._meta.get_field(field).get_internal_type() == "DateTimeField":
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                raise ValidationError({"cursor": ["Not a cursor from this list."]})
            return parsed
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError({"cursor": ["Not a cursor from this list."]})
        return value

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.ordering = self._ordering(request, view)
        fields = self._orderings(view)[self.ordering]
        size = self._page_size(request)
        queryset = queryset.order_by(*fields)
        cursor = request.query_params.get("cursor")
        if cursor:
            values = self._decode(cursor, self.ordering, len(fields))
            names = [f.lstrip("-") for f in fields]
            parsed = [self._parse(queryset.model, n, v) for n, v in zip(names, values, strict=True)]
            after = Q()
            for i, field in enumerate(fields):
                lookup = "lt" if field.startswith("-") else "gt"
                step = Q(**{f"{names[i]}__{lookup}": parsed[i]})
                for j in range(i):
                    step &= Q(**{names[j]: parsed[j]})
                after |= step
            # The same bound on the leading column alone, so the database reads an index range
            # from the cursor on instead of filtering the whole table with the OR above.
            lead = "lte" if fields[0].startswith("-") else "gte"
            queryset = queryset.filter(Q(**{f"{names[0]}__{lead}": parsed[0]}) & after)
        rows = list(queryset[: size + 1])
        self.has_next = len(rows) > size
        rows = rows[:size]
        self.next_cursor = None
        if self.has_next:
            last = rows[-1]
            self.next_cursor = self._encode(
                self.ordering, [self._value(last, f.lstrip("-")) for f in fields]
            )
        return rows

    def get_next_link(self) -> str | None:
        if not self.next_cursor:
            return None
        params = self.request.query_params.copy()
        params["cursor"] = self.next_cursor
        return (
            self.request.build_absolute_uri(self.request.path) + "?" + urlencode(params, doseq=True)
        )

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "The opaque cursor from the previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Rows per page, {self.page_size} by default, {MAX_PAGE_SIZE} max.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": "ordering",
                "in": "query",
                "required": False,
                "description": f"Sort order (default {view.keyset_default}).",
                "schema": {"type": "string", "enum": sorted(self._orderings(view))},
            },
        ]
