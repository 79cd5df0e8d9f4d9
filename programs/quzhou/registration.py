"""Quzhou's loan registration rules 一(一)–(六), beyond those of every program (loans.services.registration_problems)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q

from applications.models import ProgramListing
from kedaitong.annualized import annualized_by_year
from loans import rules
from loans.models import BankAgreement, Loan
from loans.services import RegistrationContext


def registration_problems(
    *,
    version: Any,
    enterprise: Any,
    credit_code: str,
    bank: Any,
    disbursement_date: dt.date,
    maturity_date: dt.date,
    principal: Decimal,
    annual_rate: Decimal,
    lpr: Decimal | None,
    application: Any,
    context: RegistrationContext | None,
    contract_date: dt.date,
) -> list[str]:
    """一(一) on the bureau's list, 一(三) a bank on file on the day, 一(二) term, 一(六) rate ≤ the LPR on the contract date, 一(四)/(五) caps.

    A loan linked to an application follows the bank's own approval (二): the principal is at most the amount
    of its 同意放贷意见书.
    """
    program = version.program
    listed = (
        ProgramListing.objects.filter(program=program, credit_code=credit_code)
        .filter(Q(delisted_on__isnull=True) | Q(delisted_on__gt=disbursement_date))
        .exists()
    )
    in_force = BankAgreement.objects.filter(
        bank=bank,
        program=program,
        status=BankAgreement.Status.ACTIVE,
        starts_on__lte=disbursement_date,
        ends_on__gte=disbursement_date,
    ).exists()
    found = [
        rules.on("credit_code", rules.check_on_list(listed)),
        rules.on("bank", rules.check_agreement(in_force, disbursement_date)),
        rules.on(
            "maturity_date",
            rules.check_term(disbursement_date, maturity_date, version.max_term_months),
        ),
        rules.on(
            "annual_rate",
            rules.check_rate(
                annual_rate, lpr, capped=version.rate_capped_by_lpr, day=contract_date
            ),
        ),
    ]
    problems = [p for p in found if p]
    if application is not None:
        from programs.quzhou.guards import granted_credit

        earlier = list(
            Loan.objects.filter(application=application).values_list("contract_no", flat=True)
        )
        if context is not None and application.pk in context.disbursed:
            earlier.append(context.disbursed[application.pk])
        granted = granted_credit(application)
        found = [
            rules.on("contract_no", rules.check_not_disbursed(earlier)),
            None
            if granted is not None
            else rules.Problem("该申请尚未经银行审批同意放贷（衢州方案二）", "application"),
            rules.on("principal", rules.check_within_approval(granted, principal))
            if granted is not None
            else None,
            rules.on("bank", rules.check_same_bank(application.bank_id, bank.pk)),
            None
            if application.enterprise.credit_code == credit_code
            else rules.Problem("放款企业与申请企业不一致", "credit_code"),
        ]
        problems.extend(p for p in found if p)
    new = annualized_by_year(principal, disbursement_date, maturity_date)
    own = Loan.objects.filter(
        program_version__program=program, enterprise__credit_code=credit_code
    ).values_list("principal", "disbursement_date", "maturity_date")
    pending = context.pending if context else []
    own_totals = rules.annualized_totals(
        [*own, *((p, s, e) for c, _b, _n, p, s, e in pending if c == credit_code)]
    )
    problems += [
        rules.Problem(p, "principal")
        for p in rules.check_annual_cap(
            new, own_totals, version.enterprise_annual_cap, whose="该企业", article="一(五)"
        )
    ]
    program_totals = (context or RegistrationContext(program)).program_totals()
    problems += [
        rules.Problem(p, "principal")
        for p in rules.check_annual_cap(
            new, program_totals, version.total_annual_cap, whose="所有合作银行", article="一(四)"
        )
    ]
    return problems
