"""A bank clerk uploads an interest file, sees the one bad row in the preview, fixes it, uploads again and confirms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loans.models import InterestSettlement, RecordUpload
from tests.e2e.conftest import sign_in
from tests.loans.sheets import INTEREST, xlsx

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_upload_preview_fix_and_confirm(page, cast, tmp_path):
    contract = cast.loan_a.contract_no

    def write(third_amount: str):
        rows = [
            [contract, "bank-x", "2026-03-21", "2026-02-10", "2026-03-20", "3,450.00", "否"],
            [contract, "bank-x", "2026-06-21", "2026-03-21", "2026-06-20", third_amount, "否"],
        ]
        path = tmp_path / "结息.xlsx"
        path.write_bytes(xlsx(INTEREST, rows))
        return str(path)

    sign_in(page, "bankx")
    page.goto("/loans/uploads/")
    page.select_option("select[name=kind]", "interest")
    page.select_option("select[name=program]", label=cast.changjiang.name)
    page.set_input_files("input[name=file]", write("-8,812.50"))
    page.click("#upload-submit")
    page.wait_for_url("**/loans/uploads/*/")
    errors = page.locator("#upload-errors tbody tr")
    assert errors.count() == 1
    assert "3" in errors.first.inner_text() and "利息金额（元）" in errors.first.inner_text()
    assert page.locator("#upload-confirm").count() == 0 and not InterestSettlement.objects.exists()

    page.goto("/loans/uploads/")
    page.select_option("select[name=kind]", "interest")
    page.set_input_files("input[name=file]", write("8,812.50"))
    page.click("#upload-submit")
    page.wait_for_url("**/loans/uploads/*/")
    assert page.locator("#count-created").inner_text() == "2"
    page.click("#upload-confirm")
    page.wait_for_load_state()
    assert page.locator("#upload-state").inner_text() == "已保存"
    assert sorted(InterestSettlement.objects.values_list("amount", flat=True)) == [
        Decimal("3450.00"),
        Decimal("8812.50"),
    ]
    assert RecordUpload.objects.filter(state="saved").count() == 1
