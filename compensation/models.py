"""Risk compensation (Changjiang 第十一条): claims, yearly budgets, decisions, payments, recoveries and the clawback.

Money records (decisions, payments, recoveries, legal costs, returns) are
append-only: the services create them and never edit their amounts; a wrong
recovery is corrected by a reversing entry with a reason. Two running totals
are kept under row locks so that the database itself refuses an overspend:
`CompensationBudget.committed` (≤ amount) and `Recovery.returned` (≤ share).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from kedaitong.fields import MONEY, UploadTo
from kedaitong.roles import Role

if TYPE_CHECKING:
    from kedaitong.models import User


class AppendOnlyError(Exception):
    """Code tried to edit or delete a money record (build item 8: corrections are new reversing entries)."""


class AppendOnlyQuerySet(models.QuerySet):
    """The same guard for the bulk paths that skip `save()` and `delete()`: `update()` and `bulk_update()` may touch
    only the running fields in `MUTABLE_FIELDS` (which the services change under a row lock); `delete()` is refused."""

    def _check(self, fields: object) -> None:
        extra = set(fields) - self.model.MUTABLE_FIELDS
        if extra:
            raise AppendOnlyError(
                f"{self.model.__name__} is append-only: {', '.join(sorted(extra))} cannot be updated in bulk; record a reversing entry"
            )

    def update(self, **kwargs: object) -> int:
        self._check(kwargs)
        return super().update(**kwargs)

    def bulk_update(self, objs: object, fields: object, batch_size: int | None = None) -> int:
        self._check(fields)
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(
            f"{self.model.__name__} is append-only: record a reversing entry instead"
        )

    delete.alters_data = True
    delete.queryset_only = True


class AppendOnly(models.Model):
    """A money record is written once. Only the running fields in `MUTABLE_FIELDS` may change afterwards, and only
    through `save(update_fields=[...])` (or a queryset `update()` of those fields) by the services under a row lock;
    deleting is refused, one by one or in bulk."""

    MUTABLE_FIELDS: frozenset[str] = frozenset()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= self.MUTABLE_FIELDS:
                raise AppendOnlyError(
                    f"{type(self).__name__} is append-only: record a reversing entry instead"
                )
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(
            f"{type(self).__name__} is append-only: record a reversing entry instead"
        )


class CompensationBudget(AppendOnly):
    """The year's risk-compensation budget the leading group sets (第三条, 第十一条 2(3) 年度预算安排控制数).

    `amount` is the running total of the year's `BudgetChange` entries (each change is a new entry with its
    reason, never an edit); `committed` the running total of its decisions. Both change only in the services,
    under the row lock; the database refuses committed above amount.
    """

    MUTABLE_FIELDS = frozenset({"amount", "committed", "updated_at"})

    program = models.ForeignKey(
        "applications.Program",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("program"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("budget (yuan)"), **MONEY)
    committed = models.DecimalField(_("decided so far (yuan)"), default=Decimal("0.00"), **MONEY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("compensation budget")
        verbose_name_plural = _("compensation budgets")
        ordering = ["program", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "year"], name="compensationbudget_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="compensationbudget_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(committed__gte=0) & Q(committed__lte=models.F("amount")),
                name="compensationbudget_never_overspent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year}"

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.committed


class BudgetChange(AppendOnly):
    """One setting or change of a year's budget, with its reason: the budget's amount is the sum of its changes."""

    budget = models.ForeignKey(
        CompensationBudget,
        on_delete=models.PROTECT,
        related_name="changes",
        verbose_name=_("budget"),
    )
    change = models.DecimalField(_("change (yuan)"), **MONEY)
    amount_after = models.DecimalField(_("budget after the change (yuan)"), **MONEY)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget change")
        verbose_name_plural = _("budget changes")
        ordering = ["budget", "changed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(change=0) & Q(amount_after__gt=0), name="budgetchange_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget_id} {self.change:+} → {self.amount_after}"


class ClaimState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Bureau review")
    RETURNED = "returned", _("Returned to the bank")
    GROUP_REVIEW = "group_review", _("Leading group decision")
    DECIDED = "decided", _("Decided, awaiting payment")
    PAID = "paid", _("Paid")
    RECOVERING = "recovering", _("Recovering")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A loan may have one claim at a time; only a rejected or withdrawn claim lets the bank file again.
CLAIM_FINISHED_WITHOUT_MONEY = [ClaimState.REJECTED, ClaimState.WITHDRAWN]


class ClaimQuerySet(models.QuerySet["Claim"]):
    def visible_to(self, user: User) -> ClaimQuerySet:
        role = user.effective_role if user.is_authenticated else ""
        if role == Role.ADMIN or (role == Role.BANK and user.bank_id):
            from applications.scope import current_program_id

            in_program = self.filter(program=current_program_id(user))
            return in_program if role == Role.ADMIN else in_program.filter(bank=user.bank_id)
        if user.is_authenticated and user.is_program_scoped and user.program_id:
            # Drafts and withdrawn drafts are the bank's own.
            return self.filter(program=user.program_id).exclude(
                state__in=[ClaimState.DRAFT, ClaimState.WITHDRAWN]
            )
        return self.none()

    def with_parts(self) -> ClaimQuerySet:
        return self.select_related(
            "loan",
            "loan__enterprise",
            "bank",
            "program",
            "decision",
            "decision__reversal",
            "agreement",
            "write_off",
        ).prefetch_related("payments")


class Claim(ConcurrentTransitionMixin, models.Model):
    """A bank's claim for risk compensation on one bad Changjiang loan (第十一条 1–3)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=30, unique=True)
    loan = models.ForeignKey(
        "loans.Loan",
        on_delete=models.PROTECT,
        related_name="compensation_claims",
        verbose_name=_("loan"),
    )
    bank = models.ForeignKey(
        "loans.Bank",
        on_delete=models.PROTECT,
        related_name="compensation_claims",
        verbose_name=_("bank"),
    )
    program = models.ForeignKey(
        "applications.Program",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("program"),
    )
    requested_amount = models.DecimalField(_("compensation requested (yuan)"), **MONEY)
    loss_principal = models.DecimalField(_("unpaid principal (yuan)"), **MONEY)
    loss_interest = models.DecimalField(
        _("unpaid interest (yuan)"), default=Decimal("0.00"), **MONEY
    )
    overdue_since = models.DateField(_("overdue since"))
    case_number = models.CharField(_("court or police case number"), max_length=80)
    description = models.TextField(_("how the loan went bad and what the bank did"))
    state = FSMField(
        _("state"),
        max_length=20,
        choices=ClaimState.choices,
        default=ClaimState.DRAFT,
        protected=True,
        db_index=True,
    )
    created_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("filed by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("bureau approved at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("payment recorded at"), null=True, blank=True)
    recovering_at = models.DateTimeField(_("recovery agreement recorded at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    last_comment = models.TextField(_("last comment"), blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("compensation claim")
        verbose_name_plural = _("compensation claims")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=~Q(state__in=["rejected", "withdrawn"]),
                name="claim_one_open_per_loan",
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0)
                & Q(loss_principal__gte=0)
                & Q(loss_interest__gte=0),
                name="claim_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def payment(self) -> Payment | None:
        """The payment that stands: recorded and not reversed (a mistaken one and its reversal add up to zero)."""
        payments = list(self.payments.all())
        reversed_ids = {p.reverses_id for p in payments if p.reverses_id}
        live = [p for p in payments if p.reverses_id is None and p.pk not in reversed_ids]
        return live[-1] if live else None

    # Transitions change the state and its timestamp only; services check the rules and write the audit rows.
    @transition(
        field=state, source=[ClaimState.DRAFT, ClaimState.RETURNED], target=ClaimState.SUBMITTED
    )
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field=state, source=[ClaimState.DRAFT, ClaimState.RETURNED], target=ClaimState.WITHDRAWN
    )
    def withdraw(self) -> None:
        pass

    @transition(field=state, source=ClaimState.SUBMITTED, target=ClaimState.GROUP_REVIEW)
    def approve_review(self) -> None:
        self.reviewed_at = timezone.now()

    @transition(
        field=state,
        source=[ClaimState.SUBMITTED, ClaimState.GROUP_REVIEW],
        target=ClaimState.RETURNED,
    )
    def return_to_bank(self) -> None:
        pass

    @transition(
        field=state,
        source=[ClaimState.SUBMITTED, ClaimState.GROUP_REVIEW],
        target=ClaimState.REJECTED,
    )
    def reject(self) -> None:
        pass

    @transition(field=state, source=ClaimState.GROUP_REVIEW, target=ClaimState.DECIDED)
    def decide(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=state, source=ClaimState.DECIDED, target=ClaimState.REJECTED)
    def revoke_decision(self) -> None:
        pass

    @transition(field=state, source=ClaimState.DECIDED, target=ClaimState.PAID)
    def pay(self) -> None:
        self.paid_at = timezone.now()

    @transition(field=state, source=ClaimState.PAID, target=ClaimState.DECIDED)
    def reverse_payment(self) -> None:
        self.paid_at = None

    @transition(field=state, source=ClaimState.PAID, target=ClaimState.RECOVERING)
    def start_recovery(self) -> None:
        self.recovering_at = timezone.now()

    @transition(field=state, source=ClaimState.RECOVERING, target=ClaimState.CLOSED)
    def close(self) -> None:
        self.closed_at = timezone.now()


class ClaimOpinion(models.Model):
    """The bureau's opinion on a claim (第十一条 2(2) 区科技局对补偿申请进行审核): staff draft it, the head signs it.

    Maker-checker, as in the application review: bureau staff write the opinion, the recommendation and the
    amount they propose; the bureau head signs (the claim goes to the leading group, or is rejected) or sends
    the draft back to staff with a reason. Every draft stays: each is a new row with the claim's next
    `version`, and forms carry the version they showed, so a draft saved, signed or sent back meanwhile
    refuses the stale form (409) naming who did what.
    """

    class Recommendation(models.TextChoices):
        APPROVE = "approve", _("Approve and send to the leading group")
        REJECT = "reject", _("Reject")

    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="opinions", verbose_name=_("claim")
    )
    version = models.PositiveSmallIntegerField(_("version"))
    recommendation = models.CharField(
        _("recommendation"), max_length=10, choices=Recommendation.choices
    )
    amount = models.DecimalField(_("compensation proposed (yuan)"), null=True, blank=True, **MONEY)
    text = models.TextField(_("opinion"))
    handler = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handler (经办人)"),
    )
    created_at = models.DateTimeField(_("drafted at"), default=timezone.now)
    head = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("head (负责人)"),
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    sent_back_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("sent back by"),
    )
    sent_back_at = models.DateTimeField(_("sent back at"), null=True, blank=True)
    sent_back_reason = models.TextField(_("reason for sending back"), blank=True)

    class Meta:
        verbose_name = _("bureau opinion on a claim")
        verbose_name_plural = _("bureau opinions on claims")
        ordering = ["claim", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "version"], name="claimopinion_one_per_version"
            ),
            models.CheckConstraint(
                condition=(Q(recommendation="approve") & Q(amount__gt=0))
                | (Q(recommendation="reject") & Q(amount__isnull=True)),
                name="claimopinion_amount_when_approving",
            ),
            models.CheckConstraint(
                condition=Q(head__isnull=True) | Q(signed_at__isnull=False),
                name="claimopinion_signed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | Q(sent_back_at__isnull=True),
                name="claimopinion_signed_or_sent_back",
            ),
            models.CheckConstraint(
                condition=Q(sent_back_at__isnull=True) | ~Q(sent_back_reason=""),
                name="claimopinion_sent_back_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} v{self.version}"

    @property
    def is_open(self) -> bool:
        return self.signed_at is None and self.sent_back_at is None


class MaterialKind(models.TextChoices):
    """The five materials of 第十一条 3."""

    APPLICATION_FORM = "application_form", _("Compensation application form")
    BAD_LOAN_STATEMENT = "bad_loan_statement", _("Statement on how the loan went bad")
    CASE_NOTICE = "case_notice", _("Court acceptance notice or police filing decision")
    COLLECTION_PROOF = "collection_proof", _("Proof of collection efforts")
    OTHER = "other", _("Other relevant materials")


class ClaimMaterial(models.Model):
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="materials", verbose_name=_("claim")
    )
    kind = models.CharField(_("material"), max_length=30, choices=MaterialKind.choices)
    file = models.FileField(_("file"), upload_to=UploadTo("compensation/materials"))
    file_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("claim material")
        verbose_name_plural = _("claim materials")
        ordering = ["claim", "kind", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.kind} {self.file_name}"


class Decision(AppendOnly):
    """The leading group's decision (第十一条 2(3)(4)): the amount and the loss it covers; ratio = amount / covered_loss.

    Both numbers are stored; the ratio is never rounded or stored, so every
    share is computed from the exact fraction.
    """

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="decision")
    budget = models.ForeignKey(
        CompensationBudget,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("budget"),
    )
    amount = models.DecimalField(_("compensation (yuan)"), **MONEY)
    covered_loss = models.DecimalField(_("loss covered (yuan)"), **MONEY)
    decided_on = models.DateField(_("decided on"))
    minutes = models.TextField(_("minutes / opinion"), blank=True)
    decided_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compensation decision")
        verbose_name_plural = _("compensation decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(covered_loss__gt=0)
                & Q(amount__lte=models.F("covered_loss")),
                name="decision_amount_within_loss",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.amount}/{self.covered_loss}"

    @property
    def ratio(self) -> Decimal:
        """For display only (percent, 4 places); shares use the exact fraction."""
        from kedaitong.money import FEN

        return (self.amount * 100 / self.covered_loss).quantize(FEN / 100)


class DecisionReversal(AppendOnly):
    """A decision revoked before payment: the reversing entry (negated amount, reason) of build item 8.

    Its amount goes back to the decision's budget year; the claim ends as
    rejected, so the bank may file a new claim for the loan.
    """

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="reversal")
    amount = models.DecimalField(_("amount reversed (yuan)"), **MONEY)
    reason = models.TextField(_("reason"))
    reversed_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    reversed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("revoked decision")
        verbose_name_plural = _("revoked decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__lt=0), name="decisionreversal_amount_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.amount}"


class Payment(AppendOnly):
    """The compensation paid to the bank (按程序下达科贷补偿金): date and voucher.

    A payment recorded by mistake (wrong voucher or date, or money that never left) is never edited: the
    bureau head records a reversing entry (`reverses` set, negated amount, the reason in `note`) before any
    recovery agreement or write-off, and the claim goes back to decided so the right payment can be recorded.
    `Claim.payment` is the one that stands.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount paid (yuan)"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    voucher_no = models.CharField(_("voucher number"), max_length=60)
    note = models.TextField(_("note"), blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    recorded_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compensation payment")
        verbose_name_plural = _("compensation payments")
        ordering = ["claim", "recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True) & Q(amount__gt=0))
                | (Q(reverses__isnull=False) & Q(amount__lt=0)),
                name="payment_amount_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.amount} {self.paid_on}"


class RecoveryAgreement(models.Model):
    """第十一条 2(5): the recovery agreement the bank and the bureau sign once the claim is paid."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="agreement")
    signed_on = models.DateField(_("signed on"))
    file = models.FileField(_("agreement"), upload_to=UploadTo("compensation/agreements"))
    file_name = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recovery agreement")
        verbose_name_plural = _("recovery agreements")

    def __str__(self) -> str:
        return f"{self.claim_id} {self.signed_on}"


class Recovery(AppendOnly):
    """Money the bank recovered on a compensated loan (第十一条 2(5), 4): gross − legal costs = net; share = the pool's part.

    A reversing entry (`reverses` set) carries the negated figures of the one
    it corrects, with a reason; both stay in the ledger and add up to zero.
    `returned` is the running total of returns recorded against the share.
    """

    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="recoveries", verbose_name=_("claim")
    )
    received_on = models.DateField(_("received on"))
    gross = models.DecimalField(_("gross recovery (yuan)"), **MONEY)
    costs = models.DecimalField(_("legal costs (yuan)"), **MONEY)
    net = models.DecimalField(_("net recovery (yuan)"), **MONEY)
    share = models.DecimalField(_("pool's share to return (yuan)"), **MONEY)
    returned = models.DecimalField(_("returned (yuan)"), default=Decimal("0.00"), **MONEY)
    note = models.TextField(_("note"), blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    recorded_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    MUTABLE_FIELDS = frozenset({"returned"})

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        ordering = ["claim", "received_on", "recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(reverses__isnull=True)
                    & Q(gross__gt=0)
                    & Q(costs__gte=0)
                    & Q(costs__lte=models.F("gross"))
                    & Q(net__gte=0)
                    & Q(share__gte=0)
                    & Q(share__lte=models.F("net"))
                )
                | (
                    Q(reverses__isnull=False)
                    & Q(gross__lt=0)
                    & Q(costs__lte=0)
                    & Q(net__lte=0)
                    & Q(share__lte=0)
                    & Q(returned=0)
                ),
                name="recovery_figures_valid",
            ),
            models.CheckConstraint(
                condition=Q(returned__gte=0)
                & (Q(reverses__isnull=False) | Q(returned__lte=models.F("share"))),
                name="recovery_returned_within_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.received_on} {self.gross}"

    @property
    def outstanding(self) -> Decimal:
        return self.share - self.returned


class CostKind(models.TextChoices):
    LITIGATION = "litigation", _("Litigation fee")
    ARBITRATION = "arbitration", _("Arbitration fee")
    ENFORCEMENT = "enforcement", _("Enforcement fee")


class LegalCost(AppendOnly):
    """One legal cost deducted from a recovery, with its receipt (合理费用单证)."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="legal_costs")
    kind = models.CharField(_("kind"), max_length=20, choices=CostKind.choices)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    receipt = models.FileField(_("receipt"), upload_to=UploadTo("compensation/receipts"))
    receipt_name = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("legal cost")
        verbose_name_plural = _("legal costs")
        ordering = ["recovery", "kind"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="legalcost_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.recovery_id} {self.kind} {self.amount}"


class ShareReturn(AppendOnly):
    """The bank's return of a recovery's share to the finance bureau (交回区财政), confirmed by the finance bureau.

    A return recorded by mistake (the finance bureau did not receive it) is
    never edited or deleted: a reversing entry (`reverses` set, negated amount,
    the reason in `note`) cancels it before it is confirmed.
    """

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="returns")
    amount = models.DecimalField(_("amount returned (yuan)"), **MONEY)
    returned_on = models.DateField(_("returned on"))
    voucher_no = models.CharField(_("voucher number"), max_length=60)
    note = models.TextField(_("note"), blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    recorded_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    MUTABLE_FIELDS = frozenset({"confirmed_at", "confirmed_by"})

    class Meta:
        verbose_name = _("share return")
        verbose_name_plural = _("share returns")
        ordering = ["recovery", "returned_on", "recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True) & Q(amount__gt=0))
                | (Q(reverses__isnull=False) & Q(amount__lt=0) & Q(confirmed_at__isnull=True)),
                name="sharereturn_amount_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recovery_id} {self.amount} {self.returned_on}"


class WriteOff(models.Model):
    """第十一条 4: the bank wrote the loan off; the certificate is due within 5 working days."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="write_off")
    written_off_on = models.DateField(_("written off on"))
    certificate_due_on = models.DateField(_("certificate due by"))
    calendar_unknown = models.BooleanField(
        _("computed without the official calendar"), default=False
    )
    certificate = models.FileField(
        _("write-off certificate"), upload_to=UploadTo("compensation/writeoffs"), blank=True
    )
    certificate_name = models.CharField(max_length=200, blank=True)
    certificate_submitted_on = models.DateField(
        _("certificate handed in on"), null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        "kedaitong.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        constraints = [
            models.CheckConstraint(
                condition=Q(certificate_due_on__gt=models.F("written_off_on")),
                name="writeoff_due_after_writeoff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.written_off_on}"

    def is_late(self, today: object = None) -> bool:
        """Handed in after the due day, or not handed in and the due day has passed."""
        import datetime as dt

        if self.certificate_submitted_on is not None:
            return self.certificate_submitted_on > self.certificate_due_on
        day = today if isinstance(today, dt.date) else timezone.localdate()
        return day > self.certificate_due_on
