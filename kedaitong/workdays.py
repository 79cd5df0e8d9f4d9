"""Working days by the official Chinese calendar, read from the holiday table.

The table holds the exceptions to Monday–Friday (holidays on weekdays and
adjusted working days on weekends) for every year in `CalendarYear`. For a
year not loaded yet, only weekends are skipped and `unknown_years` says so,
so that pages can warn until an admin adds that year's notice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kedaitong.models import CalendarDay, CalendarYear


@dataclass(frozen=True)
class _Exceptions:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def _exceptions(start: dt.date, end: dt.date) -> _Exceptions:
    rows = CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "kind")
    holidays = frozenset(d for d, kind in rows if kind == CalendarDay.Kind.HOLIDAY)
    workdays = frozenset(d for d, kind in rows if kind == CalendarDay.Kind.WORKDAY)
    return _Exceptions(holidays, workdays)


def is_workday(day: dt.date) -> bool:
    return _exceptions(day, day).is_workday(day)


def add_workdays(start_date: dt.date, n: int) -> dt.date:
    """The n-th working day after start_date (start_date itself not counted).

    Changjiang 第十一条 4: the write-off certificate is due within 5 working
    days, so `add_workdays(write_off_date, 5)` is the last day it is on time.
    """
    if n < 0:
        raise ValueError("n must be zero or more")
    # Fetch a window wide enough for the longest holiday run, then widen if needed.
    window = dt.timedelta(days=n * 2 + 20)
    end = start_date + window
    exceptions = _exceptions(start_date, end)
    day, counted = start_date, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if day > end:
            end = day + window
            exceptions = _exceptions(day, end)
        if exceptions.is_workday(day):
            counted += 1
    return day


def unknown_years(start: dt.date, end: dt.date) -> list[int]:
    """Years in [start, end] whose official holidays are not loaded yet."""
    years = set(range(start.year, end.year + 1))
    known = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
    return sorted(years - known)
