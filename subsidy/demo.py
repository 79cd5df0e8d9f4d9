"""Demo records of the subsidy side: LPR publications after the confirmed table, assumed unchanged.

The migrated LPR table holds only confirmed publications; later ones are for an admin
to import. So that a demo bank can register today's loan, the demo adds each monthly
publication up to today with the last confirmed figures, labelled as unverified demo
data. Idempotent: a month that already has a publication is left as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from kedaitong.workdays import is_workday
from subsidy.models import LPRRate

if TYPE_CHECKING:
    from kedaitong.demo import DemoResult

DEMO_SOURCE = "演示数据：假定与上期报价相同，未经核实，正式使用前请导入官方报价"


def publication_day(year: int, month: int) -> dt.date:
    """The 20th, moved to the next working day (the LPR publication rule)."""
    day = dt.date(year, month, 20)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def assume_unchanged_through(day: dt.date, *, source: str) -> int:
    """Add each monthly publication after the table's last one up to `day`, with its figures; how many were added."""
    last = LPRRate.objects.order_by("-effective_date").first()
    if last is None:
        return 0
    added = 0
    year, month = last.effective_date.year, last.effective_date.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        published = publication_day(year, month)
        if published > day:
            return added
        LPRRate.objects.create(
            effective_date=published,
            one_year=last.one_year,
            five_year=last.five_year,
            source=source,
        )
        added += 1


def extend(result: DemoResult) -> None:
    added = assume_unchanged_through(timezone.localdate(), source=DEMO_SOURCE)
    if added:
        result.created["LPR publications (demo, assumed unchanged)"] += added
