"""Money: yuan as Decimal, rounded half-up to the fen at the points the rules name.

Roundings used in the portal, all here:
- `to_fen`: ROUND_HALF_UP to 0.01 yuan (recovery shares, subsidy lines, annualized amounts).
- `allocate`: pro-rating a budget over lines, each rounded down to the fen, the
  remaining fens given one each to the largest remainders, so the lines add up
  to the budget exactly (Quzhou 四: 贴息总额超出年度预算时，按预算金额同比例下降).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
WAN = Decimal("10000")


def to_fen(value: Decimal | int | str) -> Decimal:
    """Round half-up to the fen. Floats are refused: they are not exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


MAX_INTEGER_DIGITS = 14  # DecimalField(max_digits=16, decimal_places=2): 14 digits before the point
MAX_AMOUNT = Decimal("99999999999999.99")
_AMOUNT_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_EXPONENT_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+$")


def check_amount_size(value: Decimal, shown: object) -> None:
    """At most 14 integer digits, what every money column holds (the database would overflow, not round)."""
    if value.is_finite() and value.copy_abs() > MAX_AMOUNT:
        raise ValueError(
            f"金额“{shown}”超过{MAX_INTEGER_DIGITS}位整数（最大{MAX_AMOUNT:,}元），请核对单位和位数"
        )


def parse_amount(text: str | int | Decimal, *, allow_zero: bool = False) -> Decimal:
    """Parse an amount in yuan as typed or read from a file: the one parser of amounts in the portal.

    Accepts digits with thousands separators and a leading ¥; refuses anything
    else (exponents such as 1e30, NaN, words), more than two decimals (never
    rounds silently), more than 14 integer digits (what a money column holds),
    negatives, and zero unless allowed. Raises ValueError with a message in
    Chinese, never a decimal signal.
    """
    if isinstance(text, float):
        raise TypeError("money must not be a float")
    if isinstance(text, bool):
        raise ValueError(f"“{text}”不是有效的金额")
    if isinstance(text, Decimal | int):
        value = Decimal(text)
    else:
        raw = (
            str(text).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        )
        if _EXPONENT_TEXT.match(raw):
            raise ValueError(
                f"“{_shown(text)}”是科学计数法，请填写完整的数字（最多{MAX_INTEGER_DIGITS}位整数、两位小数）"
            )
        if len(raw) > 60 or not _AMOUNT_TEXT.match(raw):
            raise ValueError(f"“{_shown(text)}”不是有效的金额（请只填数字，可带千分位和两位小数）")
        value = Decimal(raw)
    if not value.is_finite():
        raise ValueError(f"“{_shown(text)}”不是有效的金额")
    check_amount_size(value, _shown(text))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(f"金额“{_shown(text)}”超过两位小数（精确到分），请核对后重填")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"金额“{_shown(text)}”必须大于零")
    return value.quantize(FEN)


def _shown(text: object) -> str:
    """The typed value as quoted back in a message: control characters dropped, cut to 30 characters."""
    shown = "".join(ch for ch in str(text).strip() if ch.isprintable())
    return shown if len(shown) <= 30 else shown[:30] + "…"


def wan_to_yuan(wan: Decimal) -> Decimal:
    """万元 to 元, exact; more precision than the fen is refused."""
    yuan = wan * WAN
    check_amount_size(yuan, f"{wan}万元")
    if yuan != yuan.quantize(FEN):
        raise ValueError("以万元填写的金额最多精确到分（小数点后六位）")
    return yuan.quantize(FEN)


def yuan_to_wan(yuan: Decimal) -> Decimal:
    return (yuan / WAN).normalize()


def rmb_capitals(amount: Decimal) -> str:
    """人民币大写, e.g. 1000000 → 壹佰万元整. cn2an truncates past the fen, so round first."""
    import cn2an  # on first use: its import builds its tables (~0.2 s in every process that loads the apps)

    return str(cn2an.an2cn(str(to_fen(amount)), "rmb"))


def format_yuan(amount: Decimal) -> str:
    return f"{to_fen(amount):,.2f}"


def format_yuan_text(amount: Decimal) -> str:
    """An amount as printed on a form, in yuan to the fen: 3000000 → 3,000,000.00元 (half-up to the fen)."""
    return f"{format_yuan(amount)}元"


def format_wan_text(amount: Decimal) -> str:
    """An amount in 万元 as printed on a form, exact (no rounding: a yuan amount to the fen is at most six
    decimals of 万元): 3000000 → 300万元, 1234567.89 → 123.456789万元."""
    return f"{yuan_to_wan(to_fen(amount)):,f}万元"


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights`, to the fen, summing to `total` exactly.

    Largest-remainder method: each share is rounded down to the fen, then the
    fens left over go one each to the shares with the largest remainders; ties
    go to the earlier weight, so callers order weights by their tie-break key.
    The arithmetic is in whole numbers (fens, and weights scaled to integers),
    so remainders compare exactly whatever the Decimal context's precision.
    """
    total = to_fen(total)
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    scale = max((-_exponent(w) for w in weights), default=0)
    units = [int(w.scaleb(max(scale, 0))) for w in weights]
    unit_sum = sum(units)
    if unit_sum <= 0:
        raise ValueError("weights must add up to more than zero")
    fens = int(total / FEN)
    floors, remainders = [], []
    for u in units:
        q, r = divmod(fens * u, unit_sum)
        floors.append(q)
        remainders.append(r)
    leftover = fens - sum(floors)
    for i in sorted(range(len(units)), key=lambda i: (-remainders[i], i))[:leftover]:
        floors[i] += 1
    return [(Decimal(f) * FEN).quantize(FEN) for f in floors]


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError("weights must be finite")
    return exponent
