"""Operations on loans. Views, imports and the review workflow call these, never the ORM directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from applications.models import Application, Enterprise, ProductType, ProgramVersion
from kedaitong.audit import log_action
from kedaitong.models import User
from loans.models import Bank, Loan
from subsidy.models import LPRMissing, lpr_on
from subsidy.selectors import fraud_bar


class LoanRefused(Exception):
    """A loan breaks a registration rule; `problems` lists every reason, in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


def _term_months(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return months + (1 if end.day > start.day else 0)


@transaction.atomic
def loan_register(
    *,
    actor: User | None,
    program_version: ProgramVersion,
    enterprise: Enterprise,
    bank: Bank,
    contract_no: str,
    disbursement_date: dt.date,
    maturity_date: dt.date,
    principal: Decimal,
    annual_rate: Decimal,
    application: Application | None = None,
    product_type: ProductType | None = None,
    purpose: str = "",
) -> Loan:
    """Open a loan at disbursement, with the LPR in force on the disbursement date.

    The registration rules of each program (Quzhou 一(二)–(六), Changjiang
    credit granted and same bank) are checked here and raise `LoanRefused`.
    """
    problems: list[str] = []
    if maturity_date <= disbursement_date:
        problems.append("到期日期必须晚于放款日期")
    if principal <= 0:
        problems.append("放款金额必须大于零")
    if Loan.objects.filter(bank=bank, contract_no=contract_no).exists():
        problems.append(f"贷款合同编号“{contract_no}”在本行已存在")
    for record in fraud_bar(bank=bank, enterprise=enterprise, program=program_version.program):
        party = record.bank or record.enterprise
        problems.append(f"{party}已被认定骗取科技金融合作贷款或贴息（{record.found_on:%Y-%m-%d}），不得再参与（衢州方案六）")
    lpr = None
    try:
        lpr = lpr_on(disbursement_date, _term_months(disbursement_date, maturity_date),
                     long_tier_above_months=program_version.lpr_long_tier_above_months)
    except LPRMissing as exc:
        if program_version.rate_capped_by_lpr:
            problems.append(str(exc))
    if problems:
        raise LoanRefused(problems)
    loan = Loan.objects.create(
        program_version=program_version,
        enterprise=enterprise,
        bank=bank,
        application=application,
        contract_no=contract_no,
        disbursement_date=disbursement_date,
        maturity_date=maturity_date,
        principal=principal,
        annual_rate=annual_rate,
        lpr_at_pricing=lpr,
        product_type=product_type,
        purpose=purpose,
    )
    log_action(actor=actor, action="loans.loan.registered", obj=loan, data={"principal": principal, "contract_no": contract_no})
    return loan
