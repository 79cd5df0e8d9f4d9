"""Reads of the compensation ledger (台账, 第十一条 2(6)), the recoveries, the budgets and the cooperation-end reconciliation.

Pages and Excel exports take their rows and totals from these functions, so an
export always holds the figures of the page it came from. Totals are sums of
the lines' Decimals, never recomputed another way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from compensation.models import (
    CLAIM_FINISHED_WITHOUT_MONEY,
    Claim,
    ClaimState,
    CompensationBudget,
    Recovery,
    ShareReturn,
)
from kedaitong.db import MoneySum
from kedaitong.models import User
from kedaitong.money import ZERO, to_fen

# Claims in the ledger: from the bureau's review on (drafts and withdrawn ones are the bank's own).
LEDGER_STATES = [s for s in ClaimState.values if s not in (ClaimState.DRAFT, ClaimState.WITHDRAWN)]
# Claims the pool may still get money back on.
OPEN_FOR_RECOVERY = (ClaimState.PAID, ClaimState.RECOVERING)


@dataclass
class LedgerLine:
    claim: Claim
    reference: str
    bank_code: str
    bank_name: str
    enterprise_name: str
    contract_no: str
    state_label: str
    overdue_since: dt.date
    requested: Decimal
    decided: Decimal
    covered_loss: Decimal
    ratio: Decimal | None
    paid: Decimal
    paid_on: dt.date | None
    voucher_no: str
    gross: Decimal
    costs: Decimal
    net: Decimal
    share: Decimal
    returned: Decimal
    confirmed: Decimal
    owed: Decimal
    expected: Decimal
    written_off_on: dt.date | None
    certificate_due_on: dt.date | None
    certificate_late: bool
    due_provisional: bool = (
        False  # counted by weekends only: the calendar lacked a year (第十一条 4)
    )

    MONEY_FIELDS = (
        "requested",
        "decided",
        "covered_loss",
        "paid",
        "gross",
        "costs",
        "net",
        "share",
        "returned",
        "confirmed",
        "owed",
        "expected",
    )


@dataclass
class Totals:
    values: dict[str, Decimal] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Decimal:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None


def loans_with_open_claim(loans: Any) -> Any:
    """The loans of `loans` that have a claim not rejected nor withdrawn: one claim per loan at a time."""
    return loans.filter(
        compensation_claims__in=Claim.objects.exclude(state__in=CLAIM_FINISHED_WITHOUT_MONEY)
    ).distinct()


def claimable_loans(loans: Any) -> Any:
    """The loans a new claim may be filed for: those without an open claim (rejected and withdrawn claims end)."""
    return loans.exclude(pk__in=loans_with_open_claim(loans).values("pk"))


def totals_of(lines: Sequence[Any], names: Iterable[str]) -> Totals:
    return Totals({name: sum((getattr(line, name) for line in lines), ZERO) for name in names})


@dataclass(frozen=True)
class LedgerFilter:
    """The filters of the claim list and the ledgers, read from the query string through a form.

    A value the form refuses (a NUL byte, a year that is not one, an unknown
    state) leaves `errors` set: the page says why and lists nothing.
    """

    bank: str = ""
    state: str = ""
    year: int | None = None
    q: str = ""
    errors: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: Any) -> LedgerFilter:
        from compensation.forms import LedgerFilterForm

        form = LedgerFilterForm(query)
        if not form.is_valid():
            return cls(
                errors=tuple(
                    f"{form.fields[name].label}：{message}" if name in form.fields else str(message)
                    for name, messages in form.errors.items()
                    for message in messages
                )
            )
        data = form.cleaned_data
        return cls(
            bank=data["bank"].strip(),
            state=data["state"],
            year=data["year"],
            q=data["q"].strip(),
        )

    def as_query(self) -> str:
        from urllib.parse import urlencode

        return urlencode(
            {
                k: v
                for k, v in (
                    ("bank", self.bank),
                    ("state", self.state),
                    ("year", self.year or ""),
                    ("q", self.q),
                )
                if v
            }
        )


def ledger_claims(user: User, flt: LedgerFilter) -> Any:
    qs = (
        Claim.objects.visible_to(user)
        .filter(state__in=LEDGER_STATES)
        .with_parts()
        .prefetch_related(
            Prefetch("recoveries", queryset=Recovery.objects.prefetch_related("returns"))
        )
        .order_by("bank__code", "reference")
    )
    if flt.errors:
        return qs.none()
    if flt.bank:
        qs = qs.filter(bank__code=flt.bank)
    if flt.state:
        qs = qs.filter(state=flt.state)
    if flt.year:
        qs = qs.filter(decision__decided_on__year=flt.year)
    if flt.q:
        qs = qs.filter(
            Q(reference__icontains=flt.q)
            | Q(loan__contract_no__icontains=flt.q)
            | Q(loan__enterprise__name__icontains=flt.q)
        )
    return qs


def _has(obj: models.Model, name: str) -> Any:
    try:
        return getattr(obj, name)
    except Exception:  # RelatedObjectDoesNotExist
        return None


def live_decision(claim: Claim) -> Any:
    """The claim's decision unless it was revoked before payment (its reversal nets the amount to zero)."""
    decision = _has(claim, "decision")
    return None if decision is None or _has(decision, "reversal") is not None else decision


def ledger_line(claim: Claim, today: dt.date) -> LedgerLine:
    decision = live_decision(claim)
    payment = _has(claim, "payment")
    write_off = _has(claim, "write_off")
    recoveries = list(claim.recoveries.all())
    gross = sum((r.gross for r in recoveries), ZERO)
    costs = sum((r.costs for r in recoveries), ZERO)
    net = sum((r.net for r in recoveries), ZERO)
    share = sum((r.share for r in recoveries), ZERO)
    returned = sum((r.returned for r in recoveries), ZERO)
    confirmed = sum(
        (x.amount for r in recoveries for x in r.returns.all() if x.confirmed_at is not None), ZERO
    )
    paid = payment.amount if payment else ZERO
    return LedgerLine(
        claim=claim,
        reference=claim.reference,
        bank_code=claim.bank.code,
        bank_name=claim.bank.name,
        enterprise_name=claim.loan.enterprise.name,
        contract_no=claim.loan.contract_no,
        state_label=str(claim.get_state_display()),
        overdue_since=claim.overdue_since,
        requested=claim.requested_amount,
        decided=decision.amount if decision else ZERO,
        covered_loss=decision.covered_loss if decision else ZERO,
        ratio=decision.ratio if decision else None,
        paid=paid,
        paid_on=payment.paid_on if payment else None,
        voucher_no=payment.voucher_no if payment else "",
        gross=gross,
        costs=costs,
        net=net,
        share=share,
        returned=returned,
        confirmed=confirmed,
        owed=share - returned,
        expected=paid - share if claim.state in OPEN_FOR_RECOVERY else ZERO,
        written_off_on=write_off.written_off_on if write_off else None,
        certificate_due_on=write_off.certificate_due_on if write_off else None,
        certificate_late=bool(write_off and write_off.is_late(today)),
        due_provisional=bool(write_off and write_off.calendar_unknown),
    )


def ledger(user: User, flt: LedgerFilter) -> tuple[list[LedgerLine], Totals]:
    today = timezone.localdate()
    lines = [ledger_line(c, today) for c in ledger_claims(user, flt)]
    return lines, totals_of(lines, LedgerLine.MONEY_FIELDS)


@dataclass
class RecoveryLine:
    recovery: Recovery
    reference: str
    bank_code: str
    enterprise_name: str
    received_on: dt.date
    gross: Decimal
    costs: Decimal
    net: Decimal
    share: Decimal
    returned: Decimal
    confirmed: Decimal
    owed: Decimal
    kind: str
    note: str

    MONEY_FIELDS = ("gross", "costs", "net", "share", "returned", "confirmed", "owed")


def recovery_lines(user: User, flt: LedgerFilter) -> tuple[list[RecoveryLine], Totals]:
    claims = (
        ledger_claims(user, flt).select_related(None).select_related("bank", "loan__enterprise")
    )
    qs = (
        Recovery.objects.filter(claim__in=claims.values("pk"))
        .select_related("claim", "claim__bank", "claim__loan__enterprise", "reverses")
        .prefetch_related("returns", "legal_costs")
        .order_by("claim__bank__code", "claim__reference", "received_on", "pk")
    )
    lines = []
    for r in qs:
        confirmed = sum((x.amount for x in r.returns.all() if x.confirmed_at is not None), ZERO)
        lines.append(
            RecoveryLine(
                recovery=r,
                reference=r.claim.reference,
                bank_code=r.claim.bank.code,
                enterprise_name=r.claim.loan.enterprise.name,
                received_on=r.received_on,
                gross=r.gross,
                costs=r.costs,
                net=r.net,
                share=r.share,
                returned=r.returned,
                confirmed=confirmed,
                owed=r.share - r.returned
                if r.reverses_id is None and not hasattr(r, "reversed_by")
                else ZERO,
                kind="冲销" if r.reverses_id else "清收",
                note=r.note,
            )
        )
    # A reversed recovery and its reversal add up to zero; neither is owed.
    return lines, totals_of(lines, RecoveryLine.MONEY_FIELDS)


def bureau_opinion(claim: Claim) -> Any:
    """The bureau's signed opinion on the claim (第十一条 2(2)): the latest draft the head signed, or None."""
    return (
        claim.opinions.filter(signed_at__isnull=False)
        .select_related("handler", "head")
        .order_by("-version")
        .first()
    )


def provisional_years(write_offs: Iterable[Any]) -> list[int]:
    """第十一条 4: the years an admin must add to the calendar so that these write-offs' due days are final.

    A write-off's due day is provisional while `calendar_unknown` is set (cleared only when the day is
    recomputed, `services.writeoff_due_refresh`); its window's years the calendar still lacks are named,
    or all of them when the calendar was loaded but the day not recomputed yet.
    """
    from kedaitong.models import CalendarYear

    spans = [
        (w.written_off_on.year, w.certificate_due_on.year)
        for w in write_offs
        if w is not None and w.calendar_unknown
    ]
    if not spans:
        return []
    years = {y for start, end in spans for y in range(start, end + 1)}
    known = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
    return sorted(years - known) or sorted(years)


def late_certificate_q(today: dt.date, prefix: str = "write_off__") -> Q:
    """第十一条 4: a write-off certificate handed in after its due day, or still missing once the due day has passed."""
    return Q(**{f"{prefix}certificate_submitted_on__gt": F(f"{prefix}certificate_due_on")}) | Q(
        **{
            f"{prefix}certificate_submitted_on__isnull": True,
            f"{prefix}certificate_due_on__lt": today,
            f"{prefix}isnull": False,
        }
    )


def late_certificates(user: User, today: dt.date | None = None) -> Any:
    """Claims the bureau must chase: the write-off certificate is late (the same rule as `WriteOff.is_late`)."""
    return Claim.objects.visible_to(user).filter(late_certificate_q(today or timezone.localdate()))


def pending_returns(user: User) -> Any:
    """Returns the finance bureau has not confirmed yet."""
    return (
        ShareReturn.objects.filter(
            recovery__claim__in=Claim.objects.visible_to(user).values("pk"),
            confirmed_at__isnull=True,
            reverses__isnull=True,
            reversed_by__isnull=True,
        )
        .select_related("recovery__claim__bank", "recovery__claim__loan__enterprise")
        .order_by("returned_on", "pk")
    )


@dataclass
class BudgetLine:
    year: int
    amount: Decimal
    committed: Decimal
    remaining: Decimal
    decisions: int
    paid: Decimal

    MONEY_FIELDS = ("amount", "committed", "remaining", "paid")


def budget_lines(program_id: int) -> tuple[list[BudgetLine], Totals]:
    lines = []
    budgets = CompensationBudget.objects.filter(program=program_id).prefetch_related(
        "decisions__claim__payments", "decisions__reversal"
    )
    for b in budgets.order_by("-year"):
        decisions = [d for d in b.decisions.all() if _has(d, "reversal") is None]
        paid = sum(
            (p.amount for d in decisions for p in d.claim.payments.all()), ZERO
        )  # a reversal nets its payment
        lines.append(BudgetLine(b.year, b.amount, b.committed, b.remaining, len(decisions), paid))
    return lines, totals_of(lines, BudgetLine.MONEY_FIELDS)


# 第十一条 5 reconciliation: claims by where they stand.
IN_REVIEW = (ClaimState.SUBMITTED, ClaimState.RETURNED, ClaimState.GROUP_REVIEW)
# A claim in these states speaks for its loan's risk (paid, decided or being reviewed): the loan is not counted
# again in the exposure of loans without a claim.
CLAIM_HOLDS_LOAN = (
    *IN_REVIEW,
    ClaimState.DECIDED,
    ClaimState.PAID,
    ClaimState.RECOVERING,
    ClaimState.CLOSED,
)


@dataclass
class ReconciliationLoan:
    """A loan of the bank under the program with principal outstanding on the reconciliation day."""

    loan: Any
    contract_no: str
    enterprise_name: str
    disbursement_date: dt.date
    maturity_date: dt.date
    principal: Decimal
    repaid: Decimal
    outstanding: Decimal
    matured: bool
    days_past_due: int
    claim_reference: str
    claim_state: str
    exposure: Decimal  # the outstanding principal when no claim speaks for the loan, else 0

    MONEY_FIELDS = ("principal", "repaid", "outstanding", "exposure")


@dataclass
class Reconciliation:
    """第十一条 5 (合作结束…对合作期间发生的业务进行核查，明确合作结束后科贷补偿金还应承担的责任及应收回的已补偿科贷补偿金预计额度):
    one bank's whole statement on `as_of`.

    - `paid`: claims the pool paid, with what was recovered, owed back, returned and confirmed, and what may still
      come back (the ledger's lines with money paid);
    - `decided`: decided and not paid yet; `in_review`: filed and not decided (bureau or group review, or
      returned to the bank for correction);
    - `loans`: the bank's loans under the program with principal outstanding (principal − repayments to date),
      each with the claim that speaks for it, if any;
    - 还应承担的责任 (`bear`): decided and unpaid + requested in review + the outstanding principal of loans no
      claim speaks for (the ceiling of what the pool may still have to compensate);
    - 应收回的预计额度 (`recoverable`): shares recovered and not yet returned (`owed`) + what paid claims may still
      bring back (`expected`).
    Every total is a sum of the lines' Decimals, the same lines the ledgers show.
    """

    bank: Any
    as_of: dt.date
    lines: list[LedgerLine]  # the paid claims (kept under this name for the ledger table)
    totals: Totals
    decided: list[LedgerLine]
    decided_totals: Totals
    in_review: list[LedgerLine]
    in_review_totals: Totals
    loans: list[ReconciliationLoan]
    loan_totals: Totals
    open_claims: int
    unconfirmed: Decimal

    @property
    def paid(self) -> list[LedgerLine]:
        return self.lines

    @property
    def decided_unpaid(self) -> Decimal:
        return self.decided_totals.decided

    @property
    def in_review_requested(self) -> Decimal:
        return self.in_review_totals.requested

    @property
    def exposure(self) -> Decimal:
        return self.loan_totals.exposure

    @property
    def exposure_loans(self) -> int:
        return sum(1 for x in self.loans if x.exposure > 0)

    @property
    def bear(self) -> Decimal:
        """还应承担的责任: what the pool may still have to pay on this bank's business."""
        return self.decided_unpaid + self.in_review_requested + self.exposure

    @property
    def recoverable(self) -> Decimal:
        """应收回的已补偿科贷补偿金预计额度: owed back now, plus what paid claims may still bring back."""
        return self.totals.owed + self.totals.expected


def reconciliation(
    user: User, bank: Any, program: Any = None, as_of: dt.date | None = None
) -> Reconciliation:
    """第十一条 5 for `bank` in `program` (the compensation program of the user's page) on `as_of` (today)."""
    from applications.models import Program
    from loans.models import Loan, Repayment

    as_of = as_of or timezone.localdate()
    if program is None:  # the program that runs risk compensation
        program = (
            Program.objects.filter(versions__risk_compensation=True)
            .distinct()
            .order_by("pk")
            .first()
        )
    every = [
        line
        for line in ledger(user, LedgerFilter(bank=bank.code))[0]
        if program is None or line.claim.program_id == program.pk
    ]
    paid = [line for line in every if line.paid > 0]
    decided = [line for line in every if line.claim.state == ClaimState.DECIDED]
    in_review = [line for line in every if line.claim.state in IN_REVIEW]
    holding = {line.claim.loan_id: line for line in every if line.claim.state in CLAIM_HOLDS_LOAN}
    repaid = dict(
        Repayment.objects.filter(loan__bank=bank, repaid_on__lte=as_of)
        .values("loan")
        .annotate(total=MoneySum("principal"))
        .values_list("loan", "total")
    )
    loans = []
    for loan in (
        Loan.objects.visible_to(user)
        .filter(bank=bank, program_version__program=program, disbursement_date__lte=as_of)
        .select_related("enterprise")
        .order_by("disbursement_date", "contract_no")
    ):
        back = to_fen(repaid.get(loan.pk) or ZERO)
        outstanding = loan.principal - back
        if outstanding <= 0:
            continue
        claim = holding.get(loan.pk)
        loans.append(
            ReconciliationLoan(
                loan=loan,
                contract_no=loan.contract_no,
                enterprise_name=loan.enterprise.name,
                disbursement_date=loan.disbursement_date,
                maturity_date=loan.maturity_date,
                principal=loan.principal,
                repaid=back,
                outstanding=outstanding,
                matured=loan.maturity_date < as_of,
                days_past_due=loan.days_past_due,
                claim_reference=claim.reference if claim else "",
                claim_state=claim.state_label if claim else "",
                exposure=ZERO if claim else outstanding,
            )
        )
    totals = totals_of(paid, LedgerLine.MONEY_FIELDS)
    return Reconciliation(
        bank=bank,
        as_of=as_of,
        lines=paid,
        totals=totals,
        decided=decided,
        decided_totals=totals_of(decided, LedgerLine.MONEY_FIELDS),
        in_review=in_review,
        in_review_totals=totals_of(in_review, LedgerLine.MONEY_FIELDS),
        loans=loans,
        loan_totals=totals_of(loans, ReconciliationLoan.MONEY_FIELDS),
        open_claims=sum(1 for line in paid if line.claim.state in OPEN_FOR_RECOVERY),
        unconfirmed=totals.returned - totals.confirmed,
    )
