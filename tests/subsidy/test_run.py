"""Quzhou 四(一) run: eligibility of each loan's interest, every exclusion reason, pro-rating, the command, export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from subsidy.models import (
    FraudRecord,
    LPRRate,
    RunState,
    SubsidizedSettlement,
    SubsidyExclusion,
    SubsidyLine,
    SubsidyRun,
)
from subsidy.services import Reason, SubsidyInputError, compute_run, run_cancel, run_commit

D = Decimal


def reasons(result):
    return {x.contract_no: x.reason for x in result.exclusions}


def test_line_is_thirty_percent_of_settled_non_overdue_interest(qz):
    loan = qz.loan(contract="A-1")
    qz.interest(loan, "1000.05")
    qz.interest(loan, "500.00", settled=dt.date(2025, 9, 21))
    qz.interest(
        loan, "200.00", settled=dt.date(2025, 12, 21), overdue=True
    )  # 四(一): 逾期期间利息不予贴息
    qz.interest(loan, "999.00", settled=dt.date(2026, 1, 5))  # after the cutoff
    result = compute_run(program=qz.program, year=2025, budget="1000000")
    (line,) = result.lines
    assert line.settled_interest == D("1500.05")
    assert line.overdue_interest == D("200.00")
    assert line.computed == D("450.02")  # 450.015 half-up
    assert line.amount == D("450.02") and not result.scaled


def test_cutoff_moves_what_counts(qz):
    loan = qz.loan(contract="A-1")
    qz.interest(loan, "1000.00", settled=dt.date(2025, 6, 21))
    qz.interest(loan, "1000.00", settled=dt.date(2026, 2, 20))
    result = compute_run(program=qz.program, year=2025, budget="1000000", cutoff="2026-03-01")
    assert result.lines[0].eligible_interest == D("2000.00")


def test_rate_at_the_lpr_passes_above_it_fails(qz):
    at = qz.loan(contract="A-1", rate="3.1000", lpr="3.1000")
    above = qz.loan(contract="A-2", rate="3.1001", lpr="3.1000")
    qz.interest(at, "100.00")
    qz.interest(above, "100.00")
    result = compute_run(program=qz.program, year=2025, budget="1000000")
    assert [x.contract_no for x in result.lines] == ["A-1"]
    assert reasons(result) == {"A-2": Reason.ABOVE_LPR}


def test_missing_lpr_at_pricing_is_looked_up(qz):
    # 2025-03-01: 1-year LPR 3.10 (2024-10-21); the 5-year tier does not apply to a one-year loan.
    ok = qz.loan(contract="A-1", rate="3.10", lpr=None)
    high = qz.loan(contract="A-2", rate="3.20", lpr=None)
    qz.interest(ok, "100.00")
    qz.interest(high, "100.00")
    result = compute_run(program=qz.program, year=2025, budget="1000000")
    assert result.lines[0].lpr == D("3.10")
    assert reasons(result) == {"A-2": Reason.ABOVE_LPR}


def test_lpr_gap_refuses_the_run_naming_the_date(qz):
    LPRRate.objects.filter(effective_date__lte=dt.date(2025, 3, 1)).delete()
    qz.interest(qz.loan(contract="A-1", lpr=None), "100.00")
    with pytest.raises(SubsidyInputError, match="2025-03-01"):
        compute_run(program=qz.program, year=2025, budget="1000000")


def test_every_exclusion_reason_is_listed(qz, enterprise):
    old = qz.loan(
        contract="O-1", version=qz.v2020
    )  # 七(二): the 2020 plan's loan keeps its version
    qz.interest(old, "100.00")
    only_overdue = qz.loan(contract="V-1")
    qz.interest(only_overdue, "100.00", overdue=True)
    qz.loan(contract="N-1")
    tiny = qz.loan(contract="T-1")
    qz.interest(tiny, "0.01")
    fraud_ent = qz.loan(contract="F-1", enterprise=enterprise)
    qz.interest(fraud_ent, "100.00")
    FraudRecord.objects.create(
        program=qz.program,
        enterprise=enterprise,
        found_on=dt.date(2025, 5, 1),
        description="虚报",
        evidence="x.pdf",
        recorded_by=qz.staff,
    )
    fraud_bank = qz.loan(contract="F-2", bank=qz.bank_b)
    qz.interest(fraud_bank, "100.00")
    FraudRecord.objects.create(
        program=qz.program,
        bank=qz.bank_b,
        found_on=dt.date(2025, 5, 1),
        description="虚报",
        evidence="x.pdf",
        recorded_by=qz.staff,
    )
    good = qz.loan(contract="G-1")
    qz.interest(good, "100.00")
    result = compute_run(program=qz.program, year=2025, budget="1000000")
    assert [x.contract_no for x in result.lines] == ["G-1"]
    assert reasons(result) == {
        "O-1": Reason.OLD_PLAN,
        "V-1": Reason.ONLY_OVERDUE,
        "N-1": Reason.NO_INTEREST,
        "T-1": Reason.BELOW_ONE_FEN,
        "F-1": Reason.FRAUD_ENTERPRISE,
        "F-2": Reason.FRAUD_BANK,
    }
    assert "2020" in next(x.detail for x in result.exclusions if x.contract_no == "O-1")


def test_terminated_agreement_after_complaint_excludes_the_banks_loans(qz):
    from subsidy.models import Complaint

    agreement = qz.bank_b.agreements.get(program=qz.program)
    Complaint.objects.create(
        agreement=agreement,
        received_on=dt.date(2025, 8, 1),
        complainant="某企业",
        description="收取顾问费",
        evidence="x.pdf",
        recorded_by=qz.staff,
    )
    agreement.status = agreement.Status.TERMINATED
    agreement.save()
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "100.00")
    result = compute_run(program=qz.program, year=2025, budget="1000000")
    assert reasons(result) == {"B-1": Reason.AGREEMENT_TERMINATED}


def test_interest_subsidized_by_a_live_run_is_not_subsidized_again(qz):
    loan = qz.loan(contract="A-1")
    qz.interest(loan, "100.00")
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000000")
    assert SubsidizedSettlement.objects.filter(run=run).count() == 1
    # Only a later run for another year could see it again; simulate by computing the same year.
    result = compute_run(program=qz.program, year=2025, budget="1000000")
    assert reasons(result) == {"A-1": Reason.ALREADY_SUBSIDIZED}
    run_cancel(actor=qz.head, run=run)
    result = compute_run(program=qz.program, year=2025, budget="1000000")
    assert [x.contract_no for x in result.lines] == ["A-1"]


def test_loans_of_other_years_and_programs_are_not_in_the_run(qz):
    qz.interest(qz.loan(contract="Y-1", disbursed=dt.date(2024, 12, 31)), "100.00")
    qz.interest(qz.loan(contract="Y-2", disbursed=dt.date(2025, 1, 1)), "100.00")
    result = compute_run(program=qz.program, year=2025, budget="1000000")
    assert [x.contract_no for x in result.lines] == ["Y-2"]


def test_over_budget_is_pro_rated_to_the_budget_exactly(qz):
    for i, bank in enumerate([qz.bank_a, qz.bank_b, qz.bank_a]):
        qz.interest(qz.loan(contract=f"C-{i}", bank=bank), "100.00")  # 30.00 each
    result = compute_run(program=qz.program, year=2025, budget="50.00")
    assert result.scaled and result.computed_total == D("90.00")
    # 16.666… each; 2 fens left → qz-a C-0, qz-a C-2 (ties by bank code, contract).
    assert {(x.bank_code, x.contract_no): x.amount for x in result.lines} == {
        ("qz-a", "C-0"): D("16.67"),
        ("qz-a", "C-2"): D("16.67"),
        ("qz-b", "C-1"): D("16.66"),
    }
    assert result.total == D("50.00")
    assert [(t.bank_code, t.amount) for t in result.bank_totals()] == [
        ("qz-a", D("33.34")),
        ("qz-b", D("16.66")),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"year": 2025, "budget": "0"}, "大于零"),
        ({"year": 2025, "budget": "-5"}, "大于零"),
        ({"year": 2025, "budget": ""}, "预算"),
        ({"year": "abc", "budget": "100"}, "年度"),
        ({"year": 2025, "budget": "100", "cutoff": "2024-12-31"}, "早于2025年1月1日"),
        ({"year": 2019, "budget": "100"}, "没有"),
    ],
)
def test_bad_input_is_refused_in_chinese(qz, kwargs, message):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    with pytest.raises(SubsidyInputError, match=message):
        compute_run(program=qz.program, **kwargs)


def test_commit_stores_frozen_lines_and_refuses_a_second_live_run(qz):
    loan = qz.loan(contract="A-1")
    qz.interest(loan, "100.00")
    qz.loan(contract="A-2")
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000000")
    assert run.state == RunState.COMPUTED
    assert SubsidyLine.objects.get(run=run).amount == D("30.00")
    assert SubsidyExclusion.objects.get(run=run).reason == Reason.NO_INTEREST
    with pytest.raises(SubsidyInputError, match="未撤销"):
        run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000000")
    run_cancel(actor=qz.head, run=run)
    second = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000000")
    assert second.lines.get().amount == D("30.00")


def test_database_refuses_two_live_runs_for_a_year(qz):
    from django.db import IntegrityError, transaction

    kw = {
        "program": qz.program,
        "year": 2025,
        "budget": D("1"),
        "cutoff": dt.date(2025, 12, 31),
        "computed_total": 0,
        "total": 0,
    }
    SubsidyRun.objects.create(**kw)
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyRun.objects.create(**kw)


def test_command_dry_run_exports_and_saves_nothing(qz, tmp_path):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "200.00")
    qz.loan(contract="A-9", rate="9.00")
    target = tmp_path / "run.xlsx"
    call_command(
        "subsidy_run",
        "--program",
        "quzhou",
        "--year",
        "2025",
        "--budget",
        "60",
        "--export",
        str(target),
    )
    assert not SubsidyRun.objects.exists()
    wb = load_workbook(target)
    assert wb.sheetnames == [
        "贴息明细",
        "按银行汇总",
        "未予贴息",
        "qz-a 衢州甲银行",
        "qz-b 衢州乙银行",
        "逾期标记不一致",
    ]
    header = [c.value for c in wb["贴息明细"][1]]
    for name in [
        "贷款合同编号",
        "银行代码",
        "企业名称",
        "放款日期",
        "放款金额（元）",
        "年利率（%）",
        "定价时LPR（%）",
        "已结算利息（元）",
        "逾期利息（元）",
        "计贴息利息（元）",
        "贴息金额（元）",
    ]:
        assert name in header
    amounts = {
        row[0].value: row[header.index("贴息金额（元）")].value
        for row in wb["贴息明细"].iter_rows(min_row=2)
    }
    assert amounts["A-1"] == 20 and amounts["B-1"] == 40 and amounts["合计"] == 60
    banks = [[c.value for c in row] for row in wb["按银行汇总"].iter_rows(min_row=2)]
    assert banks[0][0] == "qz-a" and banks[0][-1] == 20
    assert wb["未予贴息"]["A2"].value == "A-9"


def test_command_commit_saves_the_run(qz):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    call_command("subsidy_run", "--program=quzhou", "--year=2025", "--budget=1000", "--commit")
    run = SubsidyRun.objects.get()
    assert run.total == D("30.00") and run.created_by is None
    with pytest.raises(CommandError, match="未撤销"):
        call_command("subsidy_run", "--program=quzhou", "--year=2025", "--budget=1000", "--commit")


@pytest.mark.parametrize(
    "args",
    [
        ["--budget=0"],
        ["--budget=-1"],
        ["--budget=100", "--cutoff=2024-06-30"],
        ["--budget=100", "--year="],
    ],
)
def test_command_bad_input_exits_non_zero_and_saves_nothing(qz, args):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    base = ["subsidy_run", "--program=quzhou", "--commit"]
    if not any(a.startswith("--year") for a in args):
        base.append("--year=2025")
    with pytest.raises(CommandError):
        call_command(*base, *args)
    assert not SubsidyRun.objects.exists()


def test_command_refuses_changjiang(qz):
    with pytest.raises(CommandError, match="贴息"):
        call_command("subsidy_run", "--program=changjiang", "--year=2025", "--budget=1")


def test_a_year_where_every_loan_is_excluded_is_not_committed(qz):
    qz.interest(qz.loan(contract="A-1", rate="9.00"), "100.00")
    assert compute_run(program=qz.program, year=2025, budget="100").lines == []
    with pytest.raises(SubsidyInputError, match="没有可贴息"):
        run_commit(actor=qz.staff, program=qz.program, year=2025, budget="100")
    assert not SubsidyRun.objects.exists()
