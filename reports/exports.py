"""Exporting a ledger to Excel: inline for small ones, as a background job with progress for large ones."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from django.utils import timezone

from kedaitong import excel
from kedaitong.jobs import JobContext, job_task
from kedaitong.models import User
from reports.ledgers import LEDGERS, Ledger, LedgerFilterForm


def filters_to_params(cleaned: dict[str, Any]) -> dict[str, str]:
    """Cleaned filter values → JSON-safe strings a job can carry and the form can read back."""
    params: dict[str, str] = {}
    for key, value in cleaned.items():
        if value in (None, ""):
            continue
        if hasattr(value, "code"):
            params[key] = value.code
        elif isinstance(value, dt.date):
            params[key] = value.isoformat()
        else:
            params[key] = str(value)
    return params


def parse_filters(user: User, params: dict[str, str]) -> dict[str, Any]:
    form = LedgerFilterForm(params, user=user)
    if not form.is_valid():
        raise ValueError("; ".join(str(e) for errors in form.errors.values() for e in errors))
    return form.cleaned_data


def export_filename(ledger: Ledger) -> str:
    return f"{ledger.code}-{timezone.localdate():%Y%m%d}.xlsx"


def write_ledger(
    ledger: Ledger, user: User, filters: dict[str, Any], target: Any, ctx: JobContext | None = None
) -> int:
    """Stream the filtered ledger into an .xlsx at `target`; returns the row count."""
    qs = ledger.queryset(user, filters)
    total = qs.count()
    if ctx is not None:
        ctx.progress(0, total, message=str(ledger.title))

    def rows() -> Iterator[Sequence[Any]]:
        for n, row in enumerate(ledger.rows(qs), start=1):
            if ctx is not None and n % 1000 == 0:
                ctx.progress(n)
            yield row

    wb = excel.new_workbook()
    excel.write_sheet(wb, str(ledger.title), ledger.columns, rows())
    excel.save(wb, target)
    if ctx is not None:
        ctx.progress(total)
    return total


@job_task(title="导出台账")
def ledger_export_job(ctx: JobContext, *, ledger: str, filters: dict[str, str]) -> None:
    definition = LEDGERS[ledger]
    user = ctx.job.owner
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xlsx"
        write_ledger(definition, user, parse_filters(user, filters), str(path), ctx)
        ctx.save_result(export_filename(definition), path.read_bytes())
