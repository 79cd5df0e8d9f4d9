"""Pure arithmetic of the Quzhou interest subsidy (四(一)); no database here.

Roundings (all through `kedaitong.money`):
- the overdue part of a settlement (四(一) 逾期贷款在逾期期间产生的利息不予贴息) is
  `to_fen(amount × overdue days ÷ days of the period)`: half-up to the fen; the rest
  of the settlement (amount − that part) is the normal part;
- a line is `to_fen(share × interest)`: half-up to the fen;
- pro-rating, when the lines exceed the budget: `money.allocate` (largest
  remainder): each line × budget / total is rounded DOWN to the fen, then the
  fens left over go one each to the lines with the largest remainders; equal
  remainders go to the lower (bank code, contract number). The lines then add
  up to the budget exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from kedaitong.money import ZERO, allocate, to_fen


class OverduePeriod(Protocol):
    @property
    def started_on(self) -> dt.date:
        """The first day overdue."""
        ...

    @property
    def cleared_on(self) -> dt.date | None:
        """The day the arrears were cleared (not overdue that day); None: still open."""
        ...


def overdue_days(start: dt.date, end: dt.date, periods: Iterable[OverduePeriod]) -> int:
    """How many days of the settlement period `start`..`end` (both included) lie in the loan's overdue periods.

    Overlapping overdue periods (a bank's record and the time past maturity) count each day once.
    """
    spans = []
    for p in periods:
        first = max(p.started_on, start)
        last = end if p.cleared_on is None else min(p.cleared_on - dt.timedelta(days=1), end)
        if first <= last:
            spans.append((first, last))
    days = 0
    covered_to: dt.date | None = None
    for first, last in sorted(spans):
        if covered_to is not None and first <= covered_to:
            first = covered_to + dt.timedelta(days=1)
        if first <= last:
            days += (last - first).days + 1
        covered_to = last if covered_to is None else max(covered_to, last)
    return days


@dataclass(frozen=True)
class OverduePart:
    overdue_days: int
    period_days: int
    excluded: Decimal  # not subsidized: the part of the amount that lies in overdue periods

    @property
    def normal(self) -> bool:
        return self.overdue_days == 0


def overdue_part(
    amount: Decimal, start: dt.date, end: dt.date, periods: Iterable[OverduePeriod]
) -> OverduePart:
    """Quzhou 四(一) 逾期贷款在逾期期间产生的利息不予贴息, whatever the bank's flag says: the part of a
    settlement lying in the loan's overdue periods, by days, `to_fen(amount × overdue days ÷ period days)`
    (half-up; the whole amount when every day is overdue)."""
    period = (end - start).days + 1
    days = min(overdue_days(start, end, periods), period)
    if days == 0:
        return OverduePart(0, period, Decimal("0.00"))
    if days >= period:
        return OverduePart(period, period, amount)
    return OverduePart(days, period, to_fen(amount * days / period))


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


__all__ = [
    "OverduePart",
    "Prorated",
    "overdue_days",
    "overdue_part",
    "prorate",
    "subsidy_line",
]
