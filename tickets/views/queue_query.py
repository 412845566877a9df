"""The queue's query string as the filters read it: shared by the queue page and its CSV."""

from __future__ import annotations

import datetime

from django.utils import timezone


def queue_filter_data(query):
    """The query string without empty values: an empty select means "any"."""
    data = query.copy()
    for key in list(data.keys()):
        values = [v for v in data.getlist(key) if v.strip()]
        if values:
            data.setlist(key, values)
        else:
            del data[key]
    return data


def _parse_date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def created_range_apply(data) -> None:
    """created_from / created_to are dates in the operator's time zone, both inclusive:
    set the filter's created_after / created_before from them."""
    tz = timezone.get_current_timezone()
    start = _parse_date(data.get("created_from", ""))
    end = _parse_date(data.get("created_to", ""))
    if start:
        data["created_after"] = datetime.datetime.combine(start, datetime.time(), tz).isoformat()
    if end:
        after_end = end + datetime.timedelta(days=1)
        data["created_before"] = datetime.datetime.combine(
            after_end, datetime.time(), tz
        ).isoformat()
