"""The Changjiang kind's own records: the annual credit plan (第五条), joint recovery cases (第七条) and the bureau's
quarterly post-loan report to the province (第十条).

They exist for Changjiang-kind programs only (features `credit_plan`, `joint_recovery`, `provincial_reports`);
a second district of the kind has them as rows of its own program.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from kedaitong.fields import MONEY, UploadTo
from kedaitong.roles import PROGRAM_ROLES, Role

if TYPE_CHECKING:
    from kedaitong.models import User


def _program_scope(qs: models.QuerySet, user: User, *, bank_field: str | None) -> models.QuerySet:  # type: ignore[type-arg]
    """The rows of the user's current program; a bank's own rows only (`bank_field`), or none when banks see none."""
    from applications.scope import current_program_id

    role = user.effective_role if user.is_authenticated else ""
    if role == Role.ADMIN:
        return qs.filter(program=current_program_id(user))
    if role == Role.BANK and user.bank_id and bank_field:
        return qs.filter(program=current_program_id(user), **{bank_field: user.bank_id})
    if role in PROGRAM_ROLES and user.program_id:
        return qs.filter(program=user.program_id)
    return qs.none()


# --- 第五条: the annual credit plan -------------------------------------------------------------------------------


class CreditPlanQuerySet(models.QuerySet["CreditPlan"]):
    def visible_to(self, user: User) -> CreditPlanQuerySet:
        """The program's government roles and the admin see every bank's plan; a bank its own."""
        return _program_scope(self, user, bank_field="bank")


class CreditPlan(models.Model):
    """Changjiang 第五条 (协调指导年度信贷计划，监督信贷计划的落实): the amount and number of 科贷通 loans the office
    plans with one cooperating bank for one year. Changed only through `credit_plan_set`, which keeps each change
    (`CreditPlanChange`: before, after, who, why)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(
        "applications.Program",
        on_delete=models.PROTECT,
        related_name="credit_plans",
        verbose_name=_("program"),
    )
    bank = models.ForeignKey(
        "loans.Bank", on_delete=models.PROTECT, related_name="credit_plans", verbose_name=_("bank")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("planned amount (yuan)"), **MONEY)
    count = models.PositiveIntegerField(_("planned number of loans"))
    updated_at = models.DateTimeField(_("last changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("last changed by"),
    )

    objects = CreditPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual credit plan")
        verbose_name_plural = _("annual credit plans")
        ordering = ["-year", "bank__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "bank", "year"], name="creditplan_one_per_bank_and_year"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="creditplan_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="creditplan_year_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank} {self.year}"


class CreditPlanChange(models.Model):
    """One setting or change of a plan, as it was made: never edited, never deleted (第五条 监督信贷计划的落实)."""

    plan = models.ForeignKey(
        CreditPlan, on_delete=models.PROTECT, related_name="changes", verbose_name=_("plan")
    )
    amount_before = models.DecimalField(_("amount before (yuan)"), null=True, blank=True, **MONEY)
    count_before = models.PositiveIntegerField(_("number before"), null=True, blank=True)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    count = models.PositiveIntegerField(_("number of loans"))
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("credit plan change")
        verbose_name_plural = _("credit plan changes")
        ordering = ["plan", "changed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="creditplanchange_reason_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.changed_at:%Y-%m-%d %H:%M}"


class CreditPlanAlert(models.Model):
    """The office was told that a bank was below its pro-rata plan at the end of a quarter (第五条 监督信贷计划的落实).

    One per plan and quarter (the daily check runs every day; the constraint lets it tell once). The figures are
    those as at the quarter's last day.
    """

    plan = models.ForeignKey(
        CreditPlan, on_delete=models.PROTECT, related_name="alerts", verbose_name=_("plan")
    )
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    quarter_end = models.DateField(_("quarter ended on"))
    planned_amount = models.DecimalField(_("plan to date (yuan)"), **MONEY)
    planned_count = models.DecimalField(_("plan to date (loans)"), max_digits=10, decimal_places=2)
    disbursed_amount = models.DecimalField(_("disbursed to date (yuan)"), **MONEY)
    disbursed_count = models.PositiveIntegerField(_("disbursed to date (loans)"))
    sent_on = models.DateField(_("told on"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit plan alert")
        verbose_name_plural = _("credit plan alerts")
        ordering = ["-quarter_end", "plan"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "quarter"], name="creditplanalert_once"),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="creditplanalert_quarter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} Q{self.quarter}"


# --- 第七条: joint recovery ---------------------------------------------------------------------------------------


class RecoveryCaseQuerySet(models.QuerySet["RecoveryCase"]):
    def visible_to(self, user: User) -> RecoveryCaseQuerySet:
        """The lead bank sees its own cases; the program's office, bureau and auditor, and the admin, all of them."""
        return _program_scope(self, user, bank_field="bank")

    def open(self) -> RecoveryCaseQuerySet:
        return self.filter(state=RecoveryCase.State.OPEN)


class RecoveryCase(ConcurrentTransitionMixin, models.Model):
    """Changjiang 第七条 (实行联合追偿): a loan unpaid at maturity, recovered by the cooperating bank as lead with the
    leading group's office, the science bureau and the service unit.

    Opened by the daily `recovery_cases_open` the day after a maturity passes with principal or interest unpaid;
    the parties record their actions; the compensation claim, its recoveries and the write-off are the loan's
    (`compensation`), shown on the case. Closed by the lead bank or the office with the outcome.
    """

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(
        "applications.Program",
        on_delete=models.PROTECT,
        related_name="recovery_cases",
        verbose_name=_("program"),
    )
    loan = models.OneToOneField(
        "loans.Loan",
        on_delete=models.PROTECT,
        related_name="recovery_case",
        verbose_name=_("loan"),
    )
    bank = models.ForeignKey(
        "loans.Bank",
        on_delete=models.PROTECT,
        related_name="recovery_cases",
        verbose_name=_("lead bank"),
    )
    service_unit = models.CharField(
        _("service unit"),
        max_length=100,
        blank=True,
        help_text=_("The service unit that helps with the recovery (第七条 服务单位), if any."),
    )
    matured_on = models.DateField(_("matured on"))
    opened_on = models.DateField(_("opened on"))
    unpaid_principal = models.DecimalField(_("principal unpaid at opening (yuan)"), **MONEY)
    unpaid_interest = models.DecimalField(_("interest overdue at opening (yuan)"), **MONEY)
    state = FSMField(
        _("state"),
        max_length=10,
        choices=State.choices,
        default=State.OPEN,
        protected=True,
        db_index=True,
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    outcome = models.TextField(_("outcome"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RecoveryCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("joint recovery case")
        verbose_name_plural = _("joint recovery cases")
        ordering = ["opened_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opened_on__gt=F("matured_on")),
                name="recoverycase_opened_after_maturity",
            ),
            models.CheckConstraint(
                condition=Q(unpaid_principal__gte=0) & Q(unpaid_interest__gte=0),
                name="recoverycase_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | (Q(closed_on__isnull=False) & ~Q(outcome="")),
                name="recoverycase_closed_has_date_and_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan.contract_no} {self.loan.enterprise.name}"

    def age(self, today: dt.date | None = None) -> int:
        """Days since the case opened (to its closing day once closed)."""
        end = self.closed_on or today or timezone.localdate()
        return (end - self.opened_on).days

    @transition(field=state, source=State.OPEN, target=State.CLOSED)
    def close(self, *, by: User, on: dt.date, outcome: str) -> None:
        self.closed_by, self.closed_on, self.outcome = by, on, outcome


class Party(models.TextChoices):
    """第七条: 由合作银行牵头，领导专班办公室、区科技局和服务单位配合."""

    LEAD_BANK = "bank", _("Lead bank")
    OFFICE = "office", _("Leading group's office")
    BUREAU = "bureau", _("Science bureau")
    SERVICE_UNIT = "service_unit", _("Service unit")


class RecoveryAction(models.Model):
    """One action a party took on a case: when, what, with what result. Recorded once, never changed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        RecoveryCase, on_delete=models.PROTECT, related_name="actions", verbose_name=_("case")
    )
    party = models.CharField(_("party"), max_length=12, choices=Party.choices)
    acted_on = models.DateField(_("date"))
    what = models.TextField(_("what was done"))
    result = models.TextField(_("result"))
    recorded_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recovery action")
        verbose_name_plural = _("recovery actions")
        ordering = ["case", "acted_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(what=""), name="recoveryaction_what_required"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.acted_on} {self.get_party_display()}"


class RecoveryDocument(models.Model):
    """A document of an action (demand letter, court filing, receipt ...): PDF, JPEG or PNG by content."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    action = models.ForeignKey(
        RecoveryAction,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("action"),
    )
    file = models.FileField(_("file"), upload_to=UploadTo("changjiang/recovery"))
    original_name = models.CharField(_("file name"), max_length=200)
    checksum = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("recovery document")
        verbose_name_plural = _("recovery documents")
        ordering = ["action", "pk"]

    def __str__(self) -> str:
        return self.original_name


# --- 第十条: the bureau's quarterly report to the province ----------------------------------------------------------


class ProvincialReportQuerySet(models.QuerySet["ProvincialReport"]):
    def visible_to(self, user: User) -> ProvincialReportQuerySet:
        """The bureau's report: its program's government roles and the admin (banks file, they do not see it)."""
        return _program_scope(self, user, bank_field=None)


def provincial_report_path(instance: object, filename: str) -> str:
    """`changjiang/province/<year>/<random>.pdf|.xlsx`: the files are ours, named by what they are."""
    suffix = ".xlsx" if filename.endswith(".xlsx") else ".pdf"
    return f"changjiang/province/{timezone.localdate():%Y}/{uuid.uuid4().hex}{suffix}"


class ProvincialReport(ConcurrentTransitionMixin, models.Model):
    """Changjiang 第十条 (最后由区科技局将贷后管理情况报送省高新中心): the bureau's post-loan report of one quarter,
    made from the banks' filed reports, as one PDF and one Excel file; marked sent with the date and reference.

    Produced again as long as it is not sent (a bank filing late is then included); once sent it is kept as sent.
    """

    class State(models.TextChoices):
        PRODUCED = "produced", _("Produced, not sent")
        SENT = "sent", _("Sent to the provincial centre")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(
        "applications.Program",
        on_delete=models.PROTECT,
        related_name="provincial_reports",
        verbose_name=_("program"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    state = FSMField(
        _("state"),
        max_length=10,
        choices=State.choices,
        default=State.PRODUCED,
        protected=True,
    )
    produced_at = models.DateTimeField(_("produced at"))
    produced_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("produced by")
    )
    pdf = models.FileField(_("PDF"), upload_to=provincial_report_path)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64)
    xlsx = models.FileField(_("Excel"), upload_to=provincial_report_path)
    xlsx_sha256 = models.CharField(_("Excel SHA-256"), max_length=64)
    # What the files say, for the pages: loans due, reports filed, banks that have not reported.
    figures = models.JSONField(_("figures"), default=dict)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    sent_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked sent by"),
    )

    objects = ProvincialReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("post-loan report to the province")
        verbose_name_plural = _("post-loan reports to the province")
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "year", "quarter"], name="provincialreport_one_per_quarter"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="provincialreport_quarter"
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | (Q(sent_on__isnull=False) & ~Q(reference="")),
                name="provincialreport_sent_has_date_and_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    @transition(field=state, source=State.PRODUCED, target=State.SENT)
    def mark_sent(self, *, by: User, on: dt.date, reference: str) -> None:
        self.sent_by, self.sent_on, self.reference = by, on, reference
