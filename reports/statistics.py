"""Statistics by bank for a period: what the provincial centre (Changjiang 第十条) and the March audit (Quzhou 四) ask for.

One row per program and bank: loans disbursed in the period (count, principal),
principal repaid and interest settled in the period (normal and overdue-period),
and at the period's end the outstanding principal, the overdue principal still
open and the non-performing principal (loans more than 90 days past due).
Every figure is a database aggregate over the user's scope.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from kedaitong.db import MoneySum
from kedaitong.excel import Column
from kedaitong.models import User
from loans.delinquency import Span, days_past_due
from loans.models import InterestSettlement, Loan, OverdueEvent, Repayment

ZERO = Decimal("0.00")
COLUMNS = [
    Column("项目", 24),
    Column("银行代码", 16, "code"),
    Column("银行名称", 28),
    Column("期内放款笔数", 12, "int", total=False),
    Column("期内放款金额（元）", 18, "money", total=True),
    Column("期内收回本金（元）", 18, "money", total=True),
    Column("期内结算利息（元）", 18, "money", total=True),
    Column("其中逾期期间利息（元）", 18, "money", total=True),
    Column("期末贷款余额（元）", 18, "money", total=True),
    Column("期末逾期本金（元）", 18, "money", total=True),
    Column("期末不良贷款余额（元）", 18, "money", total=True),
]
KEYS = ("program__name", "bank__code", "bank__name")


def bank_statistics(user: User, start: dt.date, end: dt.date) -> list[list[Any]]:
    loans = Loan.objects.visible_to(user)
    rows: dict[tuple[str, str, str], list[Any]] = defaultdict(
        lambda: [0, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO]
    )

    def key(values: dict[str, Any], prefix: str = "") -> tuple[str, str, str]:
        return (
            values[f"{prefix}program_version__program__name"],
            values[f"{prefix}bank__code"],
            values[f"{prefix}bank__name"],
        )

    for r in (
        loans.filter(disbursement_date__range=(start, end))
        .order_by()
        .values("program_version__program__name", "bank__code", "bank__name")
        .annotate(n=Count("id"), principal=MoneySum("principal"))
    ):
        rows[key(r)][0] = r["n"]
        rows[key(r)][1] = r["principal"]
    for r in (
        Repayment.objects.filter(loan__in=loans, repaid_on__range=(start, end))
        .order_by()
        .values("loan__program_version__program__name", "loan__bank__code", "loan__bank__name")
        .annotate(s=MoneySum("principal"))
    ):
        rows[key(r, "loan__")][2] = r["s"]
    for r in (
        InterestSettlement.objects.filter(loan__in=loans, settled_on__range=(start, end))
        .order_by()
        .values("loan__program_version__program__name", "loan__bank__code", "loan__bank__name")
        .annotate(
            s=MoneySum("amount"), overdue=MoneySum("amount", filter=Q(is_overdue_interest=True))
        )
    ):
        rows[key(r, "loan__")][3] = r["s"]
        rows[key(r, "loan__")][4] = r["overdue"] or ZERO
    live = loans.filter(disbursement_date__lte=end)
    repaid = dict(
        Repayment.objects.filter(loan__in=live, repaid_on__lte=end)
        .order_by()
        .values_list("loan")
        .annotate(s=MoneySum("principal"))
    )
    open_events: dict[int, list[OverdueEvent]] = defaultdict(list)
    for event in OverdueEvent.objects.filter(loan__in=live, started_on__lte=end).filter(
        Q(cleared_on__isnull=True) | Q(cleared_on__gt=end)
    ):
        open_events[event.loan_id].append(event)
    for r in (
        live.order_by()
        .values("program_version__program__name", "bank__code", "bank__name")
        .annotate(principal=MoneySum("principal"))
    ):
        rows[key(r)][5] += r["principal"]
    for pk, principal, maturity, *k in live.values_list(
        "pk",
        "principal",
        "maturity_date",
        "program_version__program__name",
        "bank__code",
        "bank__name",
    ).filter(Q(pk__in=list(repaid) + list(open_events)) | Q(maturity_date__lt=end)):
        row = rows[tuple(k)]
        outstanding = principal - repaid.get(pk, ZERO)
        row[5] -= repaid.get(pk, ZERO)
        if outstanding <= 0:
            continue
        spans: list[Any] = list(open_events.get(pk, []))
        if maturity < end:
            # past maturity with principal outstanding: all of it is overdue, since the day after
            spans.append(Span(maturity + dt.timedelta(days=1), None, True))
            row[6] += outstanding
        elif spans:
            row[6] += min(sum((e.overdue_principal for e in spans), ZERO), outstanding)
        if spans and days_past_due(spans, end) > 90:
            row[7] += outstanding
    return [[*k, *v] for k, v in sorted(rows.items())]


# --- The March audit (Quzhou 四): loans of year Y, their interest and subsidy, per bank and per enterprise ----------

ANNUAL_BANK_COLUMNS = [
    Column("项目", 24),
    Column("银行代码", 16, "code"),
    Column("银行名称", 28),
    Column("放款笔数", 10, "int"),
    Column("放款金额（元）", 18, "money", total=True),
    Column("已结算利息（元）", 18, "money", total=True),
    Column("其中逾期期间利息（元）", 20, "money", total=True),
    Column("贴息金额（元）", 16, "money", total=True),
    Column("利息统计截止日", 14, "date"),
]
ANNUAL_ENTERPRISE_COLUMNS = [
    Column("项目", 24),
    Column("统一社会信用代码", 22),
    Column("企业名称", 32),
    Column("贷款银行", 28),
    Column("放款笔数", 10, "int"),
    Column("放款金额（元）", 18, "money", total=True),
    Column("已结算利息（元）", 18, "money", total=True),
    Column("其中逾期期间利息（元）", 20, "money", total=True),
    Column("贴息金额（元）", 16, "money", total=True),
    Column("利息统计截止日", 14, "date"),
]


def annual_cutoff(program_id: int, year: int) -> dt.date:
    """The settlement cutoff of the year's live subsidy run, else 31 December of the year (the run's default)."""
    from subsidy.models import RunState, SubsidyRun

    run = (
        SubsidyRun.objects.filter(program=program_id, year=year)
        .exclude(state=RunState.CANCELLED)
        .first()
    )
    return run.cutoff if run else dt.date(year, 12, 31)


def annual_statistics(user: User, year: int) -> tuple[list[list[Any]], list[list[Any]]]:
    """Loans disbursed in `year` (the user's scope), the interest settled on them up to the cutoff, and the subsidy
    of the year's live run, per program and bank, and per program and enterprise. Every figure a database sum."""
    from subsidy.models import RunState, SubsidyLine

    loans = Loan.objects.visible_to(user).filter(disbursement_date__year=year)
    groups: dict[str, dict[tuple[str, str, str], list[Any]]] = {"bank": {}, "enterprise": {}}
    fields = {
        "bank": ("bank__code", "bank__name"),
        "enterprise": ("enterprise__credit_code", "enterprise__name"),
    }
    lenders: dict[tuple[str, str], set[str]] = defaultdict(set)
    programs = set(
        loans.order_by().values_list("program_version__program", "program_version__program__name")
    )
    for program_id, program_name in sorted(programs, key=lambda p: p[1]):
        cutoff = annual_cutoff(program_id, year)
        mine = loans.filter(program_version__program=program_id)
        interest = InterestSettlement.objects.filter(loan__in=mine, settled_on__lte=cutoff)
        subsidy = SubsidyLine.objects.filter(
            loan__in=mine, run__program=program_id, run__year=year
        ).exclude(run__state=RunState.CANCELLED)
        for group, (code, name) in fields.items():
            rows = groups[group]
            for r in (
                mine.order_by()
                .values(code, name)
                .annotate(n=Count("id"), principal=MoneySum("principal"))
            ):
                rows[(program_name, r[code], r[name])] = [
                    r["n"],
                    r["principal"],
                    ZERO,
                    ZERO,
                    ZERO,
                    cutoff,
                ]
            by_loan = (f"loan__{code}", f"loan__{name}")
            for r in (
                interest.order_by()
                .values(*by_loan)
                .annotate(
                    s=MoneySum("amount"),
                    overdue=MoneySum("amount", filter=Q(is_overdue_interest=True)),
                )
            ):
                row = rows[(program_name, r[by_loan[0]], r[by_loan[1]])]
                row[2], row[3] = r["s"], r["overdue"] or ZERO
            for r in subsidy.order_by().values(*by_loan).annotate(s=MoneySum("amount")):
                rows[(program_name, r[by_loan[0]], r[by_loan[1]])][4] = r["s"]
        for credit_code, bank in mine.values_list("enterprise__credit_code", "bank__name"):
            lenders[(program_name, credit_code)].add(bank)
    bank_rows = [[*k, *v] for k, v in sorted(groups["bank"].items())]
    enterprise_rows = [
        [*k, "、".join(sorted(lenders[(k[0], k[1])])), *v]
        for k, v in sorted(groups["enterprise"].items())
    ]
    return bank_rows, enterprise_rows
