"""Pure arithmetic of the Quzhou interest subsidy (四(一)); no database here.

Roundings (all through `kedaitong.money`):
- a line is `to_fen(share × interest)`: half-up to the fen;
- pro-rating, when the lines exceed the budget: each line × budget / total is
  rounded DOWN to the fen, then the fens left over go one each to the lines
  with the largest remainders; equal remainders go to the lower
  (bank code, contract number). The lines then add up to the budget exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kedaitong.money import FEN, ZERO, floor_fen, to_fen


def subsidy_line(interest: Decimal, share: Decimal) -> Decimal:
    """Quzhou 四(一): the settled interest (已结算利息) × the version's share, rounded half-up to the fen."""
    if interest < 0:
        raise ValueError("interest must not be negative")
    return to_fen(interest * share)


@dataclass(frozen=True)
class Prorated:
    amounts: list[Decimal]
    scaled: bool  # True when the total exceeded the budget and the lines were scaled down


def prorate(budget: Decimal, lines: Sequence[tuple[tuple[str, str], Decimal]]) -> Prorated:
    """Quzhou 四(一): 贴息总额超出年度预算时，按预算金额同比例下降.

    `lines` are ((bank code, contract number), amount) in any order; the result
    keeps that order. Under or at the budget, the lines stay as they are.
    """
    budget = to_fen(budget)
    if budget <= 0:
        raise ValueError("budget must be positive")
    amounts = [amount for _key, amount in lines]
    total = sum(amounts, ZERO)
    if total <= budget:
        return Prorated(list(amounts), scaled=False)
    # Exact shares as fractions (numerator / total) so ties are decided exactly,
    # whatever the Decimal context precision.
    cents_budget = int(budget / FEN)
    cents = [int(a / FEN) for a in amounts]
    cents_total = sum(cents)
    floors: list[int] = []
    remainders: list[int] = []
    for c in cents:
        q, r = divmod(c * cents_budget, cents_total)
        floors.append(q)
        remainders.append(r)
    leftover = cents_budget - sum(floors)
    order = sorted(range(len(lines)), key=lambda i: (-remainders[i], lines[i][0]))
    for i in order[:leftover]:
        floors[i] += 1
    return Prorated([(Decimal(f) * FEN).quantize(FEN) for f in floors], scaled=True)


def exact_share(budget: Decimal, amount: Decimal, total: Decimal) -> Decimal:
    """The unrounded pro-rated share (for tests and the published explanation)."""
    return amount * budget / total


__all__ = ["Prorated", "exact_share", "floor_fen", "prorate", "subsidy_line"]
