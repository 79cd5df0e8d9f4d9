"""A compensation claim in the browser: filed with its materials, reviewed, decided within budget, paid,
recovered with legal costs, the pool's share returned and confirmed by the finance bureau; the ledger export matches the page."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from compensation.models import Claim, ClaimState, ShareReturn
from tests.compensation.helpers import PDF, bad_loan
from tests.e2e.conftest import confirm_if_asked, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def switch(page, username):
    page.context.clear_cookies()
    sign_in(page, username)


def submit(page, selector="form.action-form button[type=submit]"):
    page.click(selector)
    page.wait_for_load_state()
    confirm_if_asked(page)  # what cannot be undone is restated first (issue 18 item 4)


def test_a_claim_from_filing_to_the_returned_share(page, cast, tmp_path):
    loan = bad_loan(cast)
    today = dt.date.today().isoformat()
    pdf = tmp_path / "material.pdf"
    pdf.write_bytes(PDF)

    switch(page, "group")
    page.goto("/compensation/budgets/")
    page.fill("input[name=year]", str(dt.date.today().year))
    page.fill("input[name=amount]", "1000000")
    submit(page, "form.budget-form button")
    assert "1,000,000.00" in page.locator("#budgets").inner_text()

    switch(page, "bankx")
    page.goto("/compensation/claims/new/")
    page.select_option("select[name=loan]", str(loan.public_id))
    page.fill("input[name=requested_amount]", "400000")
    page.fill("input[name=loss_principal]", "800000")
    page.fill("input[name=case_number]", "(2026)赣0202民初123号")
    page.fill("textarea[name=description]", "企业停产，多次催收未果")
    page.click("form.claim-form button[type=submit]")
    page.wait_for_url("**/compensation/claims/*/")
    claim = Claim.objects.get()
    detail = f"/compensation/claims/{claim.public_id}/"
    for kind in (
        "application_form",
        "bad_loan_statement",
        "case_notice",
        "collection_proof",
        "other",
    ):
        page.goto(detail + "materials/")
        page.select_option("select[name=kind]", kind)
        page.set_input_files("input[name=file]", str(pdf))
        submit(page)
    assert page.locator("#materials li").count() == 5
    page.goto(detail + "submit/")
    submit(page)
    assert Claim.objects.get().state == ClaimState.SUBMITTED

    # 第十一条 2(2), maker-checker: staff draft the opinion and the amount, the head signs it.
    switch(page, "staff")
    page.goto(detail)
    page.click("#actions a[href$='review/']")
    page.check("#draft-form input[name=recommendation][value=approve]")
    page.fill("#draft-form input[name=amount]", "350000")
    page.fill("#draft-form textarea[name=text]", "材料齐全，建议补偿35万元")
    submit(page, "#draft-form button[type=submit]")
    assert Claim.objects.get().state == ClaimState.SUBMITTED  # a draft alone moves nothing

    switch(page, "head")
    page.goto(detail)
    page.click("#actions a[href$='review/']")
    assert "350,000.00" in page.locator("#draft").inner_text()
    submit(page, "#sign-form button[type=submit]")
    assert Claim.objects.get().state == ClaimState.GROUP_REVIEW

    switch(page, "group")
    page.goto(detail + "decide/")
    assert "350,000.00" in page.locator("#proposal").inner_text()
    page.check("input[name=outcome][value=decide]")
    page.fill("input[name=amount]", "300000")
    page.fill("input[name=covered_loss]", "800000")
    submit(page)
    assert "37.5000%" in page.locator("#decision").inner_text()

    switch(page, "staff")
    page.goto(detail + "pay/")
    page.fill("input[name=paid_on]", today)
    page.fill("input[name=voucher_no]", "BF-2026-001")
    submit(page)
    page.goto(detail + "agreement/")
    page.fill("input[name=signed_on]", today)
    page.set_input_files("input[name=file]", str(pdf))
    submit(page)
    assert Claim.objects.get().state == ClaimState.RECOVERING

    switch(page, "bankx")
    page.goto(detail + "recoveries/new/")
    page.fill("input[name=received_on]", today)
    page.fill("input[name=gross]", "100000")
    page.fill("input[name=litigation_amount]", "5000")
    page.set_input_files("input[name=litigation_receipt]", str(pdf))
    submit(page)
    assert (
        page.locator("#share-total").inner_text() == "35,625.00"
    )  # (100000 − 5000) × 300000 / 800000
    page.click("#recoveries a[href$='returns/new/']")
    page.fill("input[name=returned_on]", today)
    page.fill("input[name=voucher_no]", "JH-001")
    submit(page)

    switch(page, "auditor")
    page.goto("/compensation/recoveries/")
    page.click("#pending a")
    submit(page)
    assert ShareReturn.objects.get().confirmed_at is not None

    page.goto("/compensation/ledger/")
    totals = page.locator("#ledger-totals").inner_text()
    for figure in ("300,000.00", "95,000.00", "35,625.00"):
        assert figure in totals
    with page.expect_download() as download:
        page.click("#ledger-export")
    rows = list(
        load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    header, total = rows[0], rows[-1]
    col = {h: i for i, h in enumerate(header)}
    assert total[0] == "合计"
    assert Decimal(str(total[col["拨付金额（元）"]])) == Decimal("300000")
    assert Decimal(str(total[col["应交回区财政（元）"]])) == Decimal("35625")
    assert Decimal(str(total[col["财政已确认（元）"]])) == Decimal("35625")
    assert Decimal(str(total[col["尚应交回（元）"]])) == 0
