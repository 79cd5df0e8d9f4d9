"""按年折算: a loan's principal annualized within each calendar year it spans (Quzhou 一(四), 一(五)).

Annualized amount in year Y = principal × days the loan is outstanding in Y /
days in Y, counting the disbursement day and not the maturity day; rounded
half-up to the fen. Both the per-enterprise cap (5,000,000 yuan) and the
all-banks cap (640,000,000 yuan) compare sums of these amounts per year.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kedaitong.money import to_fen


def days_in_year(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def days_outstanding_in_year(start: dt.date, end: dt.date, year: int) -> int:
    """Days in [start, end) that fall in `year`."""
    first = max(start, dt.date(year, 1, 1))
    stop = min(end, dt.date(year + 1, 1, 1))
    return max((stop - first).days, 0)


def annualized_amount(principal: Decimal, start: dt.date, end: dt.date, year: int) -> Decimal:
    """Quzhou 一(五): principal × days outstanding in `year` / days in `year`, half-up to the fen."""
    if end <= start:
        raise ValueError("maturity must be after disbursement")
    return to_fen(principal * days_outstanding_in_year(start, end, year) / days_in_year(year))


def annualized_by_year(principal: Decimal, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """Every calendar year the loan spans, with its annualized amount."""
    last_day = end - dt.timedelta(days=1)
    return {
        year: annualized_amount(principal, start, end, year)
        for year in range(start.year, last_day.year + 1)
    }
