"""Tallies: the dashboards' counts and sums, kept current in the same transaction as each change (issue 20).

Each row counts the records sharing its keys; a chart is a small GROUP BY over these rows instead of
over 100,000 applications or loans. Keys are plain integers (no foreign keys: a tally is derived data,
`manage.py rebuild_tallies` recounts it), and amounts are whole fen, exact on SQLite and PostgreSQL.
Kept by reports/tallies.py (signals of the models and of the loans' bulk writes).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationTally(models.Model):
    """Applications of a program that entered on a day (Asia/Shanghai date of submission, or of creation for a
    draft never submitted), by state now."""

    program = models.IntegerField(_("program"))
    day = models.DateField(_("tally day"))
    state = models.CharField(_("state"), max_length=30)
    submitted = models.BooleanField(_("submitted"))  # submitted_at is set
    count = models.IntegerField(_("records counted"), default=0)
    amount_fen = models.BigIntegerField(_("amount (fen)"), default=0)

    class Meta:
        verbose_name = _("application tally")
        verbose_name_plural = _("application tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "day", "state", "submitted"], name="applicationtally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.day} {self.state}: {self.count}"


class LoanTally(models.Model):
    """Loans of a program disbursed on a day, by bank, the enterprise's technology field (0: not stated) and
    maturity date (the delinquency chart's bands past maturity)."""

    program = models.IntegerField(_("program"))
    bank = models.IntegerField(_("bank"))
    day = models.DateField(_("tally day"))
    tech_field = models.IntegerField(_("technology field"))
    maturity = models.DateField(_("maturity date"))
    count = models.IntegerField(_("records counted"), default=0)
    principal_fen = models.BigIntegerField(_("principal (fen)"), default=0)

    class Meta:
        verbose_name = _("loan tally")
        verbose_name_plural = _("loan tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "bank", "day", "tech_field", "maturity"], name="loantally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.bank} {self.day}: {self.count}"
