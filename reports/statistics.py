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
from loans.delinquency import days_past_due
from loans.models import InterestSettlement, Loan, OverdueEvent, Repayment

ZERO = Decimal("0.00")
COLUMNS = [
    Column("项目", 24), Column("银行代码", 16), Column("银行名称", 28),
    Column("期内放款笔数", 12, "int", total=False), Column("期内放款金额（元）", 18, "money", total=True),
    Column("期内收回本金（元）", 18, "money", total=True), Column("期内结算利息（元）", 18, "money", total=True),
    Column("其中逾期期间利息（元）", 18, "money", total=True), Column("期末贷款余额（元）", 18, "money", total=True),
    Column("期末逾期本金（元）", 18, "money", total=True), Column("期末不良贷款余额（元）", 18, "money", total=True),
]
KEYS = ("program__name", "bank__code", "bank__name")


def bank_statistics(user: User, start: dt.date, end: dt.date) -> list[list[Any]]:
    loans = Loan.objects.visible_to(user)
    rows: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO])

    def key(values: dict[str, Any], prefix: str = "") -> tuple[str, str, str]:
        return (values[f"{prefix}program_version__program__name"], values[f"{prefix}bank__code"], values[f"{prefix}bank__name"])

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
        .annotate(s=MoneySum("amount"), overdue=MoneySum("amount", filter=Q(is_overdue_interest=True)))
    ):
        rows[key(r, "loan__")][3] = r["s"]
        rows[key(r, "loan__")][4] = r["overdue"] or ZERO
    live = loans.filter(disbursement_date__lte=end)
    repaid = dict(
        Repayment.objects.filter(loan__in=live, repaid_on__lte=end).order_by().values_list("loan").annotate(s=MoneySum("principal"))
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
    for pk, principal, *k in live.values_list(
        "pk", "principal", "program_version__program__name", "bank__code", "bank__name"
    ).filter(pk__in=list(repaid) + list(open_events)):
        row = rows[tuple(k)]  # type: ignore[index]
        outstanding = principal - repaid.get(pk, ZERO)
        row[5] -= repaid.get(pk, ZERO)
        if pk in open_events and outstanding > 0:
            row[6] += sum((e.overdue_principal for e in open_events[pk]), ZERO)
            if days_past_due(open_events[pk], end) > 90:
                row[7] += outstanding
    return [[*k, *v] for k, v in sorted(rows.items())]
