"""Money: yuan as Decimal, rounded half-up to the fen at the points the rules name.

Roundings used in the portal, all here:
- `to_fen`: ROUND_HALF_UP to 0.01 yuan (recovery shares, subsidy lines, annualized amounts).
- `allocate`: pro-rating a budget over lines, each rounded down to the fen, the
  remaining fens given one each to the largest remainders, so the lines add up
  to the budget exactly (Quzhou 四: 贴息总额超出年度预算时，按预算金额同比例下降).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

import cn2an

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
WAN = Decimal("10000")
# DecimalField(max_digits=16, decimal_places=2): at most 14 digits before the point.
MAX_AMOUNT = Decimal("99999999999999.99")


def to_fen(value: Decimal | int | str) -> Decimal:
    """Round half-up to the fen. Floats are refused: they are not exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def floor_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_DOWN)


def parse_amount(text: str | int | Decimal, *, allow_zero: bool = False) -> Decimal:
    """Parse an amount in yuan as typed or read from a file.

    Accepts thousands separators and a leading ¥; refuses more than two
    decimals (never rounds silently), negatives, and zero unless allowed.
    Raises ValueError with a message in Chinese.
    """
    if isinstance(text, float):
        raise TypeError("money must not be a float")
    raw = str(text).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    shown = (
        raw if len(raw) <= 30 else f"{raw[:30]}…"
    )  # a hostile 5,000-digit number is not echoed whole
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"“{shown}”不是有效的金额") from None
    if not value.is_finite():
        raise ValueError(f"“{shown}”不是有效的金额")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(f"金额“{shown}”超过两位小数（精确到分），请核对后重填")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"金额“{shown}”必须大于零")
    if value > MAX_AMOUNT:
        raise ValueError(f"金额“{shown}”超过上限（整数部分最多14位）")
    return value.quantize(FEN)


def wan_to_yuan(wan: Decimal) -> Decimal:
    """万元 to 元, exact; more precision than the fen is refused."""
    yuan = wan * WAN
    if yuan != yuan.quantize(FEN):
        raise ValueError("以万元填写的金额最多精确到分（小数点后六位）")
    return yuan.quantize(FEN)


def yuan_to_wan(yuan: Decimal) -> Decimal:
    return (yuan / WAN).normalize()


def rmb_capitals(amount: Decimal) -> str:
    """人民币大写, e.g. 1000000 → 壹佰万元整. cn2an truncates past the fen, so round first."""
    return cn2an.an2cn(str(to_fen(amount)), "rmb")


def format_yuan(amount: Decimal) -> str:
    return f"{to_fen(amount):,.2f}"


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights`, to the fen, summing to `total` exactly.

    Largest-remainder method: each share is rounded down to the fen, then the
    fens left over go one each to the shares with the largest remainders; ties
    go to the earlier weight, so callers order weights by their tie-break key.
    """
    total = to_fen(total)
    weight_sum = sum(weights, ZERO)
    if weight_sum <= 0:
        raise ValueError("weights must add up to more than zero")
    exact = [total * w / weight_sum for w in weights]
    shares = [floor_fen(e) for e in exact]
    leftover = int((total - sum(shares, ZERO)) / FEN)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:leftover]:
        shares[i] += FEN
    return shares
