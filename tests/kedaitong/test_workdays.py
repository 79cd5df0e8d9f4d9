"""Working days by the official calendar, including adjusted working days."""

from __future__ import annotations

import datetime as dt

import pytest

from kedaitong.models import CalendarDay, CalendarYear
from kedaitong.workdays import add_workdays, is_workday, unknown_years

pytestmark = pytest.mark.django_db


def test_a_write_off_on_2025_09_29_has_its_certificate_due_on_2025_10_13():
    # 第十一条 4: five working days; National Day 10-01..08 off, Saturday 10-11 worked.
    assert add_workdays(dt.date(2025, 9, 29), 5) == dt.date(2025, 10, 13)


def test_adjusted_weekend_workdays_count_and_weekday_holidays_do_not():
    assert is_workday(dt.date(2025, 9, 28))  # Sunday, worked
    assert not is_workday(dt.date(2025, 10, 3))  # Friday, holiday
    assert not is_workday(dt.date(2025, 10, 4))  # Saturday
    assert is_workday(dt.date(2025, 10, 9))


def test_counting_across_the_spring_festival():
    # 2026 Spring Festival: 02-15..02-23 off; 02-14 (Sat) and 02-28 (Sat) worked.
    assert add_workdays(dt.date(2026, 2, 13), 1) == dt.date(2026, 2, 14)
    assert add_workdays(dt.date(2026, 2, 14), 1) == dt.date(2026, 2, 24)
    assert add_workdays(dt.date(2026, 2, 13), 2) == dt.date(2026, 2, 24)


def test_an_unpublished_year_falls_back_to_weekends_and_says_so():
    assert unknown_years(dt.date(2026, 12, 28), dt.date(2027, 1, 10)) == [2027]
    assert add_workdays(dt.date(2027, 1, 1), 1) == dt.date(
        2027, 1, 4
    )  # Friday → Monday, weekends only


def test_an_admin_adding_a_year_changes_the_result():
    CalendarYear.objects.create(year=2027, source="测试")
    CalendarDay.objects.create(date=dt.date(2027, 1, 4), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    assert unknown_years(dt.date(2027, 1, 1), dt.date(2027, 1, 10)) == []
    assert add_workdays(dt.date(2027, 1, 1), 1) == dt.date(2027, 1, 5)


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        add_workdays(dt.date(2026, 1, 5), -1)
