"""Changjiang's own records in the browser: the office sets a bank's credit plan (第五条), the lead bank records a
recovery action with its document (第七条), the bureau produces the quarter's report to the province and marks it
sent (第十条)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from loans.models import PostLoanReport
from programs.changjiang import services
from programs.changjiang.models import CreditPlan, ProvincialReport, RecoveryAction, RecoveryCase
from tests.e2e.conftest import sign_in
from tests.factories import LoanFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def switch(page, username):
    page.context.clear_cookies()
    sign_in(page, username)


def test_plan_recovery_action_and_report_to_the_province(page, cast, tmp_path):
    # 第七条: a loan of bank X matured on 2026-10-31 unpaid; the daily run opened its case on 1 November.
    LoanFactory(
        enterprise=cast.enterprise_a,
        bank=cast.bank_x,
        program_version=cast.loan_a.program_version,
        disbursement_date=dt.date(2025, 11, 1),
        maturity_date=dt.date(2026, 10, 31),
        principal=Decimal("800000.00"),
    )
    services.recovery_cases_open(on=dt.date(2026, 11, 1))
    case = RecoveryCase.objects.get()
    # 第十条: bank X filed its Q3 report on loan_a; bank Y did not on loan_b.
    PostLoanReport.objects.create(
        loan=cast.loan_a,
        year=2026,
        quarter=3,
        status="normal",
        operations="经营正常",
        filed_by=cast.bank_x_user,
    )

    switch(page, "group")
    page.goto("/changjiang/credit-plan/?year=2026")
    page.select_option("select[name=bank]", str(cast.bank_x.pk))
    page.fill("input[name=amount]", "12000000")
    page.fill("input[name=count]", "6")
    page.fill("textarea[name=reason]", "2026年度合作协议约定")
    page.click("#plan-form + form button[type=submit]")
    page.wait_for_load_state()
    assert "12,000,000.00" in page.locator("#plan-summary").inner_text()
    assert "2026年度合作协议约定" in page.locator("#plan-changes").inner_text()
    assert CreditPlan.objects.get().amount == Decimal("12000000.00")
    with page.expect_download() as download:
        page.click("#plan-export")
    workbook = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert workbook["年度信贷计划"]["A2"].value == "X银行"

    switch(page, "bankx")
    page.goto("/changjiang/recovery/")
    assert "800,000.00" in page.locator("#recovery-cases").inner_text()
    page.click(f"a[href='/changjiang/recovery/{case.public_id}/']")
    page.wait_for_url(f"**/changjiang/recovery/{case.public_id}/")
    letter = tmp_path / "催收函.pdf"
    letter.write_bytes(PDF)
    page.fill("input[name=acted_on]", "2026-11-05")
    page.fill("textarea[name=what]", "向企业寄送催收函")
    page.fill("textarea[name=result]", "企业承诺月底前归还20万元")
    page.set_input_files("input[name=documents]", str(letter))
    page.click("#action-form button[type=submit]")
    page.wait_for_load_state()
    actions = page.locator("#recovery-actions").inner_text()
    assert "向企业寄送催收函" in actions and "催收函.pdf" in actions
    assert RecoveryAction.objects.get().documents.count() == 1

    switch(page, "staff")
    page.goto("/changjiang/province/")
    page.fill("input[name=year]", "2026")
    page.select_option("select[name=quarter]", "3")
    page.click("#produce-form button[type=submit]")
    page.wait_for_load_state()
    row = page.locator("#provincial-reports tbody tr").first
    assert "Y银行 (1)" in row.inner_text()
    report = ProvincialReport.objects.get()
    prefix = f"r{report.pk}"
    page.fill(f"input[name={prefix}-reference]", "昌科〔2026〕45号")
    page.click("#provincial-reports form button[type=submit]")
    page.wait_for_load_state()
    assert "昌科〔2026〕45号" in page.locator("#provincial-reports").inner_text()
    report.refresh_from_db()
    assert (report.state, report.reference) == ("sent", "昌科〔2026〕45号")
