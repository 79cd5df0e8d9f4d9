"""Programs and their versions, enterprises, the reference lists of the annexes, applications."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from applications.workflow import ApplicationWorkflow
from kedaitong.fields import MONEY, RATE, UploadTo
from kedaitong.programs import kind_choices
from kedaitong.roles import Role

if TYPE_CHECKING:
    from kedaitong.models import User


class Program(models.Model):
    """One policy of one place. Its rules are its kind's (a package under `programs/`, registered in
    `kedaitong.programs`); its numbers are in its versions. A second district of a kind is another row."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("rule set"), max_length=30, choices=kind_choices)
    region = models.CharField(_("region"), max_length=50)
    authority = models.CharField(_("responsible bureau"), max_length=100)
    # Application references read out on the phone: CJ-2026-0007. Each program has its own, so a second
    # district of a kind numbers its applications apart from the first (浮梁 FL-2026-0001 beside 昌江 CJ-…).
    reference_prefix = models.CharField(
        _("reference prefix"),
        max_length=8,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z]{2,8}$",
                _("Two to eight capital Latin letters, e.g. CJ."),
            )
        ],
        help_text=_(
            "Application references are this prefix, the year of submission and a number: CJ-2026-0007."
        ),
    )

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def version_on(self, day: dt.date) -> ProgramVersion | None:
        """The version in force on `day` (Quzhou 七(二): a loan keeps the version it was made under)."""
        return (
            self.versions.filter(effective_from__lte=day)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
            .order_by("-effective_from")
            .first()
        )


class ProgramVersion(models.Model):
    """The numbers of one edition of a policy, with the dates it is in force."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="versions", verbose_name=_("program")
    )
    code = models.CharField(_("version"), max_length=20)
    title = models.CharField(_("document title"), max_length=200)
    document_no = models.CharField(_("document number"), max_length=60, blank=True)
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(_("in force until"), null=True, blank=True)
    max_amount = models.DecimalField(_("maximum loan (yuan)"), null=True, blank=True, **MONEY)
    max_term_months = models.PositiveSmallIntegerField(
        _("maximum term (months)"), null=True, blank=True
    )
    enterprise_annual_cap = models.DecimalField(
        _("annualized cap per enterprise per year (yuan)"), null=True, blank=True, **MONEY
    )
    total_annual_cap = models.DecimalField(
        _("annualized cap of all banks per year (yuan)"), null=True, blank=True, **MONEY
    )
    rate_capped_by_lpr = models.BooleanField(_("rate at most the LPR"), default=False)
    lpr_long_tier_above_months = models.PositiveSmallIntegerField(
        _("terms longer than this use the 5-year LPR (months)"), default=60
    )
    subsidy_share = models.DecimalField(_("interest subsidy share"), null=True, blank=True, **RATE)
    one_bank_per_enterprise = models.BooleanField(_("one bank per enterprise"), default=False)
    needs_recommendation = models.BooleanField(
        _("bureau and leading group recommend before the bank"), default=False
    )
    publicity_workdays = models.PositiveSmallIntegerField(
        _("publicity period (working days)"), null=True, blank=True
    )
    risk_compensation = models.BooleanField(_("risk compensation pool"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("program version")
        verbose_name_plural = _("program versions")
        ordering = ["program", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="programversion_unique_code"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="programversion_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gt=0),
                name="programversion_max_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.name} {self.code}"


class ProductType(models.Model):
    """The eight loan products of Changjiang 附件4."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("product type")
        verbose_name_plural = _("product types")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class TechField(models.Model):
    """The technology fields of Quzhou 附件1 (主营产品（服务）所属技术领域)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("technology field")
        verbose_name_plural = _("technology fields")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class MaterialType(models.Model):
    """A material an application must carry: the eleven of Changjiang 附件2."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="material_types", verbose_name=_("program")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=60)
    required = models.BooleanField(_("required at submission"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Changjiang 附件2 第11项 “由合作银行出具，银行审核阶段补齐”: the application's bank uploads it at its review,
    # not the enterprise (issue 18 item 9).
    supplied_by_bank = models.BooleanField(_("supplied by the bank at its review"), default=False)

    class Meta:
        verbose_name = _("material type")
        verbose_name_plural = _("material types")
        ordering = ["program", "number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="materialtype_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class RegistrationPlace(models.Model):
    """Where an enterprise is registered, as a program's form offers it (Quzhou 附件1 企业注册地)."""

    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="registration_places",
        verbose_name=_("program"),
    )
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=50)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("registration place")
        verbose_name_plural = _("registration places")
        ordering = ["program", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "code"], name="registrationplace_unique_code"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Industry(models.TextChoices):
    """The sixteen sectors of 工信部联企业〔2011〕300号 第四条 (the size rule's thresholds)."""

    AGRICULTURE = "agriculture", _("Agriculture, forestry, animal husbandry and fishery")
    INDUSTRIAL = "industrial", _("Industry (manufacturing, mining, utilities)")
    CONSTRUCTION = "construction", _("Construction")
    WHOLESALE = "wholesale", _("Wholesale")
    RETAIL = "retail", _("Retail")
    TRANSPORT = "transport", _("Transport")
    WAREHOUSING = "warehousing", _("Warehousing")
    POSTAL = "postal", _("Postal services")
    ACCOMMODATION = "accommodation", _("Accommodation")
    CATERING = "catering", _("Catering")
    TELECOM = "telecom", _("Information transmission")
    SOFTWARE = "software", _("Software and information technology services")
    REAL_ESTATE = "real_estate", _("Real estate development")
    PROPERTY = "property", _("Property management")
    LEASING = "leasing", _("Leasing and business services")
    OTHER = (
        "other",
        _("Other sectors not listed (incl. scientific research and technical services)"),
    )


# Sent before and after a queryset update() of enterprises or applications, which sends no pre_save/post_save
# (the same queryset object to both): reports.tallies keeps the dashboards' counts with it. Arguments:
# queryset, values.
updating = Signal()
updated = Signal()


class AnnouncedUpdates(models.QuerySet[Any]):
    """A queryset whose update() announces itself (`updating`, `updated`)."""

    def update(self, **kwargs: Any) -> int:
        updating.send(sender=self.model, queryset=self, values=kwargs)
        done = super().update(**kwargs)
        updated.send(sender=self.model, queryset=self, values=kwargs)
        return done


class EnterpriseQuerySet(AnnouncedUpdates):
    def visible_to(self, user: User) -> EnterpriseQuerySet:
        """An enterprise is its own business: a bank or a bureau sees it only through what it may see itself.

        That is an application the user may see (a draft, and a draft withdrawn before it was
        ever submitted, are the enterprise's alone), a loan the user may see, or a relation the
        user's side confirmed (issue 17: a bank named in a draft, or any bureau role, could open
        the profile and download its certificates).
        """
        # The bank side's model, reached through the relation (loans imports this module).
        Loan = Enterprise._meta.get_field("loans").related_model

        role = user.effective_role if user.is_authenticated else ""
        if role == Role.ENTERPRISE:
            return self.filter(pk=user.enterprise_id)
        if role in (Role.ADMIN, Role.BANK) or (
            user.is_authenticated and user.is_program_scoped and user.program_id
        ):
            from applications.scope import current_program_id

            # Banks and the administrator work in one program at a time (applications/scope.py).
            program = (
                current_program_id(user) if role in (Role.ADMIN, Role.BANK) else user.program_id
            )
            confirmed = AccountClaim.objects.filter(
                state=AccountClaim.State.CONFIRMED, program=program
            )
            if role == Role.BANK:
                confirmed = confirmed.filter(bank=user.bank_id)
            return self.filter(
                Q(pk__in=Application.objects.visible_to(user).values("enterprise"))
                | Q(pk__in=Loan.objects.visible_to(user).values("enterprise"))
                | Q(pk__in=confirmed.values("enterprise"))
            )
        return self.none()


class Enterprise(models.Model):
    """A tech SME that borrows. Every record of the enterprise side hangs from it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("enterprise name"), max_length=100)
    registered_region = models.CharField(
        _("registered in (province, city, district)"), max_length=100, blank=True
    )
    registration_place = models.ForeignKey(
        RegistrationPlace,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("registration place (Quzhou)"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    revenue = models.DecimalField(
        _("operating revenue last year (yuan)"), null=True, blank=True, **MONEY
    )
    total_assets = models.DecimalField(_("total assets (yuan)"), null=True, blank=True, **MONEY)
    registered_capital = models.DecimalField(
        _("registered capital (yuan)"), null=True, blank=True, **MONEY
    )
    paid_in_capital = models.DecimalField(
        _("paid-in capital (yuan)"), null=True, blank=True, **MONEY
    )
    main_business = models.CharField(_("main business"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_mobile = models.CharField(_("contact mobile"), max_length=30, blank=True)
    last_year_sales = models.DecimalField(
        _("sales last year (yuan)"), null=True, blank=True, **MONEY
    )
    last_year_tax = models.DecimalField(
        _("tax paid last year (yuan)"), null=True, blank=True, **MONEY
    )
    # Changjiang 第一条、第二条: a 科贷通 borrower is an enterprise entered (入库) in the Jiangxi provincial system.
    kedaitong_entry_no = models.CharField(
        _("Jiangxi Kedaitong system entry number"), max_length=50, blank=True
    )
    kedaitong_entry_on = models.DateField(
        _("entered in the Jiangxi Kedaitong system on"), null=True, blank=True
    )
    tech_field = models.ForeignKey(
        TechField,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("technology field of the main products"),
    )
    # Quzhou 附件1: intellectual property, staff, high-tech revenue and R&D.
    ip_invention = models.PositiveIntegerField(_("invention patents"), null=True, blank=True)
    ip_utility = models.PositiveIntegerField(_("utility models"), null=True, blank=True)
    ip_design = models.PositiveIntegerField(_("design patents"), null=True, blank=True)
    ip_software = models.PositiveIntegerField(_("software copyrights"), null=True, blank=True)
    ip_ic_layout = models.PositiveIntegerField(
        _("integrated circuit layout designs"), null=True, blank=True
    )
    ip_plant_variety = models.PositiveIntegerField(_("new plant varieties"), null=True, blank=True)
    ip_other = models.PositiveIntegerField(_("other intellectual property"), null=True, blank=True)
    staff_college_tech = models.PositiveIntegerField(
        _("technical staff with college degree or above"), null=True, blank=True
    )
    staff_rnd = models.PositiveIntegerField(_("R&D staff"), null=True, blank=True)
    staff_rnd_recruited = models.PositiveIntegerField(
        _("R&D staff recruited"), null=True, blank=True
    )
    high_tech_revenue = models.DecimalField(
        _("high-tech product revenue last year (yuan)"), null=True, blank=True, **MONEY
    )
    rnd_expense = models.DecimalField(
        _("R&D expense last year (yuan)"), null=True, blank=True, **MONEY
    )
    # Issue 17: the account speaks for the enterprise once the bureau of a program confirmed it
    # against the registrant's evidence, or a cooperating bank invited it (AccountClaim). Until
    # then its users may fill drafts but not submit.
    account_confirmed_at = models.DateTimeField(_("account confirmed at"), null=True, blank=True)
    account_confirmed_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account confirmed by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        indexes = [
            # Issue 18 (item 6): the bureau's directory lists by name and finds a credit code by its start
            # (LIKE 'X%' uses a PostgreSQL index only with the pattern operator class; ignored elsewhere).
            models.Index(fields=["name"], name="enterprise_name"),
            models.Index(
                fields=["credit_code"],
                name="enterprise_code_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(revenue__isnull=True) | Q(revenue__gte=0),
                name="enterprise_revenue_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_assets__isnull=True) | Q(total_assets__gte=0),
                name="enterprise_assets_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AccountClaimQuerySet(models.QuerySet["AccountClaim"]):
    def visible_to(self, user: User) -> AccountClaimQuerySet:
        """The claimant sees its own claims; a program's government roles the claims decided by their bureau
        and every other claim on the same enterprises (a dispute is judged beside the holder's evidence);
        a bank its own invitations."""
        if not user.is_authenticated:
            return self.none()
        role = user.effective_role
        from applications.scope import program_filter

        if role == Role.ADMIN:
            return self.filter(program_filter(user))  # the program the administrator works in
        own = Q(claimant=user)
        if user.is_program_scoped and user.program_id:
            enterprises = AccountClaim.objects.filter(program=user.program_id).values("enterprise")
            return self.filter(own | Q(program=user.program_id) | Q(enterprise__in=enterprises))
        if role == Role.BANK:
            return self.filter(own | (Q(bank=user.bank_id) & program_filter(user)))
        return self.filter(own)

    def waiting(self) -> AccountClaimQuerySet:
        """Filed and waiting for the bureau: the claimant's e-mail address is proven (a bureau never sees
        a claim from an address nobody answers)."""
        return self.filter(
            state=AccountClaim.State.PENDING, claimant__email_verified_at__isnull=False
        )


class AccountClaim(FSMModelMixin, models.Model):
    """A person's claim to speak for an enterprise, decided by the bureau of a program (issue 17).

    registration: the first account of a credit code asks to be confirmed, with the business licence
    and a signed authorization letter (授权委托书); dispute: someone who found the code taken claims
    the enterprise from the account that holds it, with its own evidence; bank_invitation: a
    cooperating bank vouched for its customer and invited it (confirmed when made).
    """

    class Kind(models.TextChoices):
        REGISTRATION = "registration", _("Confirmation of a registration")
        DISPUTE = "dispute", _("Dispute over a registered credit code")
        BANK_INVITATION = "bank_invitation", _("Invitation by a cooperating bank")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the bureau")
        CONFIRMED = "confirmed", _("Confirmed")
        REFUSED = "refused", _("Refused")
        SUPERSEDED = "superseded", _("Superseded by a dispute")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        related_name="account_claims",
        verbose_name=_("enterprise"),
    )
    claimant = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="account_claims",
        verbose_name=_("claimant"),
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="account_claims",
        verbose_name=_("program whose bureau decides"),
    )
    bank = models.ForeignKey(
        "loans.Bank",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_invitations",
        verbose_name=_("inviting bank"),
    )
    licence = models.FileField(
        _("business licence"), upload_to=UploadTo("account-claims"), blank=True
    )
    licence_name = models.CharField(_("file name"), max_length=200, blank=True)
    authorization = models.FileField(
        _("authorization letter"), upload_to=UploadTo("account-claims"), blank=True
    )
    authorization_name = models.CharField(_("file name"), max_length=200, blank=True)
    statement = models.TextField(_("statement"), blank=True)
    state = FSMField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING, protected=True
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reason = models.TextField(_("reason"), blank=True)

    objects = AccountClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("account claim")
        verbose_name_plural = _("account claims")
        ordering = ["-filed_at", "-pk"]
        constraints = [
            # One claim waiting per person and enterprise: a second click files nothing twice.
            models.UniqueConstraint(
                fields=["enterprise", "claimant"],
                condition=Q(state="pending"),
                name="accountclaim_one_pending_per_claimant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.enterprise.name} ({self.claimant})"

    @transition(field="state", source=State.PENDING, target=State.CONFIRMED)
    def confirm(self, *, by: User | None, reason: str = "") -> None:
        self.decided_at, self.decided_by, self.reason = timezone.now(), by, reason

    @transition(field="state", source=State.PENDING, target=State.REFUSED)
    def refuse(self, *, by: User, reason: str) -> None:
        self.decided_at, self.decided_by, self.reason = timezone.now(), by, reason

    @transition(field="state", source=[State.PENDING, State.CONFIRMED], target=State.SUPERSEDED)
    def supersede(self) -> None:
        """The account this claim stood for lost the enterprise to an upheld dispute."""


class ApplicationQuerySet(AnnouncedUpdates):
    def visible_to(self, user: User) -> ApplicationQuerySet:
        role = user.effective_role if user.is_authenticated else ""
        if role == Role.ENTERPRISE:
            return self.filter(enterprise=user.enterprise_id)
        if role in (Role.ADMIN, Role.BANK):
            from applications.scope import current_program_id

            # Banks and the administrator see the program they work in (applications.scope).
            in_program = self.filter(program_version__program=current_program_id(user))
            if role == Role.ADMIN:
                return in_program
            return in_program.filter(bank=user.bank_id).exclude(
                state__in=Application.State.enterprise_only()
            )
        if user.is_authenticated and user.is_program_scoped and user.program_id:
            # Never submitted is never the bureau's: a draft, or a draft the enterprise withdrew.
            return (
                self.filter(program_version__program=user.program_id)
                .exclude(state=Application.State.DRAFT)
                .exclude(state=Application.State.WITHDRAWN, submitted_at__isnull=True)
            )
        return self.none()


class Application(ApplicationWorkflow, models.Model):
    """An enterprise's request for a loan under one program version.

    The state machine (transitions, roles, conditions) is built on this field
    by the review workflow; nothing assigns `state` by hand.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for changes")
        BUREAU_REVIEW = "bureau_review", _("Bureau review")
        GROUP_REVIEW = "group_review", _("Leading group review")
        BANK_REVIEW = "bank_review", _("Bank review")
        # The state (公示中), apart from the word for publicity itself on menus and titles (公示).
        PUBLICITY = "publicity", pgettext_lazy("application state", "Publicity")
        CREDIT_GRANTED = "credit_granted", _("Credit granted")
        DISBURSED = "disbursed", _("Disbursed")
        REPORTED = "reported", _("Reported to the bureau")
        CORRECTION_REQUESTED = "correction_requested", _("Correction requested by the bureau")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged by the bureau")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

        @classmethod
        def enterprise_only(cls) -> list[str]:
            return [cls.DRAFT, cls.WITHDRAWN]

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Given at the first submission (`applications.services.reference_next`): PREFIX-YEAR-NNNN, gap-free per
    # program and year. A draft has none. References given before (CJ-37DBF18E) are kept as they are.
    reference = models.CharField(_("reference"), max_length=30, unique=True, null=True, blank=True)
    program_version = models.ForeignKey(
        ProgramVersion,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("program version"),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("enterprise"),
    )
    bank = models.ForeignKey(
        "loans.Bank",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("bank"),
    )
    amount = models.DecimalField(_("amount applied for (yuan)"), **MONEY)
    term_months = models.PositiveSmallIntegerField(_("term (months)"), null=True, blank=True)
    product_type = models.ForeignKey(
        ProductType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("product type")
    )
    purpose = models.TextField(_("reason for the loan"), blank=True)
    planned_disbursement_on = models.DateField(
        _("planned disbursement date"), null=True, blank=True
    )
    annual_rate = models.DecimalField(_("annual rate (%)"), null=True, blank=True, **RATE)
    # Kept at submission: what was checked and what was signed (a later profile change alters neither).
    snapshot = models.JSONField(
        _("enterprise record at submission"), null=True, blank=True, editable=False
    )
    eligibility_result = models.JSONField(
        _("eligibility at submission"), null=True, blank=True, editable=False
    )
    submitted_pdf = models.FileField(
        _("PDF made at submission"),
        upload_to=UploadTo("applications/pdf"),
        blank=True,
        editable=False,
    )
    submitted_pdf_sha256 = models.CharField(
        _("SHA-256 of the PDF"), max_length=64, blank=True, editable=False
    )
    state = FSMField(
        _("state"),
        max_length=20,
        choices=State.choices,
        default=State.DRAFT,
        protected=True,
        db_index=True,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # When it entered its current state: the time of the latest audit row into that state, kept by
    # applications.signals whenever such a row is written (every logged transition). None: never moved by a
    # logged transition (imported, seeded); the queue's age then counts from `submitted_at`
    # (review.selectors.with_entered_state), as it did when the age was read from the audit trail per row.
    state_entered_at = models.DateTimeField(
        _("entered its state at"), null=True, blank=True, editable=False
    )
    # The new-application form's one-time token: a double click or a second tab posting it again finds this draft.
    creation_token = models.UUIDField(
        _("creation token"), null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        indexes = [
            # The review queues (review.selectors.queue_for): a program's versions and the role's states,
            # with the age's columns, so the count and the oldest-first ids come from the index alone; and
            # the amount and the enterprise, so that sorting by amount or name reads no application row
            # (issue 20: the ids of page 40 by amount 21.8 ms → 3.8 ms at 100,000 applications).
            models.Index(
                fields=[
                    "program_version",
                    "state",
                    "state_entered_at",
                    "submitted_at",
                    "amount",
                    "enterprise",
                ],
                name="application_queue",
            ),
            # A bank's queue: its own applications in its states.
            models.Index(fields=["bank", "state"], name="application_bank_queue"),
            # review_overdue: what waits in a review state since before a date.
            models.Index(fields=["state", "state_entered_at"], name="application_state_entered"),
            # The home pages' latest applications (the model's order): read backwards until ten are found,
            # instead of sorting every application of the program (issue 20: 38 ms → 0.1 ms at 100,000).
            models.Index(fields=["created_at"], name="application_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="application_amount_positive"),
            models.CheckConstraint(
                condition=Q(annual_rate__isnull=True) | Q(annual_rate__gte=0),
                name="application_rate_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_reference} {self.enterprise.name}"

    @property
    def program(self) -> Program:
        return self.program_version.program

    def get_state_display(self) -> str:
        """The state in words; 公示中 only once the publicity has begun (Changjiang 第八条).

        An application the bank approved stands in the `publicity` state until its batch closes, but before
        its batch's period starts (no batch yet, or a batch starting later) it is not being publicized: it
        shows 待公示. Only applications in that state look their batch up (one query each, where not
        selected with `publicity_entry__batch`).
        """
        start = self._publicity_start() if self.state == self.State.PUBLICITY else None
        return self.state_display(self.state, start)

    @classmethod
    def state_label(cls, state: str) -> str:
        """A state's words in the active language (an unknown value as it is). The labels are looked up in a
        dict made once: `State(state).label` and `State.values` rebuilt the choices on every row of a list."""
        label = _STATE_LABELS.get(state)
        return state if label is None else str(label)

    @classmethod
    def state_display(
        cls, state: str, publicity_start: dt.date | None, today: dt.date | None = None
    ) -> str:
        """`get_state_display` from the columns alone (a list read as values, not model instances):
        `publicity_start` is the period start of the application's publicity batch, None without one."""
        if state == cls.State.PUBLICITY and not cls._started(publicity_start, today):
            return str(_("Awaiting publicity"))
        return cls.state_label(state)

    def publicity_started(self, today: dt.date | None = None) -> bool:
        """Whether the publicity of this application has begun: its batch's period has started (第八条)."""
        return self._started(self._publicity_start(), today)

    @staticmethod
    def _started(publicity_start: dt.date | None, today: dt.date | None) -> bool:
        return publicity_start is not None and publicity_start <= (today or timezone.localdate())

    def _publicity_start(self) -> dt.date | None:
        """The period start of this application's publicity batch; None without one."""
        try:
            batch = self.publicity_entry.batch  # type: ignore[attr-defined]
        except ObjectDoesNotExist:
            return None
        return batch.period_start

    @property
    def display_reference(self) -> str:
        """The reference, or what a draft shows instead (it gets its number when submitted)."""
        return self.reference or str(_("Draft (numbered at submission)"))

    @property
    def file_stem(self) -> str:
        """The start of a download's file name: the reference, or 草稿-<8 hex> for a draft."""
        if self.reference:
            return self.reference
        draft = str(_("Draft"))
        return f"{draft}-{self.public_id.hex[:8]}"


# value -> lazy label of every application state (Application.state_label).
_STATE_LABELS: dict[str, Any] = dict(Application.State.choices)


class ReferenceCounter(models.Model):
    """The last reference number given in a program and year; locked by each submission (gap-free)."""

    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="reference_counters",
        verbose_name=_("program"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "year"], name="referencecounter_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.reference_prefix}-{self.year}: {self.last}"


class ProgramListing(models.Model):
    """An enterprise on a program's list, e.g. the provincial tech SMEs the Quzhou bureau gives the banks (一(一)).

    Keyed by credit code, since an enterprise may be listed before it has an account.
    """

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="listings", verbose_name=_("program")
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    name = models.CharField(_("enterprise name"), max_length=100)
    registration_place = models.ForeignKey(
        RegistrationPlace,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("registration place"),
    )
    listed_on = models.DateField(_("listed on"))
    delisted_on = models.DateField(_("delisted on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("program listing")
        verbose_name_plural = _("program listings")
        ordering = ["program", "credit_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "credit_code"], name="programlisting_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(delisted_on__isnull=True) | Q(delisted_on__gte=models.F("listed_on")),
                name="programlisting_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} {self.credit_code} {self.name}"


class Level(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")
    DISTRICT = "district", _("District or county")
    OWN = "own", _("Own research project")


class Qualification(models.Model):
    """One qualification of an enterprise, with its number, dates and evidence (Changjiang 第六条, Quzhou 一(一))."""

    class Kind(models.TextChoices):
        NATIONAL_TECH_SME = "national_tech_sme", _("National tech-SME database entry")
        PROVINCIAL_TECH_SME = "provincial_tech_sme", _("Zhejiang provincial tech SME")
        HIGH_TECH = "high_tech", _("High-tech enterprise certificate")
        LISTING = "listing", _("Unicorn or gazelle listing")
        TALENT = "talent", _("Talent-program shareholder")
        PROJECT = "project", _("Science and technology project")
        AWARD = "award", _("Science and technology award")

    class Listing(models.TextChoices):
        UNICORN = "unicorn", _("Unicorn")
        POTENTIAL_UNICORN = "potential_unicorn", _("Potential unicorn")
        SEED_UNICORN = "seed_unicorn", _("Seed unicorn")
        GAZELLE = "gazelle", _("Gazelle")
        POTENTIAL_GAZELLE = "potential_gazelle", _("Potential gazelle")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        related_name="qualifications",
        verbose_name=_("enterprise"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("certificate or project number"), max_length=60, blank=True)
    name = models.CharField(_("name (project, award or shareholder)"), max_length=100, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    listing = models.CharField(_("listing"), max_length=20, choices=Listing.choices, blank=True)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, blank=True)
    talent_program = models.CharField(_("talent program"), max_length=100, blank=True)
    share = models.DecimalField(
        _("shareholding (%)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    project_type = models.CharField(_("project type"), max_length=60, blank=True)
    executed_as_planned = models.BooleanField(_("executed as planned"), default=False)
    evidence = models.FileField(_("evidence"), upload_to=UploadTo("qualifications"), blank=True)
    evidence_name = models.CharField(_("evidence file name"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["enterprise", "kind", "-year", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share__isnull=True) | (Q(share__gte=0) & Q(share__lte=100)),
                name="qualification_share_percent",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(valid_until__gte=models.F("issued_on")),
                name="qualification_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or self.name}".strip()


class Patent(models.Model):
    """A granted invention patent (Quzhou 附件1 近年来发明专利授权情况)."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="patents", verbose_name=_("enterprise")
    )
    number = models.CharField(_("patent number"), max_length=40)
    title = models.CharField(_("patent title"), max_length=200)

    class Meta:
        verbose_name = _("granted invention patent")
        verbose_name_plural = _("granted invention patents")
        ordering = ["enterprise", "number"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "number"], name="patent_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class AnnualFigure(models.Model):
    """One year's sales (technical services) revenue and profit (Quzhou 附件1 近3年)."""

    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        related_name="annual_figures",
        verbose_name=_("enterprise"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    revenue = models.DecimalField(_("sales revenue (yuan)"), null=True, blank=True, **MONEY)
    profit = models.DecimalField(_("profit (yuan)"), null=True, blank=True, **MONEY)

    class Meta:
        verbose_name = _("annual figure")
        verbose_name_plural = _("annual figures")
        ordering = ["enterprise", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="annualfigure_unique_year")
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}"


class Material(models.Model):
    """An uploaded material of an application (Changjiang 附件2), stored under a random name."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="materials",
        verbose_name=_("application"),
    )
    material_type = models.ForeignKey(
        MaterialType, on_delete=models.PROTECT, related_name="+", verbose_name=_("material")
    )
    file = models.FileField(_("file"), upload_to=UploadTo("materials"))
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["application", "material_type__number", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.material_type} {self.original_name}"


class YesNo(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


class QuzhouDetails(models.Model):
    """Table two and the two introductions of Quzhou 附件1 (科技贷款项目情况表, 公司简介, 项目介绍)."""

    class TechSource(models.TextChoices):
        OWN = "own", "企业自有技术"
        OTHER_ENTERPRISE = "other_enterprise", "其他企业技术"
        CENTRAL_INSTITUTE = "central_institute", "中央属科研院所"
        LOCAL_INSTITUTE = "local_institute", "地方属科研院所"
        UNIVERSITY = "university", "大专院校"
        ABSORBED = "absorbed", "引进技术本企业消化创新"
        FOREIGN = "foreign", "国外技术"

    class IPMethod(models.TextChoices):
        OWN = "own", "自主研发"
        TRANSFER = "transfer", "受让"
        GIFT = "gift", "受赠"
        MERGER = "merger", "并购"
        LICENSE = "license", "拥有5年以上的独占许可"

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="details", verbose_name=_("application")
    )
    loan_card_no = models.CharField(_("loan card number"), max_length=40, blank=True)
    project_name = models.CharField(_("project name"), max_length=100, blank=True)
    project_field = models.ForeignKey(
        TechField,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("technology field of the project"),
    )
    energy_saving = models.CharField(
        _("energy saving or emission reduction project"),
        max_length=3,
        choices=YesNo.choices,
        blank=True,
    )
    tech_source = models.CharField(
        _("source of the technology"), max_length=20, choices=TechSource.choices, blank=True
    )
    ip_method = models.CharField(
        _("how the intellectual property was obtained"),
        max_length=20,
        choices=IPMethod.choices,
        blank=True,
    )
    total_investment = models.DecimalField(
        _("planned total investment (yuan)"), null=True, blank=True, **MONEY
    )
    expected_sales = models.DecimalField(
        _("expected sales during the loan (yuan)"), null=True, blank=True, **MONEY
    )
    expected_profit_tax = models.DecimalField(
        _("expected profit and tax during the loan (yuan)"), null=True, blank=True, **MONEY
    )
    expected_new_products = models.PositiveIntegerField(
        _("new technologies, products, varieties or software expected"), null=True, blank=True
    )
    expected_utility_patents = models.PositiveIntegerField(
        _("utility model patents expected"), null=True, blank=True
    )
    expected_invention_patents = models.PositiveIntegerField(
        _("invention patents expected"), null=True, blank=True
    )
    talents_recruited = models.PositiveIntegerField(_("talents to recruit"), null=True, blank=True)
    talents_trained = models.PositiveIntegerField(_("talents to train"), null=True, blank=True)
    partners = models.TextField(_("partner organisations"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_mobile = models.CharField(_("mobile"), max_length=30, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    company_intro = models.TextField(_("company introduction"), blank=True)
    project_intro = models.TextField(_("project introduction"), blank=True)

    class Meta:
        verbose_name = _("Quzhou application form")
        verbose_name_plural = _("Quzhou application forms")

    def __str__(self) -> str:
        return f"{self.application.display_reference} {self.project_name}"


class TeamMember(models.Model):
    """A main member of the project team (Quzhou 附件1 项目团队主要成员)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="team", verbose_name=_("application")
    )
    name = models.CharField(_("name"), max_length=50)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    title = models.CharField(_("position and title"), max_length=60, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["application", "pk"]

    def __str__(self) -> str:
        return self.name
