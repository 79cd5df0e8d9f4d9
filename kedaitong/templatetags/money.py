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
def share(value: Decimal | None) -> str:
    """A share kept as a fraction (a version's subsidy share 0.3000) as a percentage (0.3000 → “30” and a per cent sign)."""
    if value is None:
        return ""
    return f"{(value * 100).normalize():f}%"


@register.filter
def yi(value: Decimal | None) -> str:
    """Yuan as 亿元 (the all-banks cap of Quzhou 一(四): 640,000,000 → 6.4)."""
    return "" if value is None else f"{(value / Decimal(100_000_000)).normalize():f}"


@register.filter
def years(months: int | None) -> str:
    """A term in months as years where it is whole years (36 → 三年), else months (18 → 18个月)."""
    if months is None:
        return ""
    if months % 12 == 0:
        return (
            "一二三四五六七八九十"[months // 12 - 1] + "年"
            if 12 <= months <= 120
            else f"{months // 12}年"
        )
    return f"{months}个月"
