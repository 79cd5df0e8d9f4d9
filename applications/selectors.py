"""Reads of the enterprise side that other apps use (the review page, the bank portal): eligibility checklists.

The rules are pure (`applications.eligibility`); this module gathers their
facts from the database once per call.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from applications import eligibility
from applications.eligibility import ApplicationFacts, Facts, QualificationFact, RuleResult, Status
from applications.models import Application, Enterprise, Program, ProgramListing
from applications.workflow import OPEN_STATES
from kedaitong import programs

__all__ = [
    "RuleResult",
    "Status",
    "eligibility_now",
    "eligibility_at_submission",
    "enterprise_checklist",
    "enterprise_facts",
]


def enterprise_facts(
    enterprise: Enterprise, program: Program, today: dt.date | None = None
) -> Facts:
    today = today or timezone.localdate()
    # Every kind's bars (the blacklist bars in any program, a fraud record in its own): kedaitong.programs.bars.
    found = programs.bars(enterprise=enterprise, program=program)
    blacklisted = "；".join(bar.reason for bar in found if bar.code == "blacklist")
    fraud = next((bar.reason for bar in found if bar.code == "fraud"), "")
    listed: bool | None = None
    if programs.has_feature(program, programs.Feature.PROGRAM_LIST):
        listed = (
            ProgramListing.objects.filter(
                program=program, credit_code=enterprise.credit_code, listed_on__lte=today
            )
            .exclude(delisted_on__lt=today)
            .exists()
        )
    place = enterprise.registration_place
    return Facts(
        today=today,
        registered_region=enterprise.registered_region,
        address=enterprise.address,
        registration_place=place.name
        if place is not None and place.program_id == program.pk
        else "",
        kedaitong_entry_no=enterprise.kedaitong_entry_no,
        kedaitong_entry_on=enterprise.kedaitong_entry_on,
        industry=enterprise.industry,
        employees=enterprise.employees,
        revenue=enterprise.revenue,
        total_assets=enterprise.total_assets,
        qualifications=tuple(
            QualificationFact(
                kind=q.kind,
                year=q.year,
                valid_until=q.valid_until,
                listing=q.listing,
                level=q.level,
                share=q.share,
                executed_as_planned=q.executed_as_planned,
                label=q.name or q.number,
            )
            for q in enterprise.qualifications.all()
        ),
        on_program_list=listed,
        blacklisted=blacklisted,
        fraud=fraud,
    )


# Changjiang 第六条(二) (单个企业仅接受一家银行的“科贷通”贷款): an enterprise "is at" a bank from the moment an
# application naming that bank is submitted until it ends (returned, in any review, in publicity, credit granted
# and not yet drawn), and for as long as a loan of that bank has principal outstanding, matured or not.
AT_BANK_STATES = [s for s in OPEN_STATES if s != Application.State.DRAFT] + [
    Application.State.CREDIT_GRANTED
]


def banks_holding(
    *,
    program: Program,
    credit_code: str,
    exclude_bank_id: int | None = None,
    exclude_application_id: int | None = None,
) -> list[str]:
    """Changjiang 第六条(二): the other banks the enterprise is at in `program`, each with what holds it there.

    One line per bank, e.g. “X银行（申请CJ2026-0003，已授信）” or “Y银行（贷款HT-01，未还本金300,000.00元）”,
    in bank-name order; empty when the enterprise is at no other bank. Used by the submission checklist (and
    every review stage that re-checks it) and by loan registration, so both judge by the same facts.
    """
    from kedaitong.db import MoneySum
    from kedaitong.money import format_yuan

    # Loans are the bank side's records, reached through the application's relation (not imported).
    Loan = Application._meta.get_field("loans").related_model

    found: dict[str, list[str]] = {}
    applications = (
        Application.objects.filter(
            enterprise__credit_code=credit_code,
            program_version__program=program,
            state__in=AT_BANK_STATES,
            bank__isnull=False,
        )
        .exclude(pk=exclude_application_id)
        .select_related("bank")
        .order_by("reference")
    )
    if exclude_bank_id is not None:
        applications = applications.exclude(bank=exclude_bank_id)
    for other in applications:
        found.setdefault(other.bank.name, []).append(
            f"申请{other.display_reference}，{other.get_state_display()}"
        )
    loans = (
        Loan.objects.filter(enterprise__credit_code=credit_code, program_version__program=program)
        .select_related("bank")
        .annotate(repaid=MoneySum("repayments__principal"))
        .order_by("contract_no")
    )
    if exclude_bank_id is not None:
        loans = loans.exclude(bank=exclude_bank_id)
    for loan in loans:
        outstanding = loan.principal - (loan.repaid or Decimal(0))
        if outstanding > 0:
            found.setdefault(loan.bank.name, []).append(
                f"贷款{loan.contract_no}，未还本金{format_yuan(outstanding)}元"
            )
    return [f"{bank}（{'；'.join(what)}）" for bank, what in sorted(found.items())]


def application_facts(application: Application) -> ApplicationFacts:
    from applications.eligibility import add_months

    # Loans and banks are the bank side's records, reached through the enterprise's and program's relations.
    version = application.program_version
    program = version.program
    bank_name = application.bank.name if application.bank is not None else ""
    others = (
        Application.objects.filter(
            enterprise=application.enterprise_id,
            program_version__program=program,
            state__in=OPEN_STATES,
        )
        .exclude(pk=application.pk)
        .exclude(state=Application.State.DRAFT)
    )
    loans = application.enterprise.loans.filter(program_version__program=program).select_related(
        "bank"
    )
    other_banks: set[str] = set()
    commitments: list[tuple[Decimal, dt.date, dt.date]] = []
    if version.one_bank_per_enterprise:
        other_banks |= set(
            banks_holding(
                program=program,
                credit_code=application.enterprise.credit_code,
                exclude_bank_id=application.bank_id,
                exclude_application_id=application.pk,
            )
        )
    if version.enterprise_annual_cap is not None:
        commitments += [
            (loan.principal, loan.disbursement_date, loan.maturity_date) for loan in loans
        ]
        for other in others.filter(loans__isnull=True):
            if other.planned_disbursement_on and other.term_months:
                start = other.planned_disbursement_on
                commitments.append((other.amount, start, add_months(start, other.term_months)))
    on_file = True
    if application.bank_id:
        banks = Application._meta.get_field("bank").related_model.objects
        on_file = banks.cooperating_in(program).filter(pk=application.bank_id).exists()
    return ApplicationFacts(
        amount=application.amount,
        max_amount=version.max_amount,
        bank=bank_name,
        bank_on_file=on_file,
        term_months=application.term_months,
        max_term_months=version.max_term_months,
        planned_disbursement_on=application.planned_disbursement_on,
        annual_cap=version.enterprise_annual_cap,
        other_commitments=tuple(commitments),
        other_banks=tuple(sorted(other_banks)),
    )


def enterprise_checklist(
    enterprise: Enterprise, program: Program, today: dt.date | None = None
) -> list[RuleResult]:
    """The checklist of `program` for `enterprise` before any application (home page)."""
    checklist = programs.spec(program).checklist
    return checklist(enterprise_facts(enterprise, program, today), None) if checklist else []


def eligibility_now(application: Application) -> list[RuleResult]:
    """The application's eligibility checklist judged against the enterprise's records today."""
    program = application.program_version.program
    checklist = programs.spec(program).checklist
    if checklist is None:
        return []
    return checklist(
        enterprise_facts(application.enterprise, program), application_facts(application)
    )


def eligibility_at_submission(application: Application) -> list[RuleResult] | None:
    """The checklist stored when the application was (last) submitted; None if it never was."""
    if application.eligibility_result is None:
        return None
    return eligibility.from_json(application.eligibility_result)
