"""The Changjiang review's records: opinions (附件4), meetings, bank decisions, publicity (第八条), blacklist (第九条)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from applications.models import Enterprise, Program
from kedaitong.fields import MONEY, RATE, UploadTo
from kedaitong.models import Notification  # noqa: F401  (the inbox moved to the core; importable here as before)
from kedaitong.roles import PROGRAM_ROLES, Role
from kedaitong.workdays import add_workdays

# Changjiang 第八条 names no length; the program version carries it (docs/decisions.md, Foundation).
DEFAULT_PUBLICITY_WORKDAYS = 5


def publicity_end(program: Program, start_date: dt.date) -> dt.date:
    """Changjiang 第八条 (period set by the program version): the last working day of a period starting on `start_date`.

    The start day counts when it is a working day: a 5-day period starting on
    a Monday without holidays ends that Friday.
    """
    version = program.version_on(start_date) or program.versions.order_by("-effective_from").first()
    days = (version.publicity_workdays if version else None) or DEFAULT_PUBLICITY_WORKDAYS
    return add_workdays(start_date - dt.timedelta(days=1), days)


if TYPE_CHECKING:
    from kedaitong.models import User


class BlacklistQuerySet(models.QuerySet["BlacklistEntry"]):
    def in_force(self) -> BlacklistQuerySet:
        return self.filter(status=BlacklistEntry.Status.LISTED)

    def visible_to(self, user: User) -> BlacklistQuerySet:
        """The entries of the user's program: the blacklist is its program's, decided by its bureau (第九条).

        Its effect reaches every program (`blocking`), but only that program's users see and manage it.
        """
        from applications.scope import current_program_id

        role = user.effective_role if user.is_authenticated else ""
        if role in (Role.ADMIN, Role.BANK) or role in PROGRAM_ROLES:
            return self.filter(program=current_program_id(user))
        return self.none()

    def blocking(self, enterprise: Enterprise) -> BlacklistEntry | None:
        """The entry that bars `enterprise` from every program, if any (第九条: 今后不得获得财政的支持)."""
        return (
            self.in_force()
            .filter(enterprise=enterprise)
            .select_related("program")
            .order_by("listed_at")
            .first()
        )


class BlacklistEntry(ConcurrentTransitionMixin, models.Model):
    class Reason(models.TextChoices):
        OVERDUE_6_MONTHS = "overdue", _("More than 6 months past the contract's repayment date")
        MISUSE = "misuse", _("Loan used outside the enterprise's business")
        FRAUD = "fraud", _("Obtained a loan or subsidy by fraud")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        LISTED = "listed", _("Listed")
        EXEMPTED = "exempted", _("Exempted (force majeure)")
        LIFTED = "lifted", _("Lifted")
        DISMISSED = "dismissed", _("Proposal dismissed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The program whose rule it applies (Changjiang 第九条) and whose bureau decides it.
    program = models.ForeignKey(
        "applications.Program",
        on_delete=models.PROTECT,
        related_name="blacklist_entries",
        verbose_name=_("program"),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        related_name="blacklist_entries",
        verbose_name=_("enterprise"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    # Changed only by the transitions below (django-fsm): proposed → listed / exempted / dismissed; listed → lifted.
    status = FSMField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.PROPOSED,
        protected=True,
    )
    details = models.TextField(_("details and evidence"), blank=True)
    loan = models.ForeignKey(
        "loans.Loan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("loan"),
    )
    evidence = models.FileField(_("evidence"), upload_to=UploadTo("review/blacklist"), blank=True)
    evidence_name = models.CharField(_("evidence file name"), max_length=200, blank=True)
    force_majeure_note = models.TextField(_("force majeure (第九条 exception)"), blank=True)
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    # Who proposed it: a bank or the bureau (misuse of the loan); empty for the daily overdue proposal.
    proposed_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    listed_at = models.DateTimeField(_("listed at"), null=True, blank=True)
    listed_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("listed by"),
    )
    # The bureau's decision on a proposal (confirm, exempt or dismiss) and its reason.
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.TextField(_("reason of the decision"), blank=True)

    objects = BlacklistQuerySet.as_manager()

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist")
        ordering = ["-proposed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="listed") | Q(listed_at__isnull=False),
                name="blacklistentry_listed_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="exempted") | ~Q(force_majeure_note=""),
                name="blacklistentry_exemption_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(decision_note=""),
                name="blacklistentry_dismissal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise.name} · {self.get_reason_display()} · {self.get_status_display()}"

    @property
    def ground(self) -> str:
        """The ground as the notices cite it: the program's article and the reason (第九条 names two grounds)."""
        from kedaitong import programs

        article = programs.cite(self.program, "blacklist")
        return (
            f"{article}：{self.get_reason_display()}" if article else str(self.get_reason_display())
        )

    @transition(field=status, source=Status.PROPOSED, target=Status.LISTED)
    def list_entry(self, *, by: User, at: dt.datetime) -> None:
        """Listed: it bars the enterprise from financial support in every program (第九条)."""
        self.listed_at, self.listed_by = at, by

    @transition(field=status, source=Status.PROPOSED, target=Status.EXEMPTED)
    def exempt(self, *, note: str) -> None:
        """第九条: overdue because of force majeure (重大自然灾害、重大动植物疫病等不可抗力): recorded, never barring."""
        self.force_majeure_note = note

    @transition(field=status, source=Status.PROPOSED, target=Status.DISMISSED)
    def dismiss(self) -> None:
        pass

    @transition(field=status, source=Status.LISTED, target=Status.LIFTED)
    def lift(self) -> None:
        pass

    def record_decision(self, *, by: User, at: dt.datetime, note: str) -> None:
        self.decided_at, self.decided_by, self.decision_note = at, by, note


class Opinion(models.Model):
    """The bureau's opinion of 附件4 (科技局意见) or the reasons of a return; staff draft it, the head signs it.

    Every round stays: a return is one row (kind=return, reasons per item), the
    enterprise mends and resubmits, and the next round's rows follow it.
    """

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("Bureau opinion")
        RETURN = "return", _("Return for changes")

    class Recommendation(models.TextChoices):
        APPROVE = "approve", _("Recommend to the leading group")
        REJECT = "reject", _("Reject")

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="opinions",
        verbose_name=_("application"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    recommendation = models.CharField(
        _("recommendation"), max_length=10, choices=Recommendation.choices, blank=True
    )
    text = models.TextField(_("opinion"))
    reasons = models.JSONField(_("reasons per item"), default=list, blank=True)
    handler = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handler (经办人)"),
    )
    head = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("head (负责人)"),
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(head__isnull=True) | Q(signed_at__isnull=False),
                name="opinion_signed_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind="bureau") | ~Q(recommendation=""),
                name="opinion_bureau_has_recommendation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} · {self.get_kind_display()}"


class LeadingGroupRole(models.TextChoices):
    """The roster of 附件1 as roles (people change; the roles are what the rules name)."""

    LEADER = "leader", _("Group leader (executive deputy district head)")
    DEPUTY = "deputy", _("Deputy leader (deputy district head)")
    SCIENCE = "science", _("Director, district science bureau (office head)")
    JUSTICE = "justice", _("Director, district justice bureau")
    FINANCE = "finance", _("Director, district finance bureau")
    INDUSTRY = "industry", _("Director, district industry and IT bureau")
    PARK = "park", _("Director, Changjiang industrial park")
    COURT = "court", _("Vice president, district court")
    BANK_ICBC = "icbc", _("President, ICBC Xishi sub-branch")
    BANK_RCB = "rcb", _("President, Jingdezhen rural commercial bank Changjiang sub-branch")
    BANK_BOC = "boc", _("Head, Bank of China business department")


class Meeting(models.Model):
    """A leading-group meeting (第三条: 领导专班负责审核、推荐) that decides several applications at once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(
        "applications.Program", on_delete=models.PROTECT, verbose_name=_("program")
    )
    date = models.DateField(_("date"))
    attendees = models.JSONField(_("attendees (roles of the 附件1 roster)"), default=list)
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("leading-group meeting")
        verbose_name_plural = _("leading-group meetings")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}"

    def attendee_labels(self) -> list[str]:
        labels = dict(LeadingGroupRole.choices)
        return [str(labels.get(code, code)) for code in self.attendees]


class MeetingDecision(models.Model):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("meeting")
    )
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="group_decisions",
        verbose_name=_("application"),
    )
    recommended = models.BooleanField(_("recommended"))
    recommended_amount = models.DecimalField(
        _("recommended amount (yuan)"), null=True, blank=True, **MONEY
    )
    opinion = models.TextField(_("opinion"), blank=True)

    class Meta:
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "application"], name="meetingdecision_once_per_meeting"
            ),
            models.CheckConstraint(
                condition=Q(recommended=False) | Q(recommended_amount__gt=0),
                name="meetingdecision_amount_when_recommended",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.application.reference}"


class BankDecision(models.Model):
    """The bank's independent decision (第一条: 由合作银行独立审核): credit amount, rate and term, or a reason."""

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="bank_decisions",
        verbose_name=_("application"),
    )
    approved = models.BooleanField(_("approved"))
    credit_amount = models.DecimalField(_("credit amount (yuan)"), null=True, blank=True, **MONEY)
    annual_rate = models.DecimalField(_("annual rate (%)"), null=True, blank=True, **RATE)
    term_months = models.PositiveSmallIntegerField(_("term (months)"), null=True, blank=True)
    opinion = models.TextField(_("opinion or reason"))
    head_name = models.CharField(_("head (负责人)"), max_length=50, blank=True)
    # Quzhou 二: the bank's 同意放贷意见书 as it signed it; without an upload the portal prints one from this row.
    letter = models.FileField(
        _("approval letter (同意放贷意见书)"), upload_to=UploadTo("review/letters"), blank=True
    )
    letter_name = models.CharField(_("approval letter file name"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handler (经办人)"),
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("bank decision")
        verbose_name_plural = _("bank decisions")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved=False)
                | (Q(credit_amount__gt=0) & Q(annual_rate__gt=0) & Q(term_months__gt=0)),
                name="bankdecision_terms_when_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} · {self.decided_at:%Y-%m-%d}"


class PublicityBatch(models.Model):
    """Changjiang 第八条: a publicity period, its end counted in working days from its start."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(
        "applications.Program", on_delete=models.PROTECT, verbose_name=_("program")
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    created_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("publicity batch")
        verbose_name_plural = _("publicity batches")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="publicitybatch_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date:%Y-%m-%d} – {self.end_date:%Y-%m-%d}"

    @property
    def published_on(self) -> dt.date:
        """The bureau's date on which the batch was opened (published)."""
        return timezone.localdate(self.created_at) if self.created_at else timezone.localdate()

    @property
    def period_start(self) -> dt.date:
        """第八条: a period runs from its start, never from before it was published."""
        return self.period_start_of(self.start_date, self.created_at)

    @staticmethod
    def period_start_of(start_date: dt.date, created_at: dt.datetime | None) -> dt.date:
        """`period_start` from the two columns (a list read as values, the review queue): the later of the start
        and the bureau's date of publication (`published_on`)."""
        published_on = timezone.localdate(created_at) if created_at else timezone.localdate()
        return max(start_date, published_on)

    @cached_property
    def period_end(self) -> dt.date:
        """第八条: the last day of the period: its end date, but never fewer working days than the program's,
        counted from the day it was published.

        `publicity_batch_create` refuses a start before today, so for every batch it opened this is
        `end_date`; a batch dated before its publication (from before that check) still runs its full
        period from publication, and grants credit only after it.
        """
        if self.start_date >= self.published_on:
            return self.end_date  # publicity_batch_create made it at least the program's period
        return max(self.end_date, publicity_end(self.program, self.period_start))

    def is_over(self, today: dt.date | None = None) -> bool:
        return (today or timezone.localdate()) > self.period_end

    def is_running(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.period_start <= today <= self.period_end


class PublicityEntry(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch = models.ForeignKey(
        PublicityBatch,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("publicity batch"),
    )
    application = models.OneToOneField(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="publicity_entry",
        verbose_name=_("application"),
    )
    credit_amount = models.DecimalField(_("credit amount (yuan)"), **MONEY)

    class Meta:
        verbose_name = _("publicity entry")
        verbose_name_plural = _("publicity entries")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_amount__gt=0), name="publicityentry_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch} · {self.application.reference}"

    def has_upheld_objection(self) -> bool:
        return self.objections.filter(ruling=Objection.Ruling.UPHELD).exists()


class Objection(models.Model):
    class Ruling(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.ForeignKey(
        PublicityEntry,
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("publicity entry"),
    )
    name = models.CharField(_("your name"), max_length=50)
    contact = models.CharField(_("contact (phone or e-mail)"), max_length=100)
    reason = models.TextField(_("reason"), max_length=2000)
    attachment = models.FileField(
        _("file (optional)"), upload_to=UploadTo("review/objections"), blank=True
    )
    attachment_name = models.CharField(_("file name"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    ruling = models.CharField(
        _("ruling"), max_length=10, choices=Ruling.choices, default=Ruling.PENDING
    )
    ruling_note = models.TextField(_("ruling note"), blank=True)
    ruled_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ruled by"),
    )
    ruled_at = models.DateTimeField(_("ruled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["submitted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.entry} · {self.name}"
