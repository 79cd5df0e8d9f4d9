"""Pure rules of the Changjiang kind's own records: the credit plan's pro-rata share (第五条), a loan unpaid at
maturity (第七条), the quarter a report covers (第十条). No ORM, no request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kedaitong.money import to_fen


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a calendar quarter."""
    first = dt.date(year, 3 * quarter - 2, 1)
    last = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return first, last


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def last_closed_quarter(day: dt.date) -> tuple[int, int]:
    """The latest quarter that ended before `day` (the first quarter of a year is closed by 1 April)."""
    year, quarter = quarter_of(day)
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)


def pro_rata_amount(planned: Decimal, months: int) -> Decimal:
    """Changjiang 第五条 (监督信贷计划的落实): the part of a year's planned amount due after `months` months.

    Evenly over the year: planned × months / 12, rounded half-up to the fen once (kedaitong.money.to_fen).
    After a quarter q that is planned × 3q / 12 = planned × q / 4.
    """
    if not 0 <= months <= 12:
        raise ValueError(months)
    return to_fen(planned * months / 12)


def pro_rata_count(planned: int, months: int) -> Decimal:
    """Changjiang 第五条: the part of a year's planned number of loans due after `months` months, to two places
    (half-up) for display; `below_plan` compares the exact fraction, never this rounded figure."""
    if not 0 <= months <= 12:
        raise ValueError(months)
    return to_fen(Decimal(planned) * months / 12)


def below_plan(
    *,
    planned_amount: Decimal,
    planned_count: int,
    months: int,
    disbursed_amount: Decimal,
    disbursed_count: int,
) -> bool:
    """Changjiang 第五条: a bank is below its pro-rata plan when what it disbursed by then falls short of the plan's
    share in amount or in number. The number compares whole fractions (disbursed × 12 < planned × months), so a plan
    of 5 loans is met after one quarter by 2 loans (5 × 3 / 12 = 1.25) and missed by 1."""
    short_amount = disbursed_amount < pro_rata_amount(planned_amount, months)
    short_count = disbursed_count * 12 < planned_count * months
    return short_amount or short_count


def unpaid_at_maturity(
    *,
    maturity_date: dt.date,
    on: dt.date,
    principal: Decimal,
    repaid: Decimal,
    overdue_interest_open: Decimal,
) -> bool:
    """Changjiang 第七条 (贷款主体在贷款期满未还清贷款本息的): the term is over (`on` is after the maturity date) and
    principal is still outstanding, or interest recorded as overdue is not cleared."""
    if on <= maturity_date:
        return False
    return principal - repaid > 0 or overdue_interest_open > 0
