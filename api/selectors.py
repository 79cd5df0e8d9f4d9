"""What a bank's system may read through the API: the same scopes as the bank's pages (`visible_to` of its clerk).

A bank on several programs works in one at a time on the pages (applications/scope.py: the switch). A call
to the API names its program with `program=CODE`, the switch's counterpart; without it, a read answers the
bank's records of every program it is on, each program's part taken with that program's scope
(`visible_to` as its clerk sees it there), so no record of a program the bank is not on is ever read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from applications.models import Application, Program
from applications.scope import current_program, programs_of
from compensation.models import Claim
from kedaitong.errors import NotFound
from kedaitong.models import User
from kedaitong.programs import Feature, has_feature
from loans.models import Loan, RecordUpload
from loans.selectors import loans_for
from review.selectors import queue_for
from subsidy.models import BANK_VISIBLE_STATES, SubsidyLine


class ProgramNotFound(NotFound):
    """The program named is not one the bank is on (or does not exist): 404, as another bank's record."""


def work_in(user: User, program: Program) -> None:
    """`user` works in `program` for the rest of this call, as the page header's switch would set it."""
    user.program_choice = program.code  # type: ignore[attr-defined]
    user._scope_cache = {}  # type: ignore[attr-defined]


def bank_program(user: User, code: str) -> Program:
    """The program of code `code` if the bank is on it (agreements, loans or applications there)."""
    found = next((p for p in programs_of(user) if p.code == code), None)
    if found is None:
        raise ProgramNotFound(f"本行未参与代码为“{code[:30]}”的计划")
    return found


def _across(
    user: User, program: str | None, build: Callable[[User], QuerySet[Any]]
) -> QuerySet[Any]:
    """`build(user)` in the program named, else in each of the bank's programs in turn, combined."""
    chosen = [bank_program(user, program)] if program else programs_of(user)
    combined: QuerySet[Any] | None = None
    for each in chosen:
        work_in(user, each)
        part = build(user)  # visible_to reads the program now; the query holds it
        combined = part if combined is None else combined | part
    return (
        combined if combined is not None else build(user)
    )  # no program: visible_to's empty answer


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
    qs = _across(user, program, queue_for).select_related("program_version__program")
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
    qs = _across(user, program, loans_for)
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
    qs = _across(user, program, _subsidy_lines).select_related("run__program", "loan")
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
        _across(user, program, Claim.objects.visible_to)
        .select_related("loan", "program", "decision__reversal")
        .prefetch_related("payments")
    )
    if date_from is not None:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("created_at", "reference")


def _subsidy_lines(user: User) -> QuerySet[SubsidyLine]:
    """The bank's lines in its current program, where the program runs the subsidy (as its subsidy page)."""
    program = current_program(user)
    if program is None or not has_feature(program, Feature.SUBSIDY):
        return SubsidyLine.objects.none()
    # As the bank's subsidy page: once the run's publicity has begun (a run paid before publicity
    # dates were kept counts as public).
    return SubsidyLine.objects.filter(
        run__program=program, run__state__in=BANK_VISIBLE_STATES, bank=user.bank_id
    ).filter(
        Q(run__publicity_start__isnull=True) | Q(run__publicity_start__lte=timezone.localdate())
    )


def bank_batches(user: User) -> QuerySet[RecordUpload]:
    """The bank's batches sent through the API (uploads of source api), in every program it is on."""
    return _across(user, None, RecordUpload.objects.visible_to).filter(
        source=RecordUpload.Source.API
    )
