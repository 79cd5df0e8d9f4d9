"""The blacklist (Changjiang 第九条); the review workflow's own models join it with their issue."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.models import Enterprise


class BlacklistQuerySet(models.QuerySet["BlacklistEntry"]):
    def in_force(self) -> BlacklistQuerySet:
        return self.filter(status=BlacklistEntry.Status.LISTED)

    def blocking(self, enterprise: Enterprise) -> BlacklistEntry | None:
        """The entry that bars `enterprise` from every program, if any (第九条: 今后不得获得财政的支持)."""
        return self.in_force().filter(enterprise=enterprise).order_by("listed_at").first()


class BlacklistEntry(models.Model):
    class Reason(models.TextChoices):
        OVERDUE_6_MONTHS = "overdue", _("More than 6 months past the contract's repayment date")
        MISUSE = "misuse", _("Loan used outside the enterprise's business")
        FRAUD = "fraud", _("Obtained a loan or subsidy by fraud")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        LISTED = "listed", _("Listed")
        EXEMPTED = "exempted", _("Exempted (force majeure)")
        LIFTED = "lifted", _("Lifted")

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="blacklist_entries", verbose_name=_("enterprise")
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    details = models.TextField(_("details and evidence"), blank=True)
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("loan")
    )
    force_majeure_note = models.TextField(_("force majeure (第九条 exception)"), blank=True)
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    listed_at = models.DateTimeField(_("listed at"), null=True, blank=True)
    listed_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("listed by")
    )

    objects = BlacklistQuerySet.as_manager()

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist")
        ordering = ["-proposed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="listed") | Q(listed_at__isnull=False), name="blacklistentry_listed_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="exempted") | ~Q(force_majeure_note=""), name="blacklistentry_exemption_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise.name} · {self.get_reason_display()} · {self.get_status_display()}"
