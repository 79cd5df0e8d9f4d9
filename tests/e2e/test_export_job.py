"""A large export runs in the background: the progress bar moves and the file downloads whole."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from applications.models import Enterprise
from kedaitong.jobs import JobContext
from kedaitong.models import Job
from loans.models import Loan
from tests.e2e.conftest import run_jobs, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ROWS = 4_000  # above the inline limit the test sets (1,000): the export runs as a job


def seed_loans(bank, program_version) -> Decimal:
    """Loans of the program the bank works in on the page (its ledger shows that program only)."""
    enterprise = Enterprise.objects.create(
        credit_code="91330800MA00000001", name="导出测试科技有限公司"
    )
    loans = [
        Loan(
            program_version=program_version,
            enterprise=enterprise,
            bank=bank,
            contract_no=f"E2E{i:06d}",
            contract_date=dt.date(2025, 1, 1) + dt.timedelta(days=i % 300),
            disbursement_date=dt.date(2025, 1, 1) + dt.timedelta(days=i % 300),
            maturity_date=dt.date(2026, 12, 31),
            principal=Decimal("10000.01") + i,
            annual_rate=Decimal("3.0000"),
        )
        for i in range(ROWS)
    ]
    Loan.objects.bulk_create(loans, batch_size=5000)
    return sum((loan.principal for loan in loans), Decimal("0"))


def test_a_large_export_shows_progress_and_downloads(page, cast, tmp_path, monkeypatch, settings):
    """The export is queued by the page and run here to its end; the page shows it on its way, then done.

    The job page refreshes itself each second. While the job runs in this thread, each progress
    figure it records (every 1,000 rows) is stored, not only the first of each
    half second, and held until the page shows it, so the progress bar is seen between 0 and 100
    however fast or loaded the machine is. (With 20,000 rows and the production limit of 5,000, the
    19 figures took 30 s on a quiet machine and 136 s on a loaded one, nearly all of it waiting.)
    """
    settings.EXPORT_INLINE_MAX_ROWS = 1_000
    expected_total = seed_loans(cast.bank_x, cast.loan_a.program_version) + cast.loan_a.principal
    sign_in(page, "bankx")
    page.goto("/reports/ledgers/loans/")
    page.click("#export-button")
    page.wait_for_url("**/jobs/**")
    job = Job.objects.get()
    assert (job.kind, job.state, job.owner) == (
        "reports.exports.ledger_export_job",
        "queued",
        cast.bank_x_user,
    )
    progress = page.locator("#job-progress")
    expect(progress).to_have_attribute("value", "0")

    shown: list[int] = []
    record = JobContext.progress

    def record_then_look(ctx, done, total=None, message=""):  # type: ignore[no-untyped-def]
        ctx._last_write = float(
            "-inf"
        )  # store every figure (the job writes at most one a half second)
        stored = record(ctx, done, total, message)
        if stored and 0 < ctx.job.percent < 100 and ctx.job.percent not in shown:
            expect(progress).to_have_attribute("value", str(ctx.job.percent))
            shown.append(ctx.job.percent)
        return stored

    monkeypatch.setattr(JobContext, "progress", record_then_look)
    assert run_jobs() == 1
    assert shown == [24, 49, 74, 99], shown  # of 4,001 rows (the cast's loan too), rounded down
    expect(page.locator("#job-download")).to_be_visible()
    expect(progress).to_have_attribute("value", "100")
    assert Job.objects.get().state == "done"

    with page.expect_download() as info:
        page.click("#job-download")
    path = tmp_path / "loans.xlsx"
    info.value.save_as(path)
    ws = load_workbook(path, read_only=True).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == ROWS + 2  # the bank's loans, then the totals row
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][9])) == expected_total
