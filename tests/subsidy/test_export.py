"""The run's workbook: the summary sheet and a sheet per bank with its lines and its total (issue 7 §4)."""

from __future__ import annotations

import io
from decimal import Decimal as D

from django.urls import reverse
from openpyxl import load_workbook

from kedaitong.money import ZERO
from loans.models import Bank
from subsidy.export import sheet_name
from subsidy.services import run_commit

HEADERS = [
    "贷款合同编号",
    "银行代码",
    "企业名称",
    "方案版本",
    "放款日期",
    "放款金额（元）",
    "年利率（%）",
    "定价时LPR（%）",
    "已结算利息（元）",
    "逾期利息（元）",
    "计贴息利息（元）",
    "按比例计算贴息（元）",
    "贴息金额（元）",
]


def test_sheet_names_are_safe_for_excel():
    taken = {"贴息明细"}
    assert sheet_name("qz-a 衢州甲银行", taken) == "qz-a 衢州甲银行"
    assert sheet_name("a[b]c:d*e?f/g\\h", taken) == "a_b_c_d_e_f_g_h"
    long = sheet_name("x" * 40, taken)
    assert long == "x" * 31
    assert sheet_name("X" * 40, taken) == "X" * 29 + "~2"  # Excel compares names without case
    assert sheet_name("'quoted'", taken) == "quoted"
    assert sheet_name("贴息明细", taken) == "贴息明细~2"
    assert all(len(t) <= 31 for t in taken)


def test_the_export_has_a_sheet_per_bank_with_its_lines_and_total(client, qz):
    odd = Bank.objects.create(code="qz/c", name="衢州[丙]银行：科技*支行?（城南/城北）营业部联合体")
    qz.interest(qz.loan(contract="A-1"), "1000.00")
    qz.interest(qz.loan(contract="A-2"), "333.33")
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "2000.00")
    qz.interest(qz.loan(contract="C-1", bank=odd), "777.77")
    qz.loan(contract="A-9", rate="9.00")  # above the LPR: on 未予贴息 only
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")  # pro-rated
    client.force_login(qz.staff)
    response = client.get(reverse("subsidy:run-export", args=[run.pk]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    odd_sheet = "qz_c 衢州_丙_银行：科技_支行_（城南_城北）营业部联合"
    assert (
        wb.sheetnames
        == [
            "贴息明细",
            "按银行汇总",
            "未予贴息",
            "qz-a 衢州甲银行",
            "qz-b 衢州乙银行",
            odd_sheet,
            "逾期标记不一致",  # last: settlements whose overdue flag disagrees with the records (issue 16)
        ]
    )
    assert len(odd_sheet) == 31

    summary = {row[0]: row for row in wb["按银行汇总"].iter_rows(min_row=2, values_only=True)}
    grand = ZERO
    for bank, sheet in (
        (qz.bank_a, "qz-a 衢州甲银行"),
        (qz.bank_b, "qz-b 衢州乙银行"),
        (odd, odd_sheet),
    ):
        ws = wb[sheet]
        rows = list(ws.iter_rows(values_only=True))
        assert list(rows[0]) == HEADERS
        body, total = rows[1:-1], rows[-1]
        stored = list(run.lines.filter(bank=bank).order_by("contract_no"))
        assert [r[0] for r in body] == [x.contract_no for x in stored]
        assert all(r[1] == bank.code for r in body)
        for r in body:  # numbers are numbers, not text
            assert all(isinstance(v, int | float) for v in (r[5], r[6], r[7], r[8], r[10], r[12]))
        amount = HEADERS.index("贴息金额（元）")
        bank_total = sum((x.amount for x in stored), ZERO)
        assert total[0] == "合计" and D(str(total[amount])) == bank_total
        assert D(str(summary[bank.code][-1])) == bank_total
        assert D(str(total[HEADERS.index("计贴息利息（元）")])) == sum(
            (x.eligible_interest for x in stored), ZERO
        )
        grand += D(str(total[amount]))
    assert grand == run.total == D("1000.00")
    assert D(str(summary["合计"][-1])) == run.total
    assert [r[0] for r in wb["未予贴息"].iter_rows(min_row=2, values_only=True)] == ["A-9"]
