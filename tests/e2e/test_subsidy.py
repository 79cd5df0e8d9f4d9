"""A Quzhou subsidy run in the browser: computed → audited → publicized → approved → paid."""

from __future__ import annotations

import datetime as dt

import pytest

from subsidy.models import RunState, SubsidyRun
from tests.e2e.conftest import commit_and_open_run, login
from tests.subsidy.conftest import qz  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def switch(page, username):
    page.context.clear_cookies()
    login(page, username)


def test_a_run_from_computation_to_payment(page, qz, tmp_path):  # noqa: F811
    qz.interest(qz.loan(contract="A-1"), "1000.00")
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "2000.00")
    qz.interest(qz.loan(contract="A-2", rate="3.50"), "500.00")  # above the LPR

    switch(page, "qz_staff")
    page.goto("/subsidy/runs/")
    page.fill("input[name=year]", "2025")
    page.fill("input[name=budget]", "600")
    page.click("form.run-form button[type=submit]")
    preview = page.locator("#preview")
    assert "600.00" in preview.inner_text()
    assert "A-2" in preview.inner_text()  # listed with its reason
    run = SubsidyRun.objects.get(pk=commit_and_open_run(page))
    assert page.locator("#run-total").inner_text() == "600.00"

    switch(page, "qz_auditor")
    page.goto(f"/subsidy/runs/{run.pk}/")
    opinion = tmp_path / "opinion.pdf"
    opinion.write_bytes(PDF)
    page.set_input_files("input[name=opinion]", str(opinion))
    page.click(f"form[action='/subsidy/runs/{run.pk}/audit/'] button")
    page.wait_for_load_state()

    switch(page, "qz_staff")
    page.goto(f"/subsidy/runs/{run.pk}/")
    page.click(f"form[action='/subsidy/runs/{run.pk}/publicize/'] button")
    page.wait_for_load_state()

    page.context.clear_cookies()
    page.goto("/subsidy/public/quzhou/2025/")
    assert "B-1" in page.locator("main").inner_text()

    switch(page, "qz_head")
    page.goto(f"/subsidy/runs/{run.pk}/")
    page.click(f"form[action='/subsidy/runs/{run.pk}/approve/'] button")
    page.wait_for_load_state()

    switch(page, "qz_staff")
    page.goto(f"/subsidy/runs/{run.pk}/")
    for n, code in enumerate(["qz-a", "qz-b"]):
        form = page.locator(f"form.pay-form:has(input[value='{code}'])")
        form.locator("input[name=paid_on]").fill(str(dt.date(2026, 4, 10)))
        form.locator("input[name=voucher_no]").fill(f"PZ-{n}")
        form.locator("button").click()
        page.wait_for_load_state()
    assert SubsidyRun.objects.get().state == RunState.PAID
    assert "PZ-1" in page.locator("main").inner_text()
