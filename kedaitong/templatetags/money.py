"""Template filters for money: yuan with thousands separators, 万元, Chinese capitals."""

from __future__ import annotations

from decimal import Decimal

from django import template

from kedaitong.money import format_yuan, rmb_capitals, yuan_to_wan

register = template.Library()


@register.filter
def yuan(value: Decimal | None) -> str:
    return "" if value is None else format_yuan(value)


@register.filter
def wan(value: Decimal | None) -> str:
    return "" if value is None else f"{yuan_to_wan(value):f}"


@register.filter
def capitals(value: Decimal | None) -> str:
    return "" if value is None else rmb_capitals(value)


@register.filter
def number(value: object) -> object:
    """Decimals as yuan with separators; anything else unchanged."""
    return format_yuan(value) if isinstance(value, Decimal) else value


@register.filter
def percent(value: Decimal | None) -> str:
    """A share as a percentage, without trailing zeros: Decimal("0.3000") → "30%", 0.125 → "12.5%"."""
    if value is None:
        return ""
    shown = (value * 100).normalize()
    return f"{shown:f}%"
