"""Importing new LPR publications from .xlsx or .csv on the LPR page, read by the importer's hardened reader (the admin site imports them too: subsidy/resources.py).

Columns, in order, with one header row: 生效日期 (YYYY-MM-DD), 1年期LPR（%）, 5年期以上LPR（%）[, 来源].
Every row is checked (date valid and not already in the table or repeated in
the file, rates positive with at most four decimals, one publication a month and
no month missing once imported); if any row is wrong,
nothing is saved and every problem is reported with its row number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction

from kedaitong.audit import log_action
from subsidy.models import LPRRate

MAX_ROWS = 1000
DEFAULT_SOURCE = "全国银行间同业拆借中心公告"


class LPRImportError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Publication:
    effective_date: dt.date
    one_year: Decimal
    five_year: Decimal
    source: str


def read_rows(upload: IO[bytes], filename: str) -> list[list[Any]]:
    """Raw rows (header included) of the first sheet of an .xlsx, or of a .csv in UTF-8 or GBK.

    The file goes through the bank-records importer's hardened reader
    (`loans.importer.reader.read_table`): size limit, type by content, zip-bomb
    and DOCTYPE/ENTITY checks, formulas and merged cells refused, rows and
    columns bounded. More than MAX_ROWS publications are refused, not cut off.
    """
    from loans.importer.reader import FileRefused, read_table

    try:
        table = read_table(upload.read(), filename)
    except FileRefused as exc:
        raise LPRImportError(exc.problems) from None
    if len(table.rows) > MAX_ROWS:
        raise LPRImportError([f"文件有{len(table.rows):,}行，超过{MAX_ROWS:,}行的上限，请分批导入"])
    return [list(table.header), *table.rows]


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip().replace("/", "-"))


def _rate(value: Any) -> Decimal:
    if isinstance(value, float):
        value = repr(value)  # calamine gives floats; their shortest repr is the typed number
    rate = Decimal(str(value).strip().rstrip("%").strip())
    if not rate.is_finite() or rate >= 100:  # percent; a rate column holds at most 999.9999
        raise InvalidOperation
    return rate


def parse(rows: list[list[Any]]) -> list[Publication]:
    """Check every row; raise LPRImportError listing all problems, or return the publications."""
    problems: list[str] = []
    body = [r for r in rows[1:] if any(str(c).strip() for c in r if c is not None)]
    if not body:
        raise LPRImportError(["文件中没有数据行（第一行为表头）"])
    existing = set(LPRRate.objects.values_list("effective_date", flat=True))
    seen: set[dt.date] = set()
    result: list[Publication] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(str(c).strip() for c in row if c is not None):
            continue
        cells = list(row) + [None] * 4
        try:
            day = _date(cells[0])
        except (ValueError, TypeError):
            problems.append(f"第{number}行：生效日期“{cells[0]}”无效")
            continue
        rates = []
        for label, cell in (("1年期LPR", cells[1]), ("5年期以上LPR", cells[2])):
            try:
                rate = _rate(cell)
            except (InvalidOperation, ValueError, TypeError):
                problems.append(f"第{number}行：{label}“{cell}”不是数字（百分数，小于100）")
                continue
            exponent = rate.as_tuple().exponent
            if rate <= 0:
                problems.append(f"第{number}行：{label}必须大于零")
            elif isinstance(exponent, int) and exponent < -4:
                problems.append(f"第{number}行：{label}最多四位小数")
            else:
                rates.append(rate)
        if day in existing:
            problems.append(f"第{number}行：{day:%Y-%m-%d}的LPR已在表中")
        elif day in seen:
            problems.append(f"第{number}行：{day:%Y-%m-%d}在文件中重复")
        seen.add(day)
        if len(rates) == 2:
            source = str(cells[3]).strip() if cells[3] not in (None, "") else DEFAULT_SOURCE
            result.append(Publication(day, rates[0], rates[1], source[:200]))
    if not problems:
        problems = coverage_problems(existing, [p.effective_date for p in result])
    if problems:
        raise LPRImportError(problems)
    return result


def coverage_problems(existing: set[dt.date], new: list[dt.date]) -> list[str]:
    """The table holds one publication a month with no month missing (see `subsidy.models.lpr_lookup`)."""
    problems: list[str] = []
    months = {(d.year, d.month): d for d in existing}
    for day in sorted(new):
        other = months.get((day.year, day.month))
        if other is not None:
            problems.append(
                f"{day:%Y-%m-%d}：{day.year}年{day.month}月已有{other:%Y-%m-%d}的报价（LPR每月发布一次）"
            )
        months[(day.year, day.month)] = day
    if problems:
        return problems
    keys = sorted(months)
    added = {(d.year, d.month) for d in new}
    for (y1, m1), (y2, m2) in zip(keys, keys[1:], strict=False):
        # a gap next to an imported month (a gap already in the table is the lookup's to report)
        if y2 * 12 + m2 - (y1 * 12 + m1) > 1 and ((y1, m1) in added or (y2, m2) in added):
            gap_y, gap_m = (y1, m1 + 1) if m1 < 12 else (y1 + 1, 1)
            problems.append(f"导入后LPR表缺少{gap_y}年{gap_m}月的报价，请把缺少的月份一并导入")
    return problems


def import_lpr(
    *, actor: Any, upload: IO[bytes], filename: str, request: Any = None
) -> list[LPRRate]:
    from subsidy.guards import InputFrozen, check_lpr

    publications = parse(read_rows(upload, filename))
    refused = []
    for p in publications:  # bulk_create sends no pre_save: the frozen-inputs check, row by row
        try:
            check_lpr(
                LPRRate(effective_date=p.effective_date, one_year=p.one_year, five_year=p.five_year)
            )
        except InputFrozen as exc:
            refused.append(exc.messages[0])
    if refused:
        raise LPRImportError(refused)
    with transaction.atomic():
        created = LPRRate.objects.bulk_create(
            [
                LPRRate(
                    effective_date=p.effective_date,
                    one_year=p.one_year,
                    five_year=p.five_year,
                    source=p.source,
                )
                for p in publications
            ]
        )
        log_action(
            actor=actor,
            action="subsidy.lpr.imported",
            request=request,
            data={
                "dates": [p.effective_date.isoformat() for p in publications],
                "file": filename[:200],
            },
        )
    return created
