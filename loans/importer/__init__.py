"""Imports of bank records (seven kinds), shared by the web upload and `manage.py import_records`."""

from __future__ import annotations

import io

from kedaitong.excel import Column, new_workbook, save, write_sheet
from loans.importer.engine import (
    ImportContext,
    ImportNotAllowed,
    ImportResult,
    RowError,
    context_for,
    run_import,
    store_upload,
)

__all__ = [
    "ImportContext",
    "ImportNotAllowed",
    "ImportResult",
    "RowError",
    "context_for",
    "run_import",
    "store_upload",
    "template_bytes",
    "KIND_NAMES",
]
KIND_NAMES = (
    "banks",
    "enterprises",
    "disbursements",
    "repayments",
    "interest",
    "overdue",
    "reports",
)


def template_bytes(kind: str) -> bytes:
    """The blank template of `kind`: the exact headers on the first sheet, how to fill them on a second."""
    from loans.importer.kinds import KINDS

    spec = KINDS[kind]
    wb = new_workbook()
    headers = [*spec.headers, *spec.optional]
    write_sheet(wb, "导入数据", [Column(h, width=max(14, len(h) * 2 + 4)) for h in headers], [])
    notes = [
        ("必填列（表头须完全一致）", "、".join(spec.headers)),
        ("可选列", "、".join(spec.optional) or "无"),
        ("示例行", "，".join(str(v) for v in spec.example)),
        *[("说明", note) for note in spec.notes],
        (
            "说明",
            "日期：Excel日期格式或“年-月-日”文本（如2026-03-15）；金额：元，最多两位小数，可带千分位；不接受公式和合并单元格",
        ),
        ("说明", "整个文件全部正确才会保存；同一文件再次导入不会重复登记"),
    ]
    write_sheet(wb, "填写说明", [Column("项目", 24), Column("内容", 100)], notes)
    out = io.BytesIO()
    save(wb, out)
    return out.getvalue()
