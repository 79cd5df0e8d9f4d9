"""The LPR table (and, with its issue, the Quzhou interest-subsidy runs)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

RATE = {"max_digits": 7, "decimal_places": 4}


class LPRRate(models.Model):
    """One LPR publication: both tenors, in force from `effective_date` until the next one."""

    effective_date = models.DateField(_("in force from"), unique=True)
    one_year = models.DecimalField(_("1-year LPR (%)"), **RATE)
    five_year = models.DecimalField(_("5-year-plus LPR (%)"), **RATE)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("LPR publication")
        verbose_name_plural = _("LPR publications")
        ordering = ["-effective_date"]
        constraints = [
            models.CheckConstraint(condition=Q(one_year__gt=0) & Q(five_year__gt=0), name="lprrate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.effective_date}: {self.one_year}% / {self.five_year}%"


class LPRMissing(LookupError):
    """No LPR publication covers a date (before 2019-08-20, or the table has a gap)."""


def lpr_on(day: dt.date, term_months: int, *, long_tier_above_months: int = 60) -> Decimal:
    """The LPR of the tier a loan of `term_months` uses, in force on `day` (Quzhou 一(六)).

    Terms up to `long_tier_above_months` (default 5 years) use the 1-year LPR,
    longer ones the 5-year one: the usual convention, kept a program parameter.
    """
    rate = LPRRate.objects.filter(effective_date__lte=day).order_by("-effective_date").first()
    if rate is None:
        raise LPRMissing(f"{day:%Y-%m-%d} 没有适用的LPR报价（LPR自2019-08-20起发布）")
    return rate.five_year if term_months > long_tier_above_months else rate.one_year
