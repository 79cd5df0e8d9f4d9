"""Overdue-period interest is excluded by the portal, whatever the bank's flag says (issue 16 item 2).

Quzhou 四(一): 逾期贷款在逾期期间产生的利息不予贴息. Found: only rows the bank flagged
是否逾期利息=是 were left out; a loan overdue since 2024-07-01 with a normal-flagged
row for 09-20 to 12-19 was subsidized.

The rule (`subsidy.calculation.overdue_part`): the part of a settlement whose period
lies in the loan's overdue periods — the bank's overdue records, and the time past
maturity with principal outstanding — is not subsidized, counted by days:
excluded = amount × overdue days ÷ days of the period, rounded half-up to the fen.
Every disagreement between the flag and the records is listed on the run.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from loans.models import InterestSettlement, OverdueEvent, Repayment
from subsidy.calculation import overdue_days, overdue_part
from subsidy.guards import InputFrozen
from subsidy.services import run_audit, run_commit, run_recompute
from tests.factories import LoanFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
d = dt.date


def settle(loan, start, end, amount, overdue=False):  # type: ignore[no-untyped-def]
    return InterestSettlement.objects.create(
        loan=loan,
        settled_on=end + dt.timedelta(days=1),
        period_start=start,
        period_end=end,
        amount=D(amount),
        is_overdue_interest=overdue,
    )


@pytest.fixture
def year(qz):
    """Four Quzhou loans of 2025, 1,000,000 at 3.00% unless said (cutoff 2025-12-31)."""
    a = qz.loan(contract="A-1", disbursed=d(2025, 3, 1))
    settle(a, d(2025, 3, 1), d(2025, 6, 20), "9000.00")
    OverdueEvent.objects.create(
        loan=a,
        started_on=d(2025, 7, 1),
        cleared_on=d(2025, 8, 15),
        overdue_principal=D("100000.00"),
    )
    settle(a, d(2025, 6, 21), d(2025, 9, 20), "7666.67")  # flagged normal, 45 of 92 days overdue
    settle(a, d(2025, 7, 1), d(2025, 8, 14), "500.00", overdue=True)  # penalty interest: agrees
    settle(a, d(2025, 9, 21), d(2025, 12, 20), "7583.33")

    # the case: overdue (the bank's record) before the whole of a normal-flagged period
    b = qz.loan(contract="B-1", disbursed=d(2025, 2, 1))
    OverdueEvent.objects.create(loan=b, started_on=d(2025, 7, 1), overdue_principal=D("1"))
    settle(b, d(2025, 9, 20), d(2025, 12, 19), "1000.00")

    # past maturity unpaid, with nothing reported by the bank: 500,000 due 2025-07-01,
    # 200,000 repaid on time, 300,000 on 2025-08-31: overdue 2025-07-02 until 2025-08-31
    c = LoanFactory(
        program_version=qz.v2023,
        bank=qz.bank_b,
        contract_no="C-1",
        disbursement_date=d(2025, 1, 2),
        maturity_date=d(2025, 7, 1),
        principal=D("500000.00"),
        annual_rate=D("3.0000"),
        lpr_at_pricing=D("3.1000"),
    )
    Repayment.objects.create(loan=c, repaid_on=d(2025, 7, 1), principal=D("200000.00"))
    Repayment.objects.create(loan=c, repaid_on=d(2025, 8, 31), principal=D("300000.00"))
    settle(c, d(2025, 1, 2), d(2025, 6, 20), "6000.00")
    settle(c, d(2025, 6, 21), d(2025, 8, 31), "1800.00")  # 60 of its 72 days overdue

    # flagged overdue without any overdue period
    e = qz.loan(contract="D-1", disbursed=d(2025, 3, 1))
    settle(e, d(2025, 3, 1), d(2025, 6, 20), "3000.00")
    settle(e, d(2025, 4, 1), d(2025, 4, 30), "100.00", overdue=True)
    return {"A-1": a, "B-1": b, "C-1": c, "D-1": e}


def test_the_days_and_the_rounding_of_the_rule():
    class P:
        def __init__(self, s, c):  # type: ignore[no-untyped-def]
            self.started_on, self.cleared_on = s, c

    # 2025-06-21 .. 09-20 is 92 days; overdue 07-01 until cleared 08-15: 31 + 14 = 45 days
    assert overdue_days(d(2025, 6, 21), d(2025, 9, 20), [P(d(2025, 7, 1), d(2025, 8, 15))]) == 45
    # overlapping records count each day once
    two = [P(d(2025, 7, 1), d(2025, 8, 15)), P(d(2025, 8, 1), None)]
    assert overdue_days(d(2025, 6, 21), d(2025, 9, 20), two) == 31 + 31 + 20
    # 7,666.67 × 45 ÷ 92 = 3,750.0016… → 3,750.00 (half-up)
    part = overdue_part(
        D("7666.67"), d(2025, 6, 21), d(2025, 9, 20), [P(d(2025, 7, 1), d(2025, 8, 15))]
    )
    assert (part.overdue_days, part.period_days, part.excluded) == (45, 92, D("3750.00"))
    # 100.00 × 1 ÷ 3 = 33.333… → 33.33; 200.00 × 1 ÷ 3 = 66.666… → 66.67
    assert overdue_part(
        D("100.00"), d(2025, 1, 1), d(2025, 1, 3), [P(d(2025, 1, 3), None)]
    ).excluded == D("33.33")
    assert overdue_part(
        D("200.00"), d(2025, 1, 1), d(2025, 1, 3), [P(d(2025, 1, 3), None)]
    ).excluded == D("66.67")


def test_the_run_leaves_out_overdue_periods_and_lists_every_disagreement(qz, year):
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000000")
    lines = {x.contract_no: x for x in run.lines.all()}
    # 9,000.00 + (7,666.67 − 3,750.00) + 7,583.33 = 20,500.00; overdue 3,750.00 + 500.00
    a = lines["A-1"]
    assert (a.settled_interest, a.overdue_interest, a.eligible_interest) == (
        D("20500.00"),
        D("4250.00"),
        D("20500.00"),
    )
    assert a.computed == D("6150.00")  # 30% of 20,500.00
    # C-1: 6,000.00 + 1,800.00 × 12 ÷ 72 (= 300.00) = 6,300.00; 30% = 1,890.00
    assert (lines["C-1"].eligible_interest, lines["C-1"].overdue_interest) == (
        D("6300.00"),
        D("1500.00"),
    )
    assert lines["C-1"].computed == D("1890.00")
    assert lines["D-1"].computed == D("900.00")  # 30% of 3,000.00; the flagged 100.00 left out
    # B-1: its only interest lies wholly in the overdue period: not subsidized at all
    [b] = run.exclusions.all()
    assert (b.contract_no, b.reason) == ("B-1", "only_overdue_interest")
    assert run.total == D("8940.00")  # 6,150.00 + 1,890.00 + 900.00
    found = [
        (
            m.contract_no,
            m.period_start,
            m.flagged_overdue,
            m.overdue_days,
            m.period_days,
            m.excluded,
        )
        for m in run.mismatches.all()
    ]
    assert found == [
        ("A-1", d(2025, 6, 21), False, 45, 92, D("3750.00")),
        ("B-1", d(2025, 9, 20), False, 91, 91, D("1000.00")),
        ("D-1", d(2025, 4, 1), True, 0, 30, D("100.00")),
        ("C-1", d(2025, 6, 21), False, 60, 72, D("1500.00")),
    ]  # by bank code (qz-a, then qz-b), contract, period
    assert [(x.contract_no, x.eligible_interest) for x in run_recompute(run).lines] == [
        (x.contract_no, x.eligible_interest) for x in run.lines.all()
    ]


def test_the_run_page_and_its_export_list_the_disagreements(qz, year):
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000000")
    client = Client()
    client.force_login(qz.staff)
    page = client.get(f"/subsidy/runs/{run.pk}/").content.decode()
    assert 'id="flag-mismatches"' in page and page.count("部分不予贴息") == 3
    assert "3,750.00" in page and "2025-06-21 – 2025-09-20" in page
    response = client.get(f"/subsidy/runs/{run.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content))["逾期标记不一致"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert [r[0] for r in rows[:4]] == ["A-1", "B-1", "D-1", "C-1"]
    assert rows[0][6:10] == ["否", 45, 92, 3750]
    assert rows[2][6] == "是" and "没有逾期记录" in rows[2][10]
    assert rows[-1][0] == "合计" and rows[-1][9] == 3750 + 1000 + 100 + 1500
    # the preview shows the same before anything is saved
    preview = client.get("/subsidy/runs/", {"year": "2026", "budget": "1000"})
    assert preview.status_code == 200


def test_after_the_audit_the_repayments_and_overdue_records_it_read_are_frozen(qz, year):
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000000")
    run_audit(actor=qz.auditor, run=run, opinion=SimpleUploadedFile("o.pdf", PDF))
    with pytest.raises(InputFrozen, match="还款"):
        Repayment.objects.create(loan=year["C-1"], repaid_on=d(2025, 8, 1), principal=D("1.00"))
    event = OverdueEvent.objects.get(loan=year["B-1"])
    event.cleared_on = d(2025, 10, 1)
    with pytest.raises(InputFrozen, match="逾期记录"):
        event.save()
    event.cleared_on = d(2026, 1, 10)  # cleared after the cutoff: nothing the run counted changes
    event.save()
    assert run_recompute(run).total == run.total
