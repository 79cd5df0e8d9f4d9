"""What a bank's system may read through the API: the same scopes as the bank's pages (`visible_to` of its clerk)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from applications.models import Application
from compensation.models import Claim
from kedaitong.models import User
from loans.models import Loan, RecordUpload
from loans.selectors import loans_for
from review.selectors import queue_for
from subsidy.models import BANK_VISIBLE_STATES, SubsidyLine


def _dates(
    qs: QuerySet, field: str, date_from: dt.date | None, date_to: dt.date | None
) -> QuerySet:
    if date_from is not None:
        qs = qs.filter(**{f"{field}__gte": date_from})
    if date_to is not None:
        qs = qs.filter(**{f"{field}__lte": date_to})
    return qs


def waiting_applications(
    user: User,
    *,
    program: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Application]:
    """The bank's queue (review.selectors.queue_for): recommended and waiting for its decision, or credit granted
    and waiting for its disbursement; dated by the day each entered that state, oldest first."""
    qs = queue_for(user).select_related("program_version__program")
    if program:
        qs = qs.filter(program_version__program__code=program)
    # `entered` is queue_for's annotation (the day the application entered its state).
    return _dates(qs, "entered__date", date_from, date_to).order_by("entered", "reference")


def bank_loans(
    user: User,
    *,
    program: str | None = None,
    contract_no: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Loan]:
    """The bank's loans with `repaid` (every repayment recorded), dated by disbursement."""
    qs = loans_for(user)
    if program:
        qs = qs.filter(program_version__program__code=program)
    if contract_no:
        qs = qs.filter(contract_no=contract_no)
    return _dates(qs, "disbursement_date", date_from, date_to).order_by(
        "disbursement_date", "contract_no"
    )


def bank_subsidy_lines(
    user: User,
    *,
    program: str | None = None,
    year: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[SubsidyLine]:
    """Quzhou 四: the bank's lines of subsidy runs once publicized (as its subsidy page shows them), dated by the
    loan's disbursement (the run of year Y holds the loans disbursed in Y)."""
    qs = SubsidyLine.objects.filter(
        bank=user.bank_id, run__state__in=BANK_VISIBLE_STATES
    ).select_related("run__program", "loan")
    if program:
        qs = qs.filter(run__program__code=program)
    if year is not None:
        qs = qs.filter(run__year=year)
    return _dates(qs, "disbursement_date", date_from, date_to).order_by("run__year", "contract_no")


def bank_claims(
    user: User,
    *,
    program: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Claim]:
    """Changjiang 第十一条: the bank's compensation claims, dated by the day they were made."""
    qs = (
        Claim.objects.visible_to(user)
        .select_related("loan", "program", "decision__reversal")
        .prefetch_related("payments")
    )
    if program:
        qs = qs.filter(program__code=program)
    if date_from is not None:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("created_at", "reference")


def bank_batches(user: User) -> QuerySet[RecordUpload]:
    """The bank's batches sent through the API (uploads of source api)."""
    return RecordUpload.objects.visible_to(user).filter(source=RecordUpload.Source.API)
