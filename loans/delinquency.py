"""Days past due and buckets, derived from a loan's overdue periods (pure functions).

A loan's overdue periods are the bank's overdue events and, derived here, the
time past maturity with principal outstanding: a loan not repaid in full by its
maturity date is overdue from the next day until the repayment that clears its
principal (Changjiang 第九条 超过合同还款期限; issue 16 item 1). The bank's
records are added on top, so whichever says overdue first counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.db import models
from django.utils.translation import gettext_lazy as _


class Bucket(models.TextChoices):
    CURRENT = "current", _("Current")
    DPD_1_30 = "1-30", _("1–30 days")
    DPD_31_90 = "31-90", _("31–90 days")
    DPD_91_180 = "91-180", _("91–180 days")
    DPD_OVER_180 = "180+", _("Over 180 days")


class OverdueSpan(Protocol):
    """An overdue period as the rules read it (a bank's record, or a derived `Span`); read-only."""

    @property
    def started_on(self) -> dt.date: ...

    @property
    def cleared_on(self) -> dt.date | None: ...


@dataclass(frozen=True)
class Span:
    """One overdue period: from `started_on` (the first day overdue) until `cleared_on` (not overdue that day)."""

    started_on: dt.date
    cleared_on: dt.date | None
    derived: bool = (
        False  # True: past maturity with principal outstanding; False: the bank's record
    )


def past_maturity(
    maturity: dt.date, principal: Decimal, repayments: Iterable[tuple[dt.date, Decimal]]
) -> Span | None:
    """The period a loan is overdue because its principal was not repaid by maturity, or None.

    Overdue from the day after the maturity date; cleared on the day of the
    repayment that brings the principal repaid up to the principal (a loan
    repaid in full on or before maturity was never overdue this way).
    """
    paid = Decimal("0")
    for day, amount in sorted(repayments):
        paid += amount
        if paid >= principal:
            return None if day <= maturity else Span(maturity + dt.timedelta(days=1), day, True)
    return Span(maturity + dt.timedelta(days=1), None, True)


def overdue_spans(
    events: Iterable[OverdueSpan],
    *,
    maturity: dt.date,
    principal: Decimal,
    repayments: Iterable[tuple[dt.date, Decimal]],
) -> list[Span]:
    """All overdue periods of a loan: the bank's events, and the derived period past maturity."""
    spans = [Span(e.started_on, e.cleared_on) for e in events]
    if (derived := past_maturity(maturity, principal, repayments)) is not None:
        spans.append(derived)
    return spans


def overdue_since(events: Iterable[OverdueSpan], on: dt.date) -> dt.date | None:
    """The first day of the oldest overdue period still open on `on` (None when none is)."""
    open_since = [
        e.started_on
        for e in events
        if e.started_on <= on and (e.cleared_on is None or e.cleared_on > on)
    ]
    return min(open_since) if open_since else None


def days_past_due(events: Iterable[OverdueSpan], on: dt.date) -> int:
    """Days since the oldest arrears still open on `on` (0 when none are)."""
    open_since = [
        e.started_on
        for e in events
        if e.started_on <= on and (e.cleared_on is None or e.cleared_on > on)
    ]
    return (on - min(open_since)).days if open_since else 0


def bucket_for(days: int) -> Bucket:
    if days <= 0:
        return Bucket.CURRENT
    if days <= 30:
        return Bucket.DPD_1_30
    if days <= 90:
        return Bucket.DPD_31_90
    if days <= 180:
        return Bucket.DPD_91_180
    return Bucket.DPD_OVER_180


def months_later(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end (2026-01-31 + 1 → 2026-02-28)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def overdue_more_than_months(events: Iterable[OverdueSpan], on: dt.date, months: int) -> bool:
    """Changjiang 第十一条 1 (more than one month) and 第九条 (more than six months) use this."""
    open_since = [
        e.started_on
        for e in events
        if e.started_on <= on and (e.cleared_on is None or e.cleared_on > on)
    ]
    return bool(open_since) and months_later(min(open_since), months) < on
