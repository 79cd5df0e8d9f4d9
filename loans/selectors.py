"""Reads of the bank side shared by pages, exports and other apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.models import Application
from kedaitong.db import MoneySum
from kedaitong.models import User
from kedaitong.programs import Feature, has_feature
from loans.delinquency import (
    Bucket,
    Span,
    bucket_for,
    days_past_due,
    overdue_more_than_months,
    overdue_since,
    overdue_spans,
)
from loans.models import Loan, LoanDocument, OverdueEvent, PostLoanReport, Repayment

RECOMMENDED_STATES = (
    Application.State.BANK_REVIEW,
    Application.State.PUBLICITY,
    Application.State.CREDIT_GRANTED,
    Application.State.CORRECTION_REQUESTED,
)


def recommended_applications(user: User) -> QuerySet[Application]:
    """Applications in the user's bank's hands (its review, publicity, credit granted, a correction asked)."""
    return (
        Application.objects.visible_to(user)
        .filter(state__in=RECOMMENDED_STATES)
        .select_related("enterprise", "bank", "program_version__program")
        .order_by("-updated_at")
    )


def loans_for(user: User) -> QuerySet[Loan]:
    """The user's loans with the principal repaid so far (`repaid`)."""
    return (
        Loan.objects.visible_to(user)
        .select_related("enterprise", "bank", "program_version__program")
        .annotate(repaid=MoneySum("repayments__principal"))
        .order_by("-disbursement_date", "contract_no")
    )


@dataclass(frozen=True)
class LoanFigures:
    repaid: Decimal
    outstanding: Decimal
    interest_settled: Decimal
    days_past_due: int
    bucket: Bucket
    compensation_eligible: bool
    blacklist_due: bool
    overdue_since: dt.date | None = None
    past_maturity: Span | None = None  # the derived overdue period, shown beside the bank's events


def overdue_spans_of(loans: Iterable[Loan], on: dt.date) -> dict[int, list[Span]]:
    """Each loan's overdue periods as known on `on`: the bank's events and the period past maturity
    with principal outstanding (repayments up to `on` count). Two queries per 900 loans."""
    by_pk = {loan.pk: loan for loan in loans}
    events: dict[int, list[OverdueEvent]] = {pk: [] for pk in by_pk}
    repayments: dict[int, list[tuple[dt.date, Decimal]]] = {pk: [] for pk in by_pk}
    ids = list(by_pk)
    for start in range(0, len(ids), 900):
        part = ids[start : start + 900]
        for event in OverdueEvent.objects.filter(loan_id__in=part).only(
            "loan_id", "started_on", "cleared_on"
        ):
            events[event.loan_id].append(event)
        for loan_id, day, amount in Repayment.objects.filter(
            loan_id__in=part, repaid_on__lte=on
        ).values_list("loan_id", "repaid_on", "principal"):
            repayments[loan_id].append((day, amount))
    return {
        pk: overdue_spans(
            events[pk],
            maturity=loan.maturity_date,
            principal=loan.principal,
            repayments=repayments[pk],
        )
        for pk, loan in by_pk.items()
    }


def overdue_candidates(on: dt.date) -> QuerySet[Loan]:
    """Loans that may be overdue on `on`: with an overdue event, or past maturity with principal outstanding."""
    repaid = (
        Repayment.objects.filter(loan=OuterRef("pk"), repaid_on__lte=on)
        .order_by()
        .values("loan")
        .annotate(s=MoneySum("principal"))
        .values("s")
    )
    matured_unpaid = (
        Loan.objects.filter(maturity_date__lt=on)
        .annotate(
            repaid_by=Coalesce(
                Subquery(repaid, output_field=DecimalField()), Value(Decimal("0.00"))
            )
        )
        .filter(repaid_by__lt=F("principal"))
        .values("pk")
    )
    return Loan.objects.filter(
        Q(pk__in=OverdueEvent.objects.values("loan_id")) | Q(pk__in=matured_unpaid)
    )


def loan_figures(loan: Loan, on: dt.date | None = None) -> LoanFigures:
    """Derived figures of one loan on `on` (today): outstanding = principal − repayments to date;
    days past due from the oldest overdue period open on `on` (the bank's events or past maturity)."""
    on = on or timezone.localdate()
    repaid = loan.repayments.filter(repaid_on__lte=on).aggregate(t=MoneySum("principal"))[
        "t"
    ] or Decimal("0.00")
    interest = loan.interestsettlements.aggregate(t=MoneySum("amount"))["t"] or Decimal("0.00")
    spans = overdue_spans_of([loan], on)[loan.pk]
    days = days_past_due(spans, on)
    pool = (
        loan.program_version.risk_compensation
    )  # the version runs a risk compensation pool (第十一条)
    blacklist = has_feature(
        loan.program_version, Feature.BLACKLIST
    )  # the kind keeps a blacklist (第九条)
    derived = next((s for s in spans if s.derived and s.started_on <= on), None)
    return LoanFigures(
        repaid=repaid,
        outstanding=loan.principal - repaid,
        interest_settled=interest,
        days_past_due=days,
        bucket=bucket_for(days),
        compensation_eligible=pool and overdue_more_than_months(spans, on, 1),
        blacklist_due=blacklist and overdue_more_than_months(spans, on, 6),
        overdue_since=overdue_since(spans, on),
        past_maturity=derived,
    )


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(day: dt.date) -> tuple[int, int]:
    year, quarter = quarter_of(day)
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def loans_due_a_report(loans: QuerySet[Loan], year: int, quarter: int) -> QuerySet[Loan]:
    """Changjiang 第十条: loans of risk-pool programs outstanding at some time in the quarter without a report for it.

    Quzhou has no such duty (its banks bear the risk themselves, 四(二)); a bank may still file reports there.
    """
    first = dt.date(year, 3 * quarter - 2, 1)
    last = (dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)) - dt.timedelta(days=1)
    filed = PostLoanReport.objects.filter(year=year, quarter=quarter).values("loan_id")
    return loans.filter(
        program_version__risk_compensation=True,
        disbursement_date__lte=last,
        maturity_date__gte=first,
    ).exclude(pk__in=filed)


def documents_required(loan: Loan) -> bool:
    """Quzhou 二: where banks approve on their own (no recommendation), they send the application form and voucher."""
    return not loan.program_version.needs_recommendation


def documents_missing(loan: Loan) -> list[LoanDocument.Kind]:
    """The Quzhou 二 documents a loan still lacks (none where they are not required).

    A loan that followed an application in the portal has its form already: 附件1, kept at submission.
    """
    if not documents_required(loan):
        return []
    filed = set(loan.documents.values_list("kind", flat=True))
    if loan.application is not None and loan.application.submitted_pdf:
        filed.add(LoanDocument.Kind.APPLICATION_FORM)
    return [kind for kind in LoanDocument.Kind if kind not in filed]


def with_documents(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    """Annotate `has_form` and `has_voucher` (Quzhou 二); 附件1 kept at submission is the form of a linked loan."""

    def filed(kind: str) -> Exists:
        return Exists(LoanDocument.objects.filter(loan=OuterRef("pk"), kind=kind))

    kept = Q(application__isnull=False) & ~Q(application__submitted_pdf="")
    return loans.annotate(
        has_form=ExpressionWrapper(
            Q(
                Exists(
                    LoanDocument.objects.filter(
                        loan=OuterRef("pk"), kind=LoanDocument.Kind.APPLICATION_FORM
                    )
                )
            )
            | kept,
            output_field=BooleanField(),
        ),
        has_voucher=filed(LoanDocument.Kind.DISBURSEMENT_VOUCHER),
    )


def loans_missing_documents(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    """Loans of programs where banks approve on their own still without the application form or the voucher (Quzhou 二)."""
    return with_documents(loans.filter(program_version__needs_recommendation=False)).exclude(
        Q(has_form=True) & Q(has_voucher=True)
    )
