"""The rules of Changjiang 第十一条 as pure functions (no ORM, no request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, localcontext

from kedaitong.money import ZERO, to_fen
from loans.delinquency import OverdueSpan, overdue_more_than_months

# Application states in which the bank has granted the credit (第六条 lending went through the program).
GRANTED_STATES = ("credit_granted", "disbursed")


def overdue_long_enough(events: Iterable[OverdueSpan], on: dt.date) -> bool:
    """Changjiang 第十一条 1: arrears or overdue for more than one month and still unpaid."""
    return overdue_more_than_months(events, on, 1)


def lending_met_article_6(
    *,
    program_has_pool: bool,
    loan_bank_id: int,
    loan_enterprise_id: int,
    loan_principal: Decimal,
    application_state: str | None,
    application_bank_id: int | None,
    application_enterprise_id: int | None,
    granted: Decimal | None,
) -> list[str]:
    """Changjiang 第十一条 2(1): the loan met 第六条. Returns the problems (empty = met).

    The loan is one of a program with a risk compensation pool (Changjiang), whose application went through it to
    credit granted or disbursed, with the same bank and enterprise (第六条(二): one bank);
    when the granted credit is known, the loan does not exceed it.
    """
    problems = []
    if not program_has_pool:
        problems.append("该贷款所属项目不设风险补偿金（第十一条）")
    if application_state is None:
        problems.append("该贷款没有经“科贷通”审核推荐的申请记录")
    else:
        if application_state not in GRANTED_STATES:
            problems.append("该贷款的申请尚未取得授信")
        if application_bank_id != loan_bank_id:
            problems.append("该贷款的发放银行与申请的合作银行不一致")
        if application_enterprise_id != loan_enterprise_id:
            problems.append("该贷款的借款企业与申请企业不一致")
    if granted is not None and loan_principal > granted:
        problems.append(f"贷款本金{loan_principal}元超过授信金额{granted}元")
    return problems


def pool_share(net: Decimal, amount: Decimal, covered_loss: Decimal) -> Decimal:
    """Changjiang 第十一条 2(5): net × (amount / covered loss), rounded half-up to the fen once.

    The quotient is taken at 60 significant digits before `to_fen`: the
    operands have at most 16 digits each, so a non-terminating quotient cannot
    show a run of 9s or 0s long enough to move the half-up decision, and the
    result equals exact rational rounding (a property test checks this).
    """
    if covered_loss <= 0:
        raise ValueError("covered loss must be positive")
    with localcontext() as ctx:
        ctx.prec = 60
        exact = net * amount / covered_loss
    return to_fen(exact)


def capped_share(computed: Decimal, paid: Decimal, shares_so_far: Decimal) -> Decimal:
    """The pool never takes back more than it paid on the loan: cap the share at paid − earlier shares."""
    return max(ZERO, min(computed, paid - shares_so_far))


def recovery_figures(gross: Decimal, costs: Iterable[Decimal]) -> tuple[Decimal, Decimal]:
    """Changjiang 第十一条 2(5): net = gross − the legal costs (诉讼、仲裁、执行); costs above the gross are refused."""
    total = sum(costs, ZERO)
    if gross <= 0:
        raise ValueError("清收金额必须大于零")
    if total > gross:
        raise ValueError(f"法定费用合计{total}元超过清收金额{gross}元")
    return total, gross - total


def remaining_after(budget: Decimal, committed: Decimal, amount: Decimal) -> Decimal | None:
    """Changjiang 第十一条 2(3): a decision fits the year's budget; the new committed total, or None if it does not fit."""
    new = committed + amount
    return new if new <= budget else None
