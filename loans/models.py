"""Banks, their cooperation agreements, and loans."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from applications.models import Enterprise, ProductType, Program, ProgramVersion
from kedaitong.fields import MONEY, RATE, UploadTo
from kedaitong.roles import Role
from loans.delinquency import Bucket

if TYPE_CHECKING:
    from kedaitong.models import User


class BankQuerySet(models.QuerySet["Bank"]):
    def visible_to(self, user: User) -> BankQuerySet:
        role = user.effective_role if user.is_authenticated else ""
        if role == Role.ADMIN:
            from applications.scope import current_program_id

            program = current_program_id(
                user
            )  # the banks of the program the administrator works in
            return self.filter(
                Q(agreements__program=program) | Q(loans__program_version__program=program)
            ).distinct()
        if role == Role.BANK:
            return self.filter(pk=user.bank_id)
        if user.is_authenticated and user.is_program_scoped and user.program_id:
            return self.filter(agreements__program=user.program_id).distinct()
        return self.none()

    def cooperating_in(self, program: Program) -> BankQuerySet:
        return self.filter(
            agreements__program=program, agreements__status=BankAgreement.Status.ACTIVE
        ).distinct()


class Bank(models.Model):
    """A cooperating bank branch. URLs name it by its code."""

    code = models.SlugField(_("bank code"), max_length=30, unique=True)
    name = models.CharField(_("bank name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)

    objects = BankQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BankAgreement(models.Model):
    """A bank's cooperation with a program: Changjiang membership or a Quzhou filing (附件2, three years)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In force")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    bank = models.ForeignKey(
        Bank, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("bank")
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("program")
    )
    number = models.CharField(_("agreement number"), max_length=50, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    # Changed only by the transitions below (expire, terminate): a Quzhou agreement is created in force
    # once the four bodies have signed off its bank's filing (一(三), subsidy/filings.py).
    status = FSMField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, protected=True
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("cooperation agreement")
        verbose_name_plural = _("cooperation agreements")
        ordering = ["bank", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="bankagreement_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank} · {self.program} ({self.starts_on} – {self.ends_on})"

    def has_ended(self) -> bool:
        """Its last day (ends_on) is past, by the bureau's date."""
        return self.ends_on < timezone.localdate()

    @transition(field=status, source=Status.ACTIVE, target=Status.EXPIRED, conditions=[has_ended])
    def expire(self) -> None:
        """附件2 十一(一): the three years are over (a renewal is a new agreement, 十一(二))."""

    @transition(field=status, source=Status.ACTIVE, target=Status.TERMINATED)
    def terminate(self) -> None:
        """附件2 十一(二): ended by the bureau after a verified complaint, or by agreement."""


# Sent before a bulk write of loans or their records (bulk_create, bulk_update, update, delete), which
# send no pre_save/pre_delete: receivers may refuse it by raising. `subsidy.guards` refuses writes to
# the inputs of an audited subsidy run this way, so no write path (upload, form, admin, command,
# service) gets past the freeze. Arguments: kind ("create", "bulk_update", "update", "delete"),
# objs (create, bulk_update), fields (bulk_update), queryset and values (update, delete).
bulk_write = Signal()
# Sent after such a bulk write succeeded, with the same arguments (and the same `objs` list or queryset
# object, so a receiver may match it with what it noted before): reports.tallies recounts from it.
bulk_written = Signal()


class GuardedQuerySet(models.QuerySet[Any]):
    """A queryset whose bulk writes announce themselves (`bulk_write`) before they happen."""

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        bulk_write.send(sender=self.model, kind="create", objs=objs)
        created = super().bulk_create(objs, *args, **kwargs)
        bulk_written.send(sender=self.model, kind="create", objs=objs)
        return created

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        objs = list(objs)
        fields = list(fields)
        bulk_write.send(sender=self.model, kind="bulk_update", objs=objs, fields=fields)
        done = super().bulk_update(objs, fields, *args, **kwargs)
        bulk_written.send(sender=self.model, kind="bulk_update", objs=objs, fields=fields)
        return done

    def update(self, **kwargs: Any) -> int:
        bulk_write.send(sender=self.model, kind="update", queryset=self, values=kwargs)
        done = super().update(**kwargs)
        bulk_written.send(sender=self.model, kind="update", queryset=self, values=kwargs)
        return done

    def delete(self) -> tuple[int, dict[str, int]]:
        bulk_write.send(sender=self.model, kind="delete", queryset=self)
        return super().delete()


class LoanQuerySet(GuardedQuerySet):
    def visible_to(self, user: User) -> LoanQuerySet:
        role = user.effective_role if user.is_authenticated else ""
        if role == Role.ENTERPRISE:
            return self.filter(enterprise=user.enterprise_id)
        if role in (Role.ADMIN, Role.BANK):
            from applications.scope import current_program_id

            # Banks and the administrator see the program they work in (applications.scope).
            in_program = self.filter(program_version__program=current_program_id(user))
            return in_program if role == Role.ADMIN else in_program.filter(bank=user.bank_id)
        if user.is_authenticated and user.is_program_scoped and user.program_id:
            return self.filter(program_version__program=user.program_id)
        return self.none()


class Loan(models.Model):
    """A disbursed loan. It keeps the program version it was made under (Quzhou 七(二))."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program_version = models.ForeignKey(
        ProgramVersion,
        on_delete=models.PROTECT,
        related_name="loans",
        verbose_name=_("program version"),
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="loans", verbose_name=_("enterprise")
    )
    bank = models.ForeignKey(
        Bank, on_delete=models.PROTECT, related_name="loans", verbose_name=_("bank")
    )
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("application"),
    )
    contract_no = models.CharField(_("contract number"), max_length=60)
    # Quzhou 一(六) 同期同档次: the rate is set when the contract is signed, so the LPR is the one in force then.
    contract_date = models.DateField(_("contract signing date"))
    disbursement_date = models.DateField(_("disbursement date"))
    maturity_date = models.DateField(_("maturity date"))
    principal = models.DecimalField(_("principal (yuan)"), **MONEY)
    annual_rate = models.DecimalField(_("annual rate (%)"), **RATE)
    lpr_at_pricing = models.DecimalField(_("LPR at pricing (%)"), null=True, blank=True, **RATE)
    product_type = models.ForeignKey(
        ProductType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("product type")
    )
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    upload = models.ForeignKey(
        "loans.RecordUpload",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("upload"),
    )
    # Derived daily by `refresh_delinquency` from the overdue events (loans.delinquency).
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    bucket = models.CharField(
        _("delinquency bucket"), max_length=10, choices=Bucket.choices, default=Bucket.CURRENT
    )
    compensation_eligible = models.BooleanField(_("eligible for risk compensation"), default=False)
    delinquency_as_of = models.DateField(_("delinquency as of"), null=True, blank=True)

    objects = LoanQuerySet.as_manager()

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-disbursement_date", "contract_no"]
        indexes = [
            # The home pages' latest loans (the model's order) in a program: read from each of its versions'
            # entries in order until ten are found, instead of sorting every loan of the program (issue 20: 42 ms
            # → under 0.1 ms at 50,000 loans). Led by the version, so it serves only queries that name one (an
            # index led by the date was read for the delinquency figures' "disbursed before today").
            models.Index(
                fields=["program_version", "-disbursement_date", "contract_no"], name="loan_latest"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "contract_no"], name="loan_unique_contract_per_bank"
            ),
            # Changjiang 第八条: one credit granted after publicity, one loan.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(application__isnull=False),
                name="loan_one_per_application",
            ),
            models.CheckConstraint(condition=Q(principal__gt=0), name="loan_principal_positive"),
            models.CheckConstraint(condition=Q(annual_rate__gte=0), name="loan_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(maturity_date__gt=models.F("disbursement_date")),
                name="loan_maturity_after_disbursement",
            ),
            models.CheckConstraint(
                condition=Q(contract_date__lte=models.F("disbursement_date")),
                name="loan_contract_signed_by_disbursement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_no} {self.enterprise.name}"


class LoanRecordQuerySet(GuardedQuerySet):
    pass


class LoanRecord(models.Model):
    """What every bank record has: the loan, when it was entered, and by whom."""

    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="%(class)ss", verbose_name=_("loan")
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    created_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    upload = models.ForeignKey(
        "loans.RecordUpload",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
        verbose_name=_("upload"),
    )

    objects = LoanRecordQuerySet.as_manager()

    class Meta:
        abstract = True


class Repayment(LoanRecord):
    """Principal repaid on a date."""

    repaid_on = models.DateField(_("repayment date"))
    principal = models.DecimalField(_("principal repaid (yuan)"), **MONEY)

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["loan", "repaid_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(principal__gt=0), name="repayment_principal_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan.contract_no} {self.repaid_on} {self.principal}"


class InterestSettlement(LoanRecord):
    """Interest the bank settled for a period; overdue-period interest is marked (Quzhou 四: not subsidized)."""

    settled_on = models.DateField(_("settlement date"))
    period_start = models.DateField(_("interest period start"))
    period_end = models.DateField(_("interest period end"))
    amount = models.DecimalField(_("interest (yuan)"), **MONEY)
    is_overdue_interest = models.BooleanField(_("overdue-period interest"), default=False)

    class Meta:
        verbose_name = _("interest settlement")
        verbose_name_plural = _("interest settlements")
        ordering = ["loan", "settled_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="interestsettlement_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="interestsettlement_period_in_order",
            ),
        ]
        indexes = [models.Index(fields=["loan", "settled_on"])]

    def __str__(self) -> str:
        return f"{self.loan.contract_no} {self.settled_on} {self.amount}"


class OverdueEvent(LoanRecord):
    """A loan falling past due on a date, until the arrears are cleared."""

    started_on = models.DateField(_("overdue since"))
    overdue_principal = models.DecimalField(_("overdue principal (yuan)"), **MONEY)
    overdue_interest = models.DecimalField(_("overdue interest (yuan)"), default=0, **MONEY)
    cleared_on = models.DateField(_("cleared on"), null=True, blank=True)

    class Meta:
        verbose_name = _("overdue event")
        verbose_name_plural = _("overdue events")
        ordering = ["loan", "started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overdue_principal__gte=0) & Q(overdue_interest__gte=0),
                name="overdueevent_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(overdue_principal__gt=0) | Q(overdue_interest__gt=0),
                name="overdueevent_something_overdue",
            ),
            models.CheckConstraint(
                condition=Q(cleared_on__isnull=True) | Q(cleared_on__gte=models.F("started_on")),
                name="overdueevent_cleared_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan.contract_no} {self.started_on}"


class RecordUploadQuerySet(models.QuerySet["RecordUpload"]):
    def visible_to(self, user: User) -> RecordUploadQuerySet:
        role = user.effective_role if user.is_authenticated else ""
        if role in (Role.ADMIN, Role.BANK):
            from applications.scope import current_program_id

            in_program = self.filter(program=current_program_id(user))
            return in_program if role == Role.ADMIN else in_program.filter(bank=user.bank_id)
        if user.is_authenticated and user.is_program_scoped and user.program_id:
            return self.filter(program=user.program_id)
        return self.none()


class RecordUpload(FSMModelMixin, models.Model):
    """One file of bank records as uploaded (web) or imported (command line): kept with who, when and checksum.

    The loan records it created point back to it (`upload`); every other row it
    created (banks, agreements, enterprises, list entries) or changed (overdue
    events marked cleared) is named by an `UploadedRecord`, however large the
    file. `created_ids` holds their counts per kind.
    """

    class Kind(models.TextChoices):
        BANKS = "banks", _("Banks and agreements")
        ENTERPRISES = "enterprises", _("Program list of enterprises")
        DISBURSEMENTS = "disbursements", _("Disbursements")
        REPAYMENTS = "repayments", _("Repayments")
        INTEREST = "interest", _("Interest settlements")
        OVERDUE = "overdue", _("Overdue events")
        REPORTS = "reports", _("Post-loan management reports")

    class State(models.TextChoices):
        CHECKING = "checking", _("Being checked")
        CHECKED = "checked", _("Checked, waiting for confirmation")
        REFUSED = "refused", _("Refused")
        SAVING = "saving", _("Being saved")
        SAVED = "saved", _("Saved")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed: an error while processing, nothing saved")

    class Source(models.TextChoices):
        WEB = "web", _("Web upload")
        COMMAND = "command", _("Command line")
        API = "api", _("Bank API")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="+", verbose_name=_("program")
    )
    bank = models.ForeignKey(
        Bank,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="uploads",
        verbose_name=_("bank"),
        help_text=_("The uploading user's bank; its rows must all be this bank's."),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.WEB
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/")
    original_name = models.CharField(_("file name"), max_length=200)
    checksum = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    via = models.CharField(
        _("sent through"),
        max_length=120,
        blank=True,
        help_text=_("For a batch sent to the API: the name of the bank's API token."),
    )
    # Changed by the transitions below, or by a compare-and-swap update where two requests may race
    # (confirm: checked → saving; cancel: checked/refused → cancelled; a dead worker: → refused).
    state = FSMField(
        _("state"), max_length=10, choices=State.choices, default=State.CHECKING, protected=True
    )
    job = models.ForeignKey(
        "kedaitong.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_ids = models.JSONField(_("rows created, per kind"), default=dict, blank=True)
    saved_at = models.DateTimeField(_("saved at"), null=True, blank=True)

    objects = RecordUploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("record upload")
        verbose_name_plural = _("record uploads")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @transition(field=state, source=State.CHECKING, target=State.CHECKED)
    def pass_check(self) -> None:
        """Every row is valid: the uploader may confirm."""

    @transition(field=state, source=[State.CHECKING, State.SAVING], target=State.REFUSED)
    def refuse(self) -> None:
        """Rows with errors (at the check, or at the save when the records changed since)."""

    @transition(field=state, source=[State.CHECKING, State.SAVING], target=State.SAVED)
    def mark_saved(self) -> None:
        """Saved, all rows in one transaction (a command-line import saves without a separate check)."""
        from django.utils import timezone

        self.saved_at = timezone.now()


class UploadedRecord(models.Model):
    """A row an upload created (or changed) that does not point to its upload itself: a link, one per row."""

    class Kind(models.TextChoices):
        BANK = "banks", _("Bank")
        AGREEMENT = "agreements", _("Cooperation agreement")
        ENTERPRISE = "enterprises", _("Enterprise")
        LISTING = "listings", _("Program list entry")
        CLEARED = "cleared", _("Overdue event marked cleared")
        REPORT = "reports", _("Post-loan report")

    upload = models.ForeignKey(
        RecordUpload, on_delete=models.PROTECT, related_name="records", verbose_name=_("upload")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("row id"))

    class Meta:
        verbose_name = _("row of an upload")
        verbose_name_plural = _("rows of uploads")
        constraints = [
            models.UniqueConstraint(
                fields=["upload", "kind", "object_id"], name="uploadedrecord_once_per_upload"
            ),
        ]
        indexes = [models.Index(fields=["kind", "object_id"])]

    def __str__(self) -> str:
        return f"{self.upload_id} {self.kind} {self.object_id}"


class LoanDocumentQuerySet(models.QuerySet["LoanDocument"]):
    def visible_to(self, user: User) -> LoanDocumentQuerySet:
        return self.filter(loan__in=Loan.objects.visible_to(user))


class LoanDocument(models.Model):
    """Quzhou 二: the bank sends the bureau each loan's application form and a copy of the disbursement voucher.

    Kept, never replaced: a corrected file is filed again and the latest of each kind counts.
    """

    class Kind(models.TextChoices):
        APPLICATION_FORM = "application_form", _("Loan application form")
        DISBURSEMENT_VOUCHER = "disbursement_voucher", _("Disbursement voucher (copy)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="documents", verbose_name=_("loan")
    )
    kind = models.CharField(_("document"), max_length=24, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=UploadTo("loans/documents"))
    original_name = models.CharField(_("file name"), max_length=200)
    checksum = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = LoanDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("loan document")
        verbose_name_plural = _("loan documents")
        ordering = ["loan", "kind", "-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.loan.contract_no} {self.get_kind_display()}"


class MaturityReminder(models.Model):
    """Changjiang 第十条 (做好贷款到期的提示催收): the lending bank was reminded that a loan matures, once per maturity.

    Written by the daily `loan_maturity_reminders` (`loans.services.maturity_reminders_send`); the unique
    constraint makes a second run, or two at once, remind nobody twice. A maturity moved later (an extension)
    is a new maturity and is reminded again.
    """

    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="maturity_reminders", verbose_name=_("loan")
    )
    maturity_date = models.DateField(_("maturity date"))
    outstanding = models.DecimalField(_("principal outstanding when reminded (yuan)"), **MONEY)
    days_before = models.PositiveSmallIntegerField(_("days before maturity"))
    sent_on = models.DateField(_("reminded on"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("maturity reminder")
        verbose_name_plural = _("maturity reminders")
        ordering = ["-sent_on", "loan"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "maturity_date"], name="maturityreminder_once_per_maturity"
            ),
            models.CheckConstraint(
                condition=Q(outstanding__gt=0), name="maturityreminder_outstanding_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan.contract_no} {self.maturity_date}"


class PostLoanReportQuerySet(models.QuerySet["PostLoanReport"]):
    def visible_to(self, user: User) -> PostLoanReportQuerySet:
        return self.filter(loan__in=Loan.objects.visible_to(user))


class PostLoanReport(models.Model):
    """Changjiang 第十条: the bank's post-loan management report on one loan for one quarter."""

    class Status(models.TextChoices):
        NORMAL = "normal", _("Normal")
        WATCH = "watch", _("Needs attention")
        RISK = "risk", _("At risk")

    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="post_loan_reports", verbose_name=_("loan")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    status = models.CharField(_("assessment"), max_length=10, choices=Status.choices)
    operations = models.TextField(_("operations and use of the loan"))
    repayment = models.TextField(_("repayment of principal and interest"), blank=True)
    risks = models.TextField(_("risks found and measures taken"), blank=True)
    filed_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    objects = PostLoanReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("post-loan report")
        verbose_name_plural = _("post-loan reports")
        ordering = ["-year", "-quarter", "loan"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "year", "quarter"], name="postloanreport_one_per_quarter"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4),
                name="postloanreport_quarter_1_to_4",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan.contract_no} {self.year}Q{self.quarter}"
