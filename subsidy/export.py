"""The run as a workbook (headers in Chinese, as filed).

Sheets: 贴息明细 (every line), 按银行汇总 (a row per bank), 未予贴息 (loans not
subsidized, with the reason), then one sheet per bank with its lines and its
total (named by bank code and name, made safe for Excel).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import IO, Any

from kedaitong.excel import Column, new_workbook, save, write_sheet

DETAIL = [
    Column("贷款合同编号", 22),
    Column("银行代码", 14),
    Column("企业名称", 30),
    Column("方案版本", 10),
    Column("放款日期", 12, "date"),
    Column("放款金额（元）", 16, "money", total=True),
    Column("年利率（%）", 12, "percent"),
    Column("定价时LPR（%）", 14, "percent"),
    Column("已结算利息（元）", 16, "money", total=True),
    Column("逾期利息（元）", 14, "money", total=True),
    Column("计贴息利息（元）", 16, "money", total=True),
    Column("按比例计算贴息（元）", 18, "money", total=True),
    Column("贴息金额（元）", 16, "money", total=True),
]
BANKS = [
    Column("银行代码", 14),
    Column("银行名称", 30),
    Column("贷款笔数", 10, "int"),
    Column("计贴息利息（元）", 18, "money", total=True),
    Column("按比例计算贴息（元）", 18, "money", total=True),
    Column("贴息金额（元）", 16, "money", total=True),
]
EXCLUDED = [
    Column("贷款合同编号", 22),
    Column("银行代码", 14),
    Column("企业名称", 30),
    Column("原因", 60),
]


MISMATCHES = [
    Column("贷款合同编号", 22),
    Column("银行代码", 14),
    Column("结息日期", 12, "date"),
    Column("计息起始日", 12, "date"),
    Column("计息截止日", 12, "date"),
    Column("利息金额（元）", 16, "money", total=True),
    Column("是否逾期利息", 12),
    Column("逾期天数", 10, "int"),
    Column("计息天数", 10, "int"),
    Column("不予贴息（元）", 16, "money", total=True),
    Column("不一致之处", 60),
]
MISMATCH_SHEET = "逾期标记不一致"

FIXED_SHEETS = ("贴息明细", "按银行汇总", "未予贴息")
_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, taken: set[str]) -> str:
    """An Excel-safe sheet name: no []:*?/\\, no leading or trailing apostrophe, at most 31 characters, unique
    (Excel compares names case-insensitively); `taken` holds the names already used and gets this one."""
    name = _UNSAFE.sub("_", title).strip().strip("'").strip() or "银行"
    name = name[:31]
    candidate, n = name, 1
    while candidate.lower() in {t.lower() for t in taken} or candidate.lower() == "history":
        n += 1
        suffix = f"~{n}"
        candidate = name[: 31 - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def _detail_row(x: Any) -> tuple[Any, ...]:
    return (
        x.contract_no,
        x.bank_code,
        x.enterprise_name,
        x.version_code,
        x.disbursement_date,
        x.principal,
        x.annual_rate,
        x.lpr,
        x.settled_interest,
        x.overdue_interest,
        x.eligible_interest,
        x.computed,
        x.amount,
    )


def write_run(
    target: IO[bytes] | str,
    *,
    lines: Iterable[Any],
    totals: Iterable[Any],
    exclusions: Iterable[Any],
    mismatches: Iterable[Any] = (),
) -> None:
    """`lines`/`exclusions`/`mismatches`: computed (`services.Line`, …) or stored (`SubsidyLine`, …) rows;
    both have these attributes. The sheet of flag disagreements (四(一)) comes last."""
    wb = new_workbook()
    by_bank: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    detail = []
    for x in lines:
        row = _detail_row(x)
        detail.append(row)
        by_bank[x.bank_code].append(row)
    totals = list(totals)
    write_sheet(wb, FIXED_SHEETS[0], DETAIL, detail)
    write_sheet(
        wb,
        FIXED_SHEETS[1],
        BANKS,
        (
            (t.bank_code, t.bank_name, t.loans, t.eligible_interest, t.computed, t.amount)
            for t in totals
        ),
    )
    write_sheet(
        wb,
        FIXED_SHEETS[2],
        EXCLUDED,
        ((x.contract_no, x.bank_code, x.enterprise_name, x.detail) for x in exclusions),
    )
    taken = set(FIXED_SHEETS) | {MISMATCH_SHEET}
    for t in totals:  # ordered by bank code; a bank's sheet ends with its total (合计)
        write_sheet(
            wb,
            sheet_name(f"{t.bank_code} {t.bank_name}", taken),
            DETAIL,
            by_bank.get(t.bank_code, []),
        )
    write_sheet(wb, MISMATCH_SHEET, MISMATCHES, (_mismatch_row(m) for m in mismatches))
    save(wb, target)


def _mismatch_row(m: Any) -> tuple[Any, ...]:
    if m.flagged_overdue:
        why = "标为逾期利息，但计息期内没有逾期记录：按银行标记不予贴息，请核对逾期记录"
    else:
        why = (
            f"标为正常利息，但计息期{m.period_days}天中有{m.overdue_days}天在逾期期间："
            "该部分按天数不予贴息（四(一)）"
        )
    return (
        m.contract_no,
        m.bank_code,
        m.settled_on,
        m.period_start,
        m.period_end,
        m.amount,
        "是" if m.flagged_overdue else "否",
        m.overdue_days,
        m.period_days,
        m.excluded,
        why,
    )
