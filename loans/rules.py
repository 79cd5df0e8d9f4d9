"""Registration rules of a loan, as small pure functions: each returns the reason in Chinese, or None when it passes.

`loans.services.loan_register` and the disbursement importer gather the facts
(LPR, listings, agreements, other loans) and call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from kedaitong.annualized import annualized_by_year
from kedaitong.money import format_yuan


def term_months(start: dt.date, end: dt.date) -> int:
    """Whole months from disbursement to maturity, a part month counting as one."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return months + (1 if end.day > start.day else 0)


def check_on_list(listed: bool) -> str | None:
    """Quzhou 一(一): the enterprise is on the list of provincial tech SMEs the bureau gives the banks."""
    return (
        None if listed else "该企业不在本计划的企业名单（省科技型中小企业名单）内（衢州方案一(一)）"
    )


def check_term(start: dt.date, end: dt.date, max_months: int | None) -> str | None:
    """Quzhou 一(二): 单笔贷款期限不超过三年 (the version's maximum term in months)."""
    if max_months is None:
        return None
    months = term_months(start, end)
    if months > max_months:
        return f"贷款期限{months}个月，超过{max_months}个月的上限（衢州方案一(二)）"
    return None


def check_rate(rate: Decimal, lpr: Decimal | None, *, capped: bool, day: dt.date) -> str | None:
    """Quzhou 一(六): the rate is at most the LPR of the same tier in force on the disbursement date."""
    if not capped or lpr is None:
        return None
    if rate > lpr:
        return f"年利率{rate.normalize():f}%高于{day:%Y-%m-%d}同期同档次LPR {lpr.normalize():f}%（衢州方案一(六)）"
    return None


def check_max_amount(principal: Decimal, max_amount: Decimal | None) -> str | None:
    """Changjiang 第一条 (500万元以内) and Quzhou 附件1 (最高不超过500万元): one loan's amount."""
    if max_amount is not None and principal > max_amount:
        return f"放款金额{format_yuan(principal)}元超过单笔上限{format_yuan(max_amount)}元"
    return None


def annualized_totals(loans: Iterable[tuple[Decimal, dt.date, dt.date]]) -> dict[int, Decimal]:
    """Sum of the annualized amounts of (principal, disbursement, maturity) per calendar year."""
    totals: dict[int, Decimal] = {}
    for principal, start, end in loans:
        for year, amount in annualized_by_year(principal, start, end).items():
            totals[year] = totals.get(year, Decimal("0")) + amount
    return totals


def check_annual_cap(
    new: Mapping[int, Decimal],
    existing: Mapping[int, Decimal],
    cap: Decimal | None,
    *,
    whose: str,
    article: str,
) -> list[str]:
    """Quzhou 一(四), 一(五): in every calendar year the loan spans, existing + new annualized ≤ cap."""
    if cap is None:
        return []
    problems = []
    for year, amount in sorted(new.items()):
        total = existing.get(year, Decimal("0")) + amount
        if total > cap:
            problems.append(
                f"{whose}{year}年按年折算贷款合计{format_yuan(total)}元，超过{format_yuan(cap)}元的上限（衢州方案{article}）"
            )
    return problems


def check_agreement(in_force: bool, day: dt.date) -> str | None:
    """Quzhou 一(三), 附件2 十一: the bank is on file, with an agreement in force on the disbursement date."""
    return None if in_force else f"本行在{day:%Y-%m-%d}没有有效的合作协议（衢州方案一(三)）"


def check_credit_granted(granted: Decimal | None, principal: Decimal) -> str | None:
    """Changjiang 第一条, 第八条: the loan follows a credit granted after publicity, within its amount."""
    if granted is None:
        return "该申请尚未在公示后取得授信，不能放款（昌江细则第八条）"
    if principal > granted:
        return f"放款金额{format_yuan(principal)}元超过授信金额{format_yuan(granted)}元"
    return None


def check_not_disbursed(existing_contracts: Iterable[str]) -> str | None:
    """Changjiang 第八条: one credit granted after publicity opens one loan; a second disbursement is refused."""
    names = sorted(set(existing_contracts))
    if names:
        return f"该申请已放款（贷款合同“{'、'.join(names)}”），同一笔授信只能放款一次"
    return None


def check_same_bank(application_bank_id: int | None, bank_id: int) -> str | None:
    """Changjiang 第一条: the recommended application's bank is the bank that lends."""
    return None if application_bank_id == bank_id else "放款银行与申请推荐的合作银行不一致"


def check_one_bank(other_banks: Iterable[str]) -> str | None:
    """Changjiang 第六条(二): 单个企业仅接受一家银行的“科贷通”贷款."""
    names = sorted(set(other_banks))
    if names:
        return f"该企业在{'、'.join(names)}已有未结清的科贷通申请或贷款，只能接受一家银行的贷款（昌江细则第六条(二)）"
    return None


def check_report_quarter(
    *,
    year: int,
    quarter: int,
    today: dt.date,
    disbursed: dt.date,
    maturity: dt.date,
) -> str | None:
    """Changjiang 第十条: a post-loan report is for a quarter of the loan's term that has begun.

    One rule for the form (`loans.services.post_loan_report_file`) and the batch import
    (kind `reports`: web, command line and API).
    """
    if not 1 <= quarter <= 4:
        return "季度应为1至4"
    if (year, quarter) > (today.year, (today.month - 1) // 3 + 1):
        return "不能报送将来季度的贷后管理情况"
    first = dt.date(year, 3 * quarter - 2, 1)
    if (year, quarter) < (disbursed.year, (disbursed.month - 1) // 3 + 1) or first > maturity:
        return "该季度不在贷款期限内"
    return None
