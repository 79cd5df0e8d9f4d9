"""按年折算 (Quzhou 一(四), 一(五)): principal × days in the year / days in that year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kedaitong.annualized import annualized_amount, annualized_by_year


def test_a_full_calendar_year_counts_whole():
    assert annualized_amount(
        Decimal("5000000"), dt.date(2025, 1, 1), dt.date(2026, 1, 1), 2025
    ) == Decimal("5000000.00")


def test_the_disbursement_day_counts_and_the_maturity_day_does_not():
    # 2026-07-01 .. 2027-07-01: 184 days in 2026 (Jul 1 – Dec 31), 181 in 2027 (Jan 1 – Jun 30).
    years = annualized_by_year(Decimal("3650000.00"), dt.date(2026, 7, 1), dt.date(2027, 7, 1))
    assert years == {2026: Decimal("1840000.00"), 2027: Decimal("1810000.00")}


def test_a_leap_year_divides_by_366():
    assert annualized_amount(
        Decimal("366000"), dt.date(2028, 1, 1), dt.date(2028, 1, 2), 2028
    ) == Decimal("1000.00")


def test_a_loan_ending_on_new_years_day_does_not_touch_the_next_year():
    assert list(annualized_by_year(Decimal("1000"), dt.date(2025, 3, 1), dt.date(2026, 1, 1))) == [
        2025
    ]
