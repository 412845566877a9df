"""Numbers for people: durations, percentages, money. Used by dashboards and CSV."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return _("%(n)s s") % {"n": s}
    minutes = s // 60
    if minutes < 60:
        return _("%(n)s min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(d)s d %(h)s h") % {"d": hours // 24, "h": hours % 24}


def percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return number_format(round(value * 100, digits), digits) + " %"


def number(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(value, digits, force_grouping=True)


def money(value: Decimal | None, currency: str = "") -> str:
    if value is None:
        return "—"
    symbol = {"RUB": "₽", "USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency)
    return f"{number_format(value, 0, force_grouping=True)} {symbol}".strip()
