"""The LPR table (and, with its issue, the Quzhou interest-subsidy runs)."""

from __future__ import annotations

import bisect
import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from kedaitong.fields import MONEY, RATE, UploadTo
from kedaitong.roles import Role

if TYPE_CHECKING:
    from kedaitong.models import User


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
            models.CheckConstraint(
                condition=Q(one_year__gt=0) & Q(five_year__gt=0), name="lprrate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_date}: {self.one_year}% / {self.five_year}%"


class LPRMissing(LookupError):
    """No LPR publication covers a date: before 2019-08-20, a month missing from the table, or after its end.

    The message (in Chinese) starts with the date; `day` is that date.
    """

    def __init__(self, day: dt.date, message: str):
        super().__init__(message)
        self.day = day


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def next_publication_due(published: dt.date) -> dt.date:
    """The nominal date of the publication after `published`: the 20th of the next month.

    The real one may move to the next working day; until it is in the table,
    dates from the 20th on are not covered (refused rather than guessed).
    """
    index = _month_index(published) + 1
    return dt.date(index // 12, index % 12 + 1, 20)


def lpr_lookup() -> Callable[..., Decimal]:
    """The one LPR lookup (Quzhou 一(六)): the table read once, then `lookup(day, term_months, long_tier_above_months=60)`.

    The LPR is published monthly (the 20th, moved to the next working day) and
    the table holds every publication, changed or not. A publication is in force
    from its date until the next one; a date is covered only if the table holds
    the publication in force on it, so `lookup` raises `LPRMissing` (naming the
    date) before the first publication, when the next month's publication is
    missing from the middle of the table, and after the latest publication once
    the next one is due (the 20th of the following month).

    Terms up to `long_tier_above_months` (default 5 years) use the 1-year LPR,
    longer ones the 5-year one: the usual convention, kept a program parameter.
    """
    rows = list(
        LPRRate.objects.order_by("effective_date").values_list(
            "effective_date", "one_year", "five_year"
        )
    )
    dates = [r[0] for r in rows]

    def lookup(day: dt.date, term_months: int, long_tier_above_months: int = 60) -> Decimal:
        i = bisect.bisect_right(dates, day)
        if i == 0:
            first = f"{dates[0]:%Y-%m-%d}" if dates else "2019-08-20"
            raise LPRMissing(day, f"{day:%Y-%m-%d} 没有适用的LPR报价（LPR自{first}起发布）")
        published, one, five = rows[i - 1]
        due = next_publication_due(published)
        if day >= due:
            later = dates[i] if i < len(dates) else None
            if later is None:
                raise LPRMissing(
                    day,
                    f"{day:%Y-%m-%d} 没有适用的LPR报价：LPR表只录入到{published:%Y-%m-%d}的报价，"
                    f"{due.year}年{due.month}月的报价尚未录入，请先导入",
                )
            if _month_index(later) > _month_index(published) + 1:
                raise LPRMissing(
                    day,
                    f"{day:%Y-%m-%d} 没有适用的LPR报价：LPR表缺少{due.year}年{due.month}月的报价"
                    f"（前一次{published:%Y-%m-%d}，后一次{later:%Y-%m-%d}），请先补录",
                )
        return five if term_months > long_tier_above_months else one

    return lookup


def lpr_on(day: dt.date, term_months: int, *, long_tier_above_months: int = 60) -> Decimal:
    """The LPR of the tier a loan of `term_months` uses, in force on `day`: `lpr_lookup` for one date."""
    return lpr_lookup()(day, term_months, long_tier_above_months)


# --- Banks on file (备案制, 一(三)) and their agreements (附件2) ------------------------------------


class ReviewBody(models.TextChoices):
    """The four bodies that jointly decide a filing (一(三))."""

    PBOC = "pboc", _("PBoC branch")
    BUREAU = "bureau", _("Science and technology bureau")
    FINANCE_OFFICE = "finance_office", _("Financial work office")
    FINANCE_BUREAU = "finance_bureau", _("Finance bureau")


class BankFilingQuerySet(models.QuerySet["BankFiling"]):
    def visible_to(self, user: User) -> BankFilingQuerySet:
        role = user.effective_role if user.is_authenticated else ""
        if role == Role.ADMIN:
            from applications.scope import current_program_id

            return self.filter(program=current_program_id(user))
        if role == Role.BANK and user.bank_id:
            return self.filter(bank=user.bank_id)
        if user.is_authenticated and user.is_program_scoped and user.program_id:
            return self.filter(program=user.program_id)
        return self.none()


class BankFiling(models.Model):
    """A bank's application to be on file for a program (一(三)), decided jointly by the four bodies."""

    class State(models.TextChoices):
        FILED = "filed", _("Filed with the PBoC branch")
        UNDER_REVIEW = "under_review", _("Under joint review")
        APPROVED = "approved", _("On file")
        REJECTED = "rejected", _("Rejected")

    OPEN_STATES = (State.FILED, State.UNDER_REVIEW)

    bank = models.ForeignKey(
        "loans.Bank", on_delete=models.PROTECT, related_name="filings", verbose_name=_("bank")
    )
    program = models.ForeignKey(
        "applications.Program",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("program"),
    )
    materials = models.FileField(_("filing materials"), upload_to=UploadTo("subsidy/filings"))
    materials_name = models.CharField(max_length=200, blank=True)
    statement = models.TextField(_("statement"), blank=True)
    state = FSMField(
        _("state"), max_length=12, choices=State.choices, default=State.FILED, protected=True
    )
    submitted_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    agreement = models.OneToOneField(
        "loans.BankAgreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="filing",
        verbose_name=_("cooperation agreement"),
    )

    objects = BankFilingQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank filing")
        verbose_name_plural = _("bank filings")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.bank} · {self.get_state_display()}"

    @transition(field=state, source=State.FILED, target=State.UNDER_REVIEW)
    def start_review(self) -> None:
        """The first body has signed: the joint review (联合审定) is under way."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.APPROVED)
    def approve(self) -> None:
        """The last of the four bodies has approved: the bank is on file."""
        self.decided_at = timezone.now()

    @transition(field=state, source=[State.FILED, State.UNDER_REVIEW], target=State.REJECTED)
    def reject(self) -> None:
        """One body refused: the filing ends with its reason."""
        self.decided_at = timezone.now()


class FilingOpinion(models.Model):
    """One body's sign-off on a filing (一(三)): who signed for it, on which day, what it said, and the scan.

    Bureau staff transcribe each body's signature from the paper joint-review form (docs/decisions.md, issue 15).
    """

    filing = models.ForeignKey(BankFiling, on_delete=models.CASCADE, related_name="opinions")
    body = models.CharField(_("reviewing body"), max_length=20, choices=ReviewBody.choices)
    approved = models.BooleanField(_("approved"))
    signer = models.CharField(_("signed by"), max_length=50)
    signed_on = models.DateField(_("signed on"), null=True)
    opinion = models.TextField(_("opinion"), blank=True)
    file = models.FileField(
        _("signed page (scan)"), upload_to=UploadTo("subsidy/filings"), blank=True
    )
    file_name = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey("kedaitong.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("filing opinion")
        verbose_name_plural = _("filing opinions")
        ordering = ["filing", "recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "body"], name="filingopinion_one_per_body")
        ]

    def __str__(self) -> str:
        return f"{self.filing_id} {self.body} {self.approved}"


class Complaint(models.Model):
    """A borrower's complaint that the bank added charges (附件2 十一(二)); if verified, the agreement ends."""

    agreement = models.ForeignKey(
        "loans.BankAgreement",
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("cooperation agreement"),
    )
    received_on = models.DateField(_("received on"))
    complainant = models.CharField(_("complainant"), max_length=100)
    description = models.TextField(_("what the bank charged"))
    evidence = models.FileField(_("evidence"), upload_to=UploadTo("subsidy/complaints"))
    evidence_name = models.CharField(max_length=200, blank=True)
    verified = models.BooleanField(_("verified"), default=True)
    recorded_by = models.ForeignKey("kedaitong.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_on"]

    def __str__(self) -> str:
        return f"{self.complainant} {self.received_on}"


class FraudRecord(models.Model):
    """Quzhou 六: a bank or enterprise found to have defrauded; it takes no further part."""

    program = models.ForeignKey(
        "applications.Program",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("program"),
    )
    bank = models.ForeignKey(
        "loans.Bank",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bank"),
    )
    enterprise = models.ForeignKey(
        "applications.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enterprise"),
    )
    found_on = models.DateField(_("found on"))
    description = models.TextField(_("what was found"))
    evidence = models.FileField(_("evidence"), upload_to=UploadTo("subsidy/fraud"))
    evidence_name = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey("kedaitong.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fraud record")
        verbose_name_plural = _("fraud records")
        ordering = ["-found_on"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(bank__isnull=False) & Q(enterprise__isnull=True))
                | (Q(bank__isnull=True) & Q(enterprise__isnull=False)),
                name="fraudrecord_bank_xor_enterprise",
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank or self.enterprise} {self.found_on}"


# --- The annual run (四(一)) ----------------------------------------------------------------------


class RunState(models.TextChoices):
    """The stages of a run in the order of Quzhou 四(一) (see STAGE_ORDER)."""

    COMPUTED = "computed", _("Computed")
    AUDITED = "audited", _("Audited")
    REVIEWED = "reviewed", _("Compliance review done")
    APPROVED = "approved", _("Approved by the party-group meeting")
    PUBLICIZED = "publicized", _("Publicized")
    ISSUED = "issued", _("Funds document issued")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


# 四(一): 聘请第三方会计事务所，会同市人行…审核 → 规范性审查 → 局党组会审定 → 公示无异议 → 下达贴息资金文件 → 兑现.
STAGE_ORDER = (
    RunState.COMPUTED,
    RunState.AUDITED,
    RunState.REVIEWED,
    RunState.APPROVED,
    RunState.PUBLICIZED,
    RunState.ISSUED,
    RunState.PAID,
)
# From the audit on, a run's inputs are frozen (subsidy/guards.py) and its figures are final.
FROZEN_STATES = STAGE_ORDER[1:]
# States from which a run's figures are public (四(一) 公示), and so shown to the banks (pages and API),
# once its publicity has begun (`SubsidyRun.objects.public()`).
BANK_VISIBLE_STATES = (RunState.PUBLICIZED, RunState.ISSUED, RunState.PAID)


class SubsidyRunQuerySet(models.QuerySet["SubsidyRun"]):
    def visible_to(self, user: User) -> SubsidyRunQuerySet:
        role = user.effective_role if user.is_authenticated else ""
        if role == Role.ADMIN:
            from applications.scope import current_program_id

            return self.filter(program=current_program_id(user))
        if user.is_authenticated and user.is_program_scoped and user.program_id:
            return self.filter(program=user.program_id)
        return self.none()


def _user_fk(label: str) -> models.ForeignKey:  # type: ignore[type-arg]
    return models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=label,
    )


class SubsidyRun(models.Model):
    """One committed annual run. Its lines are stored at commit; from "audited" on nothing recomputes them.

    Each stage of 四(一) keeps what the text asks for: the accounting firm's audit with the PBoC branch's
    confirmation, the bureau's compliance review (规范性审查), the party-group meeting (局党组会: date, minutes),
    the publicity period (公示), the funds document (下达贴息资金文件: number, date, file) and the payments.
    """

    program = models.ForeignKey(
        "applications.Program",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("program"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    budget = models.DecimalField(_("budget (yuan)"), **MONEY)
    cutoff = models.DateField(_("settlement cutoff"))
    computed_total = models.DecimalField(_("subsidy before pro-rating (yuan)"), **MONEY)
    total = models.DecimalField(_("subsidy (yuan)"), **MONEY)
    scaled = models.BooleanField(_("pro-rated to the budget"), default=False)
    state = FSMField(
        _("stage"),
        max_length=12,
        choices=RunState.choices,
        default=RunState.COMPUTED,
        protected=True,
    )
    created_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # 审核: the accounting firm's opinion, with the PBoC branch's confirmation.
    audit_opinion = models.FileField(
        _("accounting firm's audit report"), upload_to=UploadTo("subsidy/audit"), blank=True
    )
    audit_opinion_name = models.CharField(max_length=200, blank=True)
    audit_note = models.TextField(_("accounting firm's opinion"), blank=True)
    audited_by = _user_fk(_("audited by"))
    audited_at = models.DateTimeField(null=True, blank=True)
    pboc_confirmer = models.CharField(
        _("confirmed at the PBoC branch by"), max_length=100, blank=True
    )
    pboc_confirmed_on = models.DateField(_("PBoC branch confirmed on"), null=True, blank=True)
    pboc_opinion = models.TextField(_("PBoC branch's opinion"), blank=True)
    pboc_file = models.FileField(
        _("PBoC branch's confirmation"), upload_to=UploadTo("subsidy/audit"), blank=True
    )
    pboc_file_name = models.CharField(max_length=200, blank=True)
    # 规范性审查 by bureau staff.
    reviewed_by = _user_fk(_("reviewed by"))
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_opinion = models.TextField(_("compliance review opinion"), blank=True)
    # 局党组会审定, recorded by the bureau head.
    meeting_date = models.DateField(_("party-group meeting on"), null=True, blank=True)
    meeting_minutes = models.FileField(
        _("meeting minutes"), upload_to=UploadTo("subsidy/stages"), blank=True
    )
    meeting_minutes_name = models.CharField(max_length=200, blank=True)
    meeting_note = models.TextField(_("meeting's decision"), blank=True)
    approved_by = _user_fk(_("recorded by"))
    approved_at = models.DateTimeField(null=True, blank=True)
    # 公示: a period of working days (the program version's publicity_workdays).
    publicity_start = models.DateField(_("publicity from"), null=True, blank=True)
    publicity_end = models.DateField(_("publicity until"), null=True, blank=True)
    publicized_by = _user_fk(_("publicized by"))
    publicized_at = models.DateTimeField(null=True, blank=True)
    # 下达贴息资金文件.
    document_no = models.CharField(_("document number"), max_length=60, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    document_file = models.FileField(
        _("funds document"), upload_to=UploadTo("subsidy/stages"), blank=True
    )
    document_file_name = models.CharField(max_length=200, blank=True)
    issued_by = _user_fk(pgettext_lazy("funds document", "issued by"))
    issued_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = _user_fk(_("cancelled by"))
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    objects = SubsidyRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("subsidy run")
        verbose_name_plural = _("subsidy runs")
        ordering = ["-year", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "year"],
                condition=~Q(state="cancelled"),
                name="subsidyrun_one_live_per_year",
            ),
            models.CheckConstraint(condition=Q(budget__gt=0), name="subsidyrun_budget_positive"),
            models.CheckConstraint(
                condition=Q(total__lte=models.F("budget")), name="subsidyrun_within_budget"
            ),
            models.CheckConstraint(
                condition=Q(publicity_end__isnull=True)
                | Q(publicity_end__gte=models.F("publicity_start")),
                name="subsidyrun_publicity_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year}"

    def publicity_running(self, today: dt.date | None = None) -> bool:
        """公示: the period has begun and not yet ended (the objection form is open)."""
        if self.state != RunState.PUBLICIZED or self.publicity_start is None:
            return False
        today = today or timezone.localdate()
        return self.publicity_start <= today <= self.publicity_end  # type: ignore[operator]

    def publicity_over(self, today: dt.date | None = None) -> bool:
        """The publicity period, counted in working days, has ended."""
        return (
            self.publicity_end is not None and (today or timezone.localdate()) > self.publicity_end
        )

    @transition(field=state, source=RunState.COMPUTED, target=RunState.AUDITED)
    def audit(self) -> None:
        self.audited_at = timezone.now()

    @transition(field=state, source=RunState.AUDITED, target=RunState.REVIEWED)
    def review(self) -> None:
        self.reviewed_at = timezone.now()

    @transition(field=state, source=RunState.REVIEWED, target=RunState.APPROVED)
    def approve(self) -> None:
        self.approved_at = timezone.now()

    @transition(field=state, source=RunState.APPROVED, target=RunState.PUBLICIZED)
    def publicize(self) -> None:
        self.publicized_at = timezone.now()

    @transition(
        field=state,
        source=RunState.PUBLICIZED,
        target=RunState.ISSUED,
        conditions=[publicity_over],
    )
    def issue(self) -> None:
        self.issued_at = timezone.now()

    @transition(field=state, source=RunState.ISSUED, target=RunState.PAID)
    def pay(self) -> None:
        self.paid_at = timezone.now()

    @transition(field=state, source=list(STAGE_ORDER[:-1]), target=RunState.CANCELLED)
    def cancel(self) -> None:
        self.cancelled_at = timezone.now()


class RunObjectionQuerySet(models.QuerySet["RunObjection"]):
    def visible_to(self, user: User) -> RunObjectionQuerySet:
        return self.filter(run__in=SubsidyRun.objects.visible_to(user))


class RunObjection(models.Model):
    """An objection to a run during its publicity (四(一): 公示无异议后…下达): anyone may file one, no login."""

    class Ruling(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    run = models.ForeignKey(
        SubsidyRun, on_delete=models.PROTECT, related_name="objections", verbose_name=_("run")
    )
    name = models.CharField(_("your name"), max_length=50)
    contact = models.CharField(_("contact (phone or e-mail)"), max_length=100)
    reason = models.TextField(_("reason"), max_length=2000)
    attachment = models.FileField(
        _("file (optional)"), upload_to=UploadTo("subsidy/objections"), blank=True
    )
    attachment_name = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    ruling = FSMField(
        _("ruling"),
        max_length=10,
        choices=Ruling.choices,
        default=Ruling.PENDING,
        protected=True,
    )
    ruling_note = models.TextField(_("reason for the ruling"), blank=True)
    ruled_by = _user_fk(_("ruled by"))
    ruled_at = models.DateTimeField(_("ruled at"), null=True, blank=True)

    objects = RunObjectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("objection to a subsidy run")
        verbose_name_plural = _("objections to subsidy runs")
        ordering = ["submitted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.run} · {self.name}"

    @transition(field=ruling, source=Ruling.PENDING, target=Ruling.UPHELD)
    def uphold(self) -> None:
        self.ruled_at = timezone.now()

    @transition(field=ruling, source=Ruling.PENDING, target=Ruling.DISMISSED)
    def dismiss(self) -> None:
        self.ruled_at = timezone.now()


class SubsidyLine(models.Model):
    """One loan's subsidy in a run, with the figures it came from (stored, so the run never changes)."""

    # No index of its own: the unique (run, loan) index starts with the run and serves every lookup by run
    # (the run's pages, the cascade); a second one only cost each commit 85,686 more entries (issue 20).
    # The run and the bank are not checked again by the database at commit (db_constraint=False), as the
    # links' references are not: lines are written only by run_commit, in the transaction that creates
    # their run, each with the bank of a loan it read, and the loan's own reference is checked (the loan
    # may be deleted by another transaction meanwhile; its bank cannot, while a loan of it exists). The two
    # checks were 0.9 s of a 100,000-loan commit (issue 20 item 3, docs/decisions.md). Deletes still go
    # through Django's on_delete.
    run = models.ForeignKey(
        SubsidyRun,
        on_delete=models.CASCADE,
        related_name="lines",
        db_index=False,
        db_constraint=False,
    )
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="+")
    bank = models.ForeignKey(
        "loans.Bank", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    bank_code = models.CharField(max_length=30)
    contract_no = models.CharField(max_length=60)
    enterprise_name = models.CharField(max_length=100)
    version_code = models.CharField(max_length=20)
    disbursement_date = models.DateField()
    principal = models.DecimalField(**MONEY)
    annual_rate = models.DecimalField(**RATE)
    lpr = models.DecimalField(**RATE)
    settled_interest = models.DecimalField(**MONEY)
    overdue_interest = models.DecimalField(**MONEY)
    eligible_interest = models.DecimalField(**MONEY)
    share = models.DecimalField(**RATE)
    computed = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = _("subsidy line")
        verbose_name_plural = _("subsidy lines")
        ordering = ["bank_code", "contract_no"]
        constraints = [
            models.UniqueConstraint(fields=["run", "loan"], name="subsidyline_one_per_loan"),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount__lte=models.F("computed")),
                name="subsidyline_amount_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_no} {self.amount}"


class SubsidyExclusion(models.Model):
    """A loan of the year that gets no subsidy in a run, and why."""

    # No index of its own, as the lines': the unique (run, loan) index serves lookups by run. The run is not
    # checked again at commit, as the lines' (written with it by run_commit).
    run = models.ForeignKey(
        SubsidyRun,
        on_delete=models.CASCADE,
        related_name="exclusions",
        db_index=False,
        db_constraint=False,
    )
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="+")
    bank_code = models.CharField(max_length=30)
    contract_no = models.CharField(max_length=60)
    enterprise_name = models.CharField(max_length=100)
    reason = models.CharField(max_length=30)
    detail = models.CharField(max_length=300)

    class Meta:
        verbose_name = _("loan left out of a subsidy run")
        verbose_name_plural = _("loans left out of subsidy runs")
        ordering = ["bank_code", "contract_no"]
        constraints = [
            models.UniqueConstraint(fields=["run", "loan"], name="subsidyexclusion_one_per_loan")
        ]

    def __str__(self) -> str:
        return f"{self.contract_no} {self.reason}"


class FlagMismatch(models.Model):
    """A settlement whose 是否逾期利息 flag disagrees with the loan's overdue records (四(一)), kept with the run.

    Either flagged normal while part of its period lies in an overdue period (the
    portal excluded that part all the same, `excluded`), or flagged overdue while no
    day of its period does (excluded as the bank said; its overdue record is missing).
    """

    run = models.ForeignKey(SubsidyRun, on_delete=models.CASCADE, related_name="mismatches")
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="+")
    settlement = models.ForeignKey(
        "loans.InterestSettlement", on_delete=models.PROTECT, related_name="+"
    )
    bank_code = models.CharField(max_length=30)
    contract_no = models.CharField(max_length=60)
    settled_on = models.DateField()
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(**MONEY)
    flagged_overdue = models.BooleanField()
    overdue_days = models.PositiveIntegerField()
    period_days = models.PositiveIntegerField()
    excluded = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = _("overdue flag mismatch")
        verbose_name_plural = _("overdue flag mismatches")
        ordering = ["bank_code", "contract_no", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["run", "settlement"], name="flagmismatch_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.contract_no} {self.period_start}–{self.period_end}"


class SubsidizedSettlement(models.Model):
    """Which settled interest a run's line subsidized, so a later run does not subsidize it again."""

    # A run links up to a million settlements, and the database's own check of three references per row
    # (a row lock on each settlement and line it names) took 20 s of a 25 s commit. The rows are written only
    # by run_commit's one INSERT … SELECT, from the run's own lines and settlements that exist, in the same
    # transaction: every reference holds by construction, so the database does not check it again. Deletes
    # still go through Django's on_delete (a subsidized settlement is protected, a run takes its links along).
    # One index, the key (issue 20 item 3: every index of 667,092 rows costs about a second of the commit):
    # (settlement, run), settlement first, answers what is read by settlement (is it subsidized already;
    # Django's PROTECT when a settlement is deleted) and keeps a settlement to once per run. No surrogate id:
    # its sequence and its own index were 0.8 s of inserting a run's links (0012). Nothing in the portal reads
    # the links of one run or one line: the computation tests every live link at once (a hash), and the rare
    # cascade from a deleted run or line is one scan. Django 5.2's admin cannot register a model with a
    # composite key, so the links have no admin list (a run's are 667,092 rows of three numbers).
    # (docs/decisions.md, issue 20 item 3)
    pk = models.CompositePrimaryKey("settlement", "run")
    run = models.ForeignKey(
        SubsidyRun,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    line = models.ForeignKey(
        SubsidyLine,
        on_delete=models.CASCADE,
        related_name="settlements",
        db_constraint=False,
        db_index=False,
    )
    settlement = models.ForeignKey(
        "loans.InterestSettlement",
        on_delete=models.PROTECT,
        related_name="subsidy_links",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("subsidized interest settlement")
        verbose_name_plural = _("subsidized interest settlements")

    def __str__(self) -> str:
        return f"{self.run_id}:{self.settlement_id}"


class BankPayment(models.Model):
    """The payment of a run's subsidy to one bank (兑现): date and voucher."""

    run = models.ForeignKey(SubsidyRun, on_delete=models.PROTECT, related_name="payments")
    bank = models.ForeignKey(
        "loans.Bank", on_delete=models.PROTECT, related_name="+", verbose_name=_("bank")
    )
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    voucher_no = models.CharField(_("voucher number"), max_length=60)
    recorded_by = models.ForeignKey("kedaitong.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subsidy payment to a bank")
        verbose_name_plural = _("subsidy payments to banks")
        ordering = ["bank__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "bank"], name="bankpayment_one_per_bank"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bankpayment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_id} {self.amount} {self.paid_on}"
