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


class Problem(str):
    """A refusal in Chinese that names the field it concerns, so an import reports it under that column.

    A `str` (every caller that joins, shows or compares messages keeps working); `field` is one of
    `FIELDS`. The disbursement importer maps it to its column header (issue 18 item 8).
    """

    field: str

    def __new__(cls, text: str, field: str) -> Problem:
        if field not in FIELDS:
            raise ValueError(f"unknown field {field!r}")
        problem = super().__new__(cls, text)
        problem.field = field
        return problem


FIELDS = frozenset(
    {
        "contract_no",
        "bank",
        "credit_code",
        "contract_date",
        "disbursement_date",
        "maturity_date",
        "principal",
        "annual_rate",
        "application",
    }
)


def on(field: str, text: str | None) -> Problem | None:
    """`text` as a Problem of `field`, or None when the rule passed."""
    return None if text is None else Problem(text, field)


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
    """Quzhou 一(六) 同期同档次: the rate is at most the LPR of the same tier in force when the contract was signed (`day`)."""
    if not capped or lpr is None:
        return None
    if rate > lpr:
        return f"年利率{rate.normalize():f}%高于合同签订日{day:%Y-%m-%d}同期同档次LPR {lpr.normalize():f}%（衢州方案一(六)）"
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


def check_within_approval(approved: Decimal, principal: Decimal) -> str | None:
    """Quzhou 二: the loan is disbursed within the amount of the bank's 同意放贷意见书."""
    if principal > approved:
        return f"放款金额{format_yuan(principal)}元超过同意放贷意见书的金额{format_yuan(approved)}元（衢州方案二）"
    return None


def check_not_disbursed(existing_contracts: Iterable[str]) -> str | None:
    """Changjiang 第八条: one credit granted after publicity opens one loan; a second disbursement is refused."""
    names = sorted(set(existing_contracts))
    if names:
        return f"该申请已放款（贷款合同“{'、'.join(names)}”），同一笔授信只能放款一次"
    return None


def check_same_bank(application_bank_id: int | None, bank_id: int) -> str | None:
    """Changjiang 第一条, Quzhou 二: the application's bank is the bank that lends."""
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


# ── interest settlements: plausible periods and amounts (issue 16 item 3) ─────────────────────────────

# PBoC practice: 日利率 = 年利率 ÷ 360. The bound counts every day of the period, both ends included,
# so it is at least what any bank's convention (actual/360, actual/365, one end excluded) gives.
DAY_COUNT_BASIS = 360
# Overdue-period (penalty) interest may be charged at up to 1.5 × the contract rate
# (罚息: 在借款合同载明的贷款利率水平上加收百分之三十至百分之五十).
PENALTY_FACTOR = Decimal("1.5")
# Slack for the bank's own rounding and rate resets: 1% of the bound, and never less than 1 yuan.
TOLERANCE_SHARE = Decimal("0.01")
TOLERANCE_MIN = Decimal("1.00")


def outstanding_by_day(
    principal: Decimal,
    repayments: Iterable[tuple[dt.date, Decimal]],
    start: dt.date,
    end: dt.date,
) -> list[tuple[dt.date, dt.date, Decimal]]:
    """(first day, last day, principal outstanding) segments covering `start`..`end`, both included.

    A repayment lowers the balance from the day after it (the day itself keeps the
    old balance: the lenient reading, which only raises the bound).
    """
    cuts = sorted((day, amount) for day, amount in repayments)
    balance = principal - sum((a for d, a in cuts if d < start), Decimal("0"))
    segments = []
    day = start
    for paid_on, amount in cuts:
        if paid_on < start:
            continue
        if paid_on >= end:
            break
        segments.append((day, paid_on, balance))
        balance -= amount
        day = paid_on + dt.timedelta(days=1)
    segments.append((day, end, balance))
    return [(a, b, max(bal, Decimal("0"))) for a, b, bal in segments if a <= b]


def interest_bound(
    *,
    principal: Decimal,
    repayments: Iterable[tuple[dt.date, Decimal]],
    annual_rate: Decimal,
    start: dt.date,
    end: dt.date,
    overdue: bool,
) -> Decimal:
    """The most interest a period can carry: Σ outstanding principal × rate × days ÷ 360 (× 1.5 for penalty
    interest), plus the tolerance; rounded up to the fen. Rates are in percent."""
    from decimal import ROUND_CEILING

    principal_days = sum(
        (
            balance * ((last - first).days + 1)
            for first, last, balance in outstanding_by_day(principal, repayments, start, end)
        ),
        Decimal("0"),
    )
    bound = principal_days * annual_rate / Decimal(100) / DAY_COUNT_BASIS
    if overdue:
        bound *= PENALTY_FACTOR
    if bound == 0:
        return Decimal("0.00")
    bound += max(bound * TOLERANCE_SHARE, TOLERANCE_MIN)
    return bound.quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def check_interest_amount(
    amount: Decimal,
    *,
    principal: Decimal,
    repayments: Iterable[tuple[dt.date, Decimal]],
    annual_rate: Decimal,
    start: dt.date,
    end: dt.date,
    overdue: bool,
) -> str | None:
    """Quzhou 四(一) pays a share of settled interest: an amount above what the loan can earn is refused, naming the bound."""
    repayments = list(repayments)
    bound = interest_bound(
        principal=principal,
        repayments=repayments,
        annual_rate=annual_rate,
        start=start,
        end=end,
        overdue=overdue,
    )
    if amount <= bound:
        return None
    days = (end - start).days + 1
    if bound == 0:
        return (
            f"利息{format_yuan(amount)}元不合理：{start:%Y-%m-%d}至{end:%Y-%m-%d}期间贷款本金已全部归还，"
            "不应再有利息"
        )
    rate = f"{annual_rate.normalize():f}%" + ("×1.5（罚息）" if overdue else "")
    return (
        f"利息{format_yuan(amount)}元超过该计息期可能的最高利息{format_yuan(bound)}元"
        f"（未偿本金×年利率{rate}×{days}天÷{DAY_COUNT_BASIS}，另加1%且不少于1元的容差）"
    )


def check_interest_period(
    *,
    start: dt.date,
    end: dt.date,
    disbursement: dt.date,
    maturity: dt.date,
    overdue: bool,
) -> str | None:
    """An ordinary interest period lies within the loan's life (disbursement to maturity); overdue-period
    (penalty) interest may run past maturity, while principal is unpaid, but not before disbursement."""
    if start < disbursement:
        return f"计息期早于放款日期{disbursement:%Y-%m-%d}，不在贷款期限内"
    if not overdue and end > maturity:
        return (
            f"正常利息的计息期超出贷款到期日{maturity:%Y-%m-%d}；到期后未还本金的利息应填为逾期利息"
        )
    return None


def check_interest_overlap(
    start: dt.date,
    end: dt.date,
    others: Iterable[tuple[dt.date, dt.date, str]],
    *,
    overdue: bool,
) -> str | None:
    """One period of interest is settled once: a period may not overlap another of the same kind for the loan
    (ordinary with ordinary, overdue-period with overdue-period; the two kinds may run side by side).
    `others` are (start, end, where it is recorded)."""
    for other_start, other_end, where in others:
        if start <= other_end and other_start <= end:
            kind = "逾期利息" if overdue else "正常利息"
            return (
                f"计息期{start:%Y-%m-%d}至{end:%Y-%m-%d}与{where}的{kind}计息期"
                f"{other_start:%Y-%m-%d}至{other_end:%Y-%m-%d}重叠"
            )
    return None
