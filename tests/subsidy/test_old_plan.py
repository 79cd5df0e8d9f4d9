"""Quzhou 七(二): a loan of the 2020 plan is computed with every subsidy parameter of its own version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from applications.models import ProgramVersion
from loans.models import Loan
from subsidy.services import Reason, compute_run, run_commit


def old_loans(qz):
    # 2023-03-01: LPR 1-year 3.65 %, 5-year 4.30 % (2022-08-22, unchanged to 2023-06-20)
    long = qz.loan(
        contract="O-1", version=qz.v2020, disbursed=dt.date(2023, 3, 1), rate="4.00", lpr=None
    )
    Loan.objects.filter(pk=long.pk).update(maturity_date=dt.date(2025, 3, 1))  # 24 months
    qz.interest(long, "1000.00", settled=dt.date(2023, 6, 21))
    short = qz.loan(
        contract="O-2", version=qz.v2020, disbursed=dt.date(2023, 3, 1), rate="3.60", lpr=None
    )
    qz.interest(short, "333.33", settled=dt.date(2023, 6, 21))
    return long, short


def set_params(qz, **values):
    ProgramVersion.objects.filter(pk=qz.v2020.pk).update(**values)


def test_while_the_old_plans_parameters_are_blank_its_loans_are_listed_with_the_reason(qz):
    old_loans(qz)
    result = compute_run(program=qz.program, year=2023, budget="100000")
    assert result.lines == []
    assert {(x.contract_no, x.reason) for x in result.exclusions} == {
        ("O-1", Reason.OLD_PLAN),
        ("O-2", Reason.OLD_PLAN),
    }
    assert all(
        "2020年方案" in x.detail and "尚未由管理员按原文补录" in x.detail for x in result.exclusions
    )


def test_filled_in_parameters_give_the_old_plans_share_and_cap_rule(qz):
    old_loans(qz)
    # no LPR cap in the old plan: the 4.00 % loan is subsidized at the plan's own share
    set_params(qz, subsidy_share=D("0.2000"), rate_capped_by_lpr=False)
    result = compute_run(program=qz.program, year=2023, budget="100000")
    assert [
        (x.contract_no, x.share, x.lpr, x.eligible_interest, x.amount) for x in result.lines
    ] == [
        ("O-1", D("0.2000"), D("3.6500"), D("1000.00"), D("200.00")),
        ("O-2", D("0.2000"), D("3.6500"), D("333.33"), D("66.67")),
    ]
    assert all(x.version_code == "2020" for x in result.lines)
    # capped at the LPR: over 3.65 % is not subsidized
    set_params(qz, rate_capped_by_lpr=True)
    result = compute_run(program=qz.program, year=2023, budget="100000")
    assert [x.contract_no for x in result.lines] == ["O-2"]
    assert [(x.contract_no, x.reason) for x in result.exclusions] == [("O-1", Reason.ABOVE_LPR)]
    # the version's own tier: terms above 12 months use the 5-year LPR (4.30 %), so 4.00 % passes
    set_params(qz, lpr_long_tier_above_months=12)
    run = run_commit(actor=qz.staff, program=qz.program, year=2023, budget="100000")
    assert [(x.contract_no, x.lpr, x.amount) for x in run.lines.all()] == [
        ("O-1", D("4.3000"), D("200.00")),
        ("O-2", D("3.6500"), D("66.67")),
    ]
