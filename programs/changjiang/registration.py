"""Changjiang's loan registration rules, beyond those of every program (loans.services.registration_problems)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from applications.selectors import banks_holding
from loans import rules
from loans.models import Loan
from loans.services import RegistrationContext
from programs.changjiang.guards import granted_credit


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
    """Changjiang 第一条, 第六条(二), 第八条: a loan follows a recommended application whose credit was granted after
    publicity, at the same bank, once; and the enterprise borrows from one bank only."""
    problems: list[str] = []
    program = version.program
    if version.needs_recommendation:
        if application is None:
            problems.append(
                rules.Problem("昌江科贷通贷款须对应一份经推荐并取得授信的申请", "application")
            )
        else:
            earlier = list(
                Loan.objects.filter(application=application).values_list("contract_no", flat=True)
            )
            if context is not None and application.pk in context.disbursed:
                earlier.append(context.disbursed[application.pk])
            granted = granted_credit(application)
            found = [
                rules.on("contract_no", rules.check_not_disbursed(earlier)),
                # Not granted yet concerns the application; more than granted, the amount.
                rules.on(
                    "application" if granted is None else "principal",
                    rules.check_credit_granted(granted, principal),
                ),
                rules.on("bank", rules.check_same_bank(application.bank_id, bank.pk)),
                None
                if application.enterprise.credit_code == credit_code
                else rules.Problem("放款企业与申请企业不一致", "credit_code"),
            ]
            problems.extend(p for p in found if p)
    if version.one_bank_per_enterprise:
        # 第六条(二): any other bank the enterprise is at (an application from submission to credit
        # granted, a loan not fully repaid, matured or not), and loans earlier in the same upload.
        others = banks_holding(
            program=program,
            credit_code=credit_code,
            exclude_bank_id=bank.pk,
            exclude_application_id=application.pk if application is not None else None,
        )
        pending = context.pending if context else []
        others += [
            f"{n}（本次导入的贷款）"
            for c, b, n, _p, _s, _e in pending
            if c == credit_code and b != bank.pk
        ]
        if problem := rules.on("bank", rules.check_one_bank(others)):
            problems.append(problem)
    return problems
