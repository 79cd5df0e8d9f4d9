"""The March audit's statistics (Quzhou 四): year Y's loans, interest and subsidy per bank and per enterprise."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from loans.models import InterestSettlement, Loan
from subsidy.models import SubsidyLine
from subsidy.services import run_commit
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(qz):
    one = EnterpriseFactory(name="衢州一号科技有限公司")
    two = EnterpriseFactory(name="衢州二号科技有限公司")
    a1 = qz.loan(contract="A-1", enterprise=one)
    b1 = qz.loan(contract="B-1", bank=qz.bank_b, enterprise=one, disbursed=dt.date(2025, 6, 1))
    b2 = qz.loan(contract="B-2", bank=qz.bank_b, enterprise=two, disbursed=dt.date(2025, 9, 1))
    qz.loan(contract="OLD", enterprise=two, disbursed=dt.date(2024, 12, 31))  # not of the year
    qz.interest(a1, "100.00")
    qz.interest(a1, "40.00", settled=dt.date(2025, 9, 21), overdue=True)
    qz.interest(b1, "233.33", settled=dt.date(2025, 12, 21))
    qz.interest(b2, "50.00", settled=dt.date(2026, 3, 10))  # before the run's cutoff
    qz.interest(b2, "999.00", settled=dt.date(2026, 4, 1))  # after it
    run = run_commit(
        actor=qz.staff, program=qz.program, year=2025, budget="1000", cutoff=dt.date(2026, 3, 15)
    )
    return qz, run, one, two


def db(qs, field):
    """The exact sum of the stored values (Python Decimals: SQLite's SUM adds binary floats)."""
    return sum((v for v in qs.values_list(field, flat=True) if v is not None), Decimal("0.00"))


def workbook(client, user, year_: str):
    client.force_login(user)
    response = client.post("/reports/statistics/annual/", {"year": year_})
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="annual-statistics-{year_}.xlsx"'
    )
    return load_workbook(io.BytesIO(response.content))


def by_header(ws):
    headers = [c.value for c in ws[1]]
    rows = [
        dict(zip(headers, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)
    ]
    return rows[:-1], rows[-1]


def test_per_bank_and_per_enterprise_figures_equal_the_database(client, year):
    q, run, one, two = year
    wb = workbook(client, q.auditor, "2025")
    assert wb.sheetnames == ["2025年分银行", "2025年分企业"]
    loans = Loan.objects.filter(program_version__program=q.program, disbursement_date__year=2025)
    interest = InterestSettlement.objects.filter(
        loan__in=loans, settled_on__lte=dt.date(2026, 3, 15)
    )
    banks, total = by_header(wb["2025年分银行"])
    assert [r["银行代码"] for r in banks] == ["qz-a", "qz-b"]
    for row in banks:
        mine = loans.filter(bank__code=row["银行代码"])
        assert row["放款笔数"] == mine.count()
        assert Decimal(str(row["放款金额（元）"])) == db(mine, "principal")
        assert Decimal(str(row["已结算利息（元）"])) == db(interest.filter(loan__in=mine), "amount")
        assert Decimal(str(row["其中逾期期间利息（元）"])) == db(
            interest.filter(loan__in=mine, is_overdue_interest=True), "amount"
        )
        assert Decimal(str(row["贴息金额（元）"])) == db(
            SubsidyLine.objects.filter(run=run, loan__in=mine), "amount"
        )
        assert row["利息统计截止日"] == dt.datetime(2026, 3, 15)
    assert total["项目"] == "合计"
    assert Decimal(str(total["放款金额（元）"])) == db(loans, "principal") == Decimal("3000000.00")
    assert Decimal(str(total["已结算利息（元）"])) == Decimal(
        "423.33"
    )  # the 999.00 after the cutoff is left out
    assert Decimal(str(total["贴息金额（元）"])) == run.total
    enterprises, total = by_header(wb["2025年分企业"])
    rows = {r["企业名称"]: r for r in enterprises}
    assert set(rows) == {one.name, two.name}
    assert (
        rows[one.name]["贷款银行"] == "衢州乙银行、衢州甲银行" and rows[one.name]["放款笔数"] == 2
    )
    assert Decimal(str(rows[one.name]["已结算利息（元）"])) == Decimal("373.33")
    assert Decimal(str(rows[two.name]["已结算利息（元）"])) == Decimal("50.00")
    for name, enterprise in ((one.name, one), (two.name, two)):
        lines = SubsidyLine.objects.filter(run=run, loan__enterprise=enterprise)
        assert Decimal(str(rows[name]["贴息金额（元）"])) == db(lines, "amount")
        assert rows[name]["统一社会信用代码"] == enterprise.credit_code
    assert Decimal(str(total["贴息金额（元）"])) == run.total
    assert Decimal(str(total["放款金额（元）"])) == Decimal("3000000.00")


def test_a_bank_gets_only_its_own_rows_and_the_page_shows_the_tables(client, year):
    q, run, one, _two = year
    wb = workbook(client, q.bank_user, "2025")
    banks, total = by_header(wb["2025年分银行"])
    assert [r["银行代码"] for r in banks] == ["qz-a"]
    enterprises, _ = by_header(wb["2025年分企业"])
    assert [r["企业名称"] for r in enterprises] == [one.name]
    assert Decimal(str(total["贴息金额（元）"])) == db(
        SubsidyLine.objects.filter(run=run, bank=q.bank_a), "amount"
    )
    page = client.get("/reports/statistics/annual/", {"year": "2025"})
    body = page.content.decode()
    assert page.status_code == 200 and 'id="annual-banks"' in body and "衢州乙银行" not in body


def test_another_year_and_bad_input(client, year):
    q, *_ = year
    banks, total = by_header(workbook(client, q.staff, "2024")["2024年分银行"])
    assert [r["银行代码"] for r in banks] == ["qz-a"] and total["贴息金额（元）"] == 0
    assert banks[0]["利息统计截止日"] == dt.datetime(
        2024, 12, 31
    )  # no run for 2024: the year's end
    client.force_login(q.staff)
    bad = client.get("/reports/statistics/annual/", {"year": "19"})
    assert bad.status_code == 400 and "2000" in bad.content.decode()
