"""Template filters for CRM data on the customer card ({% load crm %})."""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def crm_customer_url(customer) -> str:
    """The customer's page in the CRM from HELPDESK_CRM_CUSTOMER_URL ("" when not set or
    the customer has no CRM id). The id is URL-quoted; the template escapes the rest."""
    pattern = getattr(settings, "HELPDESK_CRM_CUSTOMER_URL", "")
    external_id = getattr(customer, "external_id", "")
    if not pattern or not external_id or "{external_id}" not in pattern:
        return ""
    url = pattern.replace("{external_id}", quote(external_id, safe=""))
    return url if url.startswith(("https://", "http://")) else ""


@register.filter
def crm_items(attributes) -> list[tuple[str, str]]:
    """CRM attributes as (name, text) pairs in name order; nested values as compact JSON."""
    import json

    if not isinstance(attributes, dict):
        return []
    items = []
    for key in sorted(attributes, key=str):
        value = attributes[key]
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        elif value is None:
            value = "—"
        items.append((str(key), str(value)))
    return items
