"""Days past due, buckets and the month thresholds of Changjiang 第九条 and 第十一条 1."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from loans.delinquency import (
    Bucket,
    bucket_for,
    days_past_due,
    months_later,
    overdue_more_than_months,
)


@dataclass
class Span:
    started_on: dt.date
    cleared_on: dt.date | None = None


def test_days_count_from_the_oldest_arrears_still_open():
    events = [Span(dt.date(2026, 1, 10), dt.date(2026, 2, 1)), Span(dt.date(2026, 3, 1))]
    assert days_past_due(events, dt.date(2026, 1, 20)) == 10
    assert days_past_due(events, dt.date(2026, 2, 15)) == 0
    assert days_past_due(events, dt.date(2026, 3, 31)) == 30


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, Bucket.CURRENT),
        (1, Bucket.DPD_1_30),
        (30, Bucket.DPD_1_30),
        (31, Bucket.DPD_31_90),
        (90, Bucket.DPD_31_90),
        (91, Bucket.DPD_91_180),
        (180, Bucket.DPD_91_180),
        (181, Bucket.DPD_OVER_180),
    ],
)
def test_buckets_have_inclusive_upper_bounds(days, bucket):
    assert bucket_for(days) == bucket


def test_more_than_one_month_means_past_the_same_day_next_month():
    events = [Span(dt.date(2026, 1, 31))]
    assert months_later(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert not overdue_more_than_months(events, dt.date(2026, 2, 28), 1)
    assert overdue_more_than_months(events, dt.date(2026, 3, 1), 1)
    assert not overdue_more_than_months(events, dt.date(2026, 7, 31), 6)
    assert overdue_more_than_months(events, dt.date(2026, 8, 1), 6)
    assert not overdue_more_than_months(
        [Span(dt.date(2026, 1, 1), dt.date(2026, 1, 5))], dt.date(2026, 9, 1), 1
    )
