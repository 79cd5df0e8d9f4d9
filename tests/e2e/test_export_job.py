"""A large export runs in the background: the progress bar moves and the file downloads whole."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from applications.models import Enterprise
from loans.models import Loan
from tests.e2e.conftest import login
from tests.factories import version

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ROWS = 20_000


def seed_loans(bank) -> Decimal:
    enterprise = Enterprise.objects.create(
        credit_code="91330800MA00000001", name="导出测试科技有限公司"
    )
    quzhou = version("quzhou")
    loans = [
        Loan(
            program_version=quzhou,
            enterprise=enterprise,
            bank=bank,
            contract_no=f"E2E{i:06d}",
            disbursement_date=dt.date(2025, 1, 1) + dt.timedelta(days=i % 300),
            maturity_date=dt.date(2026, 12, 31),
            principal=Decimal("10000.01") + i,
            annual_rate=Decimal("3.0000"),
        )
        for i in range(ROWS)
    ]
    Loan.objects.bulk_create(loans, batch_size=5000)
    return sum((loan.principal for loan in loans), Decimal("0"))


def test_a_large_export_shows_progress_and_downloads(page, cast, tmp_path):
    expected_total = seed_loans(cast.bank_x) + cast.loan_a.principal
    login(page, "bankx")
    page.goto("/reports/ledgers/loans/")
    page.click("#export-button")
    page.wait_for_url("**/jobs/**")
    seen: list[int] = []
    for _ in range(240):
        try:
            if page.locator("#job-download").count():
                break
            value = page.locator("#job-progress").get_attribute("value", timeout=1000)
            if value is not None:
                seen.append(int(value))
        except Exception:  # the page is reloading itself between reads
            pass
        page.wait_for_timeout(250)
    assert any(0 < v < 100 for v in seen), seen
    assert seen == sorted(seen), seen
    with page.expect_download() as info:
        page.click("#job-download")
    path = tmp_path / "loans.xlsx"
    info.value.save_as(path)
    ws = load_workbook(path, read_only=True).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == ROWS + 2  # the bank's loans, then the totals row
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][9])) == expected_total
