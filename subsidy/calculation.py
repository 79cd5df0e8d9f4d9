"""Pure arithmetic of the Quzhou interest subsidy (四(一)); no database here.

Roundings (all through `kedaitong.money`):
- a line is `to_fen(share × interest)`: half-up to the fen;
- pro-rating, when the lines exceed the budget: `money.allocate` (largest
  remainder): each line × budget / total is rounded DOWN to the fen, then the
  fens left over go one each to the lines with the largest remainders; equal
  remainders go to the lower (bank code, contract number). The lines then add
  up to the budget exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kedaitong.money import ZERO, allocate, to_fen


def subsidy_line(interest: Decimal, share: Decimal) -> Decimal:
    """Quzhou 四(一): 已结算利息的30% (the version's share), rounded half-up to the fen."""
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
    keeps that order. Under or at the budget, the lines stay as they are; above
    it, `kedaitong.money.allocate` splits the budget over the lines taken in
    (bank code, contract number) order, which decides equal remainders.
    """
    budget = to_fen(budget)
    if budget <= 0:
        raise ValueError("budget must be positive")
    amounts = [amount for _key, amount in lines]
    if sum(amounts, ZERO) <= budget:
        return Prorated(list(amounts), scaled=False)
    order = sorted(range(len(lines)), key=lambda i: lines[i][0])
    shares = allocate(budget, [amounts[i] for i in order])
    scaled = [ZERO] * len(lines)
    for position, i in enumerate(order):
        scaled[i] = shares[position]
    return Prorated(scaled, scaled=True)


__all__ = ["Prorated", "prorate", "subsidy_line"]
