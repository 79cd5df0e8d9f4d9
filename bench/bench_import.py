"""Issue 5: a 50,000-row interest file (.xlsx) checked and saved (target: under 30 s, peak memory under 500 MB).

    .venv/bin/python bench/bench_import.py [--rows 50000]

Seeds 5,000 Quzhou loans at one bank, writes the interest file with the
portal's own Excel writer, then times `loans.importer.run_import` with commit
(read with python-calamine, every row validated, one transaction).

Issue 20: the peak resident memory is counted from just before the import (the seeding and the writing of the
file do not count), and python-calamine reading the same file, every row, is the anchor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from decimal import Decimal

from common import (
    Anchor,
    peak_rss_mb,
    report,
    report_anchor,
    reset_peak_rss,
    rss_mb,
    setup_django,
    timed,
)

LOANS = 5000


def seed() -> None:
    from applications.models import Enterprise, ProgramVersion
    from loans.models import Bank, Loan

    version = ProgramVersion.objects.get(program__code="quzhou", code="2023")
    bank = Bank.objects.create(code="bench-bank", name="基准测试银行")
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(credit_code=f"91330800MA{i:08d}", name=f"基准测试科技有限公司{i}")
            for i in range(1000)
        ]
    )
    Loan.objects.bulk_create(
        [
            Loan(
                program_version=version,
                enterprise=enterprises[i % 1000],
                bank=bank,
                contract_no=f"HT{i:06d}",
                contract_date=dt.date(2024, 1, 2),
                disbursement_date=dt.date(2024, 1, 2),
                maturity_date=dt.date(2026, 12, 31),
                principal=Decimal("1000000.00"),
                annual_rate=Decimal("3.0000"),
                lpr_at_pricing=Decimal("3.4500"),
            )
            for i in range(LOANS)
        ],
        batch_size=2000,
    )


def interest_rows(rows: int):
    """The interest settlements of the benchmark, one tuple a row in the template's column order
    (bench_api.py sends the same rows as JSON)."""
    start = dt.date(2024, 1, 2)
    for i in range(rows):
        loan, period = i % LOANS, i // LOANS
        first = start + dt.timedelta(days=30 * period)
        last = first + dt.timedelta(days=29)
        yield (
            f"HT{loan:06d}",
            "bench-bank",
            last + dt.timedelta(days=1),
            first,
            last,
            Decimal(2000 + i % 497) + Decimal("0.25"),  # within 1,000,000 × 3% × 30 ÷ 360
            "是" if i % 50 == 0 else "否",
        )


def interest_file(rows: int) -> bytes:
    from kedaitong.excel import Column, new_workbook, save, write_sheet

    headers = [
        "贷款合同编号",
        "银行代码",
        "结息日期",
        "计息起始日",
        "计息截止日",
        "利息金额（元）",
        "是否逾期利息",
    ]
    kinds = ["text", "text", "date", "date", "date", "money", "text"]
    wb = new_workbook()
    write_sheet(
        wb,
        "导入数据",
        [Column(h, kind=k) for h, k in zip(headers, kinds, strict=True)],
        interest_rows(rows),
    )
    out = io.BytesIO()
    save(wb, out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    setup_django("import")
    seed()
    from django.conf import settings

    from applications.models import Program
    from loans.importer import context_for, run_import
    from loans.models import InterestSettlement

    settings.UPLOAD_MAX_MB = max(settings.UPLOAD_MAX_MB, 50)
    data = interest_file(args.rows)
    context = context_for(kind="interest", program=Program.objects.get(code="quzhou"), actor=None)
    before = rss_mb()
    reset_peak_rss()
    with timed() as t:
        result = run_import(
            kind="interest", data=data, filename="interest.xlsx", context=context, commit=True
        )
    peak = peak_rss_mb()
    assert result.saved and result.created == args.rows, result.errors[:5]
    assert InterestSettlement.objects.count() == args.rows
    with timed() as again:
        repeat = run_import(
            kind="interest", data=data, filename="interest.xlsx", context=context, commit=True
        )
    assert repeat.saved and repeat.unchanged == args.rows
    anchor = Anchor(f"python-calamine reading the same {args.rows:,} rows", calamine_anchor(data))
    report_anchor(anchor)
    report(
        f"Interest import, {args.rows:,} rows .xlsx checked and saved",
        f"{t['seconds']:.1f} s (same file again, all unchanged: {again['seconds']:.1f} s), peak RSS {peak:.0f} MB "
        f"(before the import {before:.0f} MB), {len(data) / 1e6:.1f} MB file",
        "< 30 s, < 300 MB",
        seconds=t["seconds"],
        anchor=anchor,
    )
    if peak >= 300:
        print(f"FAILED: the import's peak RSS is {peak:.0f} MB, target < 300 MB", file=sys.stderr)
        sys.exit(1)


def calamine_anchor(data: bytes) -> float:
    """python-calamine opening the same bytes and reading every row of the first sheet: the floor of any import."""
    from python_calamine import CalamineWorkbook

    with timed() as t:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows = sum(1 for _row in sheet.iter_rows())
    assert rows > 0
    return t["seconds"]


if __name__ == "__main__":
    main()
