"""Turning one cell into a value, or a ValueError whose message (Chinese) is shown against the row and column."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from kedaitong.money import check_amount_size, parse_amount

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def text(value: Any, *, required: bool = True, max_length: int = 200) -> str:
    if value is None:
        if required:
            raise ValueError("必填，不能为空")
        return ""
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"“{value!r}”应为文本")
        value = int(value)
    result = str(value).strip()
    if "\x00" in result:  # PostgreSQL refuses it in text; an .xlsx cell can still carry one
        raise ValueError("含有空字符（NUL），请删除后重填")
    if required and not result:
        raise ValueError("必填，不能为空")
    if len(result) > max_length:
        raise ValueError(f"超过{max_length}个字符")
    return result


def date(value: Any, *, required: bool = True, not_after: dt.date | None = None) -> dt.date | None:
    """An Excel date cell or YYYY-MM-DD text; `not_after` refuses future dates."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError("必填，不能为空")
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"“{value}”不是有效日期") from None
    else:
        raise ValueError(f"“{value}”不是日期（请用Excel日期或“年-月-日”格式，如2026-03-15）")
    if not_after is not None and day > not_after:
        raise ValueError(f"{day:%Y-%m-%d}是将来的日期")
    return day


def amount(value: Any, *, allow_zero: bool = False) -> Decimal:
    """Yuan: a number or text with thousands separators; more than two decimals, negative or zero refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("必填，不能为空")
    if isinstance(value, bool):
        raise ValueError(f"“{value}”不是金额")
    if isinstance(value, float):
        typed = repr(value)  # calamine gives floats; their shortest repr is the number as typed
        number = Decimal(typed)
        if not number.is_finite():
            raise ValueError(f"“{typed}”不是有效的金额")
        check_amount_size(number, f"{number:f}" if abs(number) < Decimal("1e40") else typed)
        if "e" in typed.lower():
            raise ValueError(f"“{typed}”不是有效的金额")
        value = typed
    return parse_amount(value, allow_zero=allow_zero)


def rate(value: Any) -> Decimal:
    """Annual rate in percent, at most four decimals, greater than zero."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("必填，不能为空")
    if isinstance(value, float):
        value = repr(value)
    raw = str(value).strip().rstrip("%").strip()
    try:
        result = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"“{value}”不是有效的利率") from None
    if not result.is_finite() or result <= 0 or result >= 100:
        raise ValueError(f"利率“{value}”应在0到100之间（单位为%）")
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        raise ValueError(f"利率“{value}”最多四位小数")
    return result.quantize(Decimal("0.0001"))


def yes_no(value: Any) -> bool:
    word = text(value)
    if word == "是":
        return True
    if word == "否":
        return False
    raise ValueError(f"“{word}”应填“是”或“否”")
