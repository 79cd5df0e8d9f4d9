"""A Quzhou subsidy run of a closed year in the browser, through every stage of 四(一) in order, each by its role,
with an objection raised on the public page and ruled on.

The clock is set in the test process with time-machine (the live server runs in a thread of this process, so it
sees the same dates), on fixed days of 2026 that do not depend on today:

- 03-02 bureau staff compute 2025 and save the run;
- 03-16 the accounting firm records its audit and the PBoC branch's confirmation of 03-13;
- 03-18 bureau staff record the compliance review (规范性审查);
- 03-25 the bureau head records the party-group meeting of 03-24 (局党组会审定) with its minutes;
- 03-26 bureau staff start the publicity from 04-01: five working days end on 04-08 (04-06 is 清明节);
- 04-02 a member of the public objects on the public notice, no login;
- 04-09 the funds document is refused while the objection waits; staff dismiss it with the reason, then record
  the funds document (下达贴息资金文件);
- 04-15 staff record each bank's payment; the run is paid.

Each day is a new session: the people log in again (sessions last eight hours).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kedaitong.models import AuditEntry
from subsidy.models import BankPayment, RunObjection, RunState, SubsidyRun
from tests.e2e.conftest import commit_and_open_run, confirm_if_asked
from tests.subsidy.conftest import PDF, qz, shanghai  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def submit(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click(selector)
    confirm_if_asked(page)  # what cannot be undone is restated first (issue 18 item 4)


def test_a_closed_year_through_every_stage_with_an_objection(new_page, qz, time_machine, tmp_path):  # noqa: F811
    def day(month: int, date: int) -> None:
        time_machine.move_to(shanghai(dt.date(2026, month, date)), tick=True)

    files = {}
    for name in ("审计报告", "人行确认函", "党组会纪要", "贴息资金文件", "异议证明"):
        files[name] = tmp_path / f"{name}.pdf"
        files[name].write_bytes(PDF)
    qz.interest(qz.loan(contract="A-1"), "1000.00")  # 30% = 300.00
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "2000.00")  # 600.00
    qz.interest(qz.loan(contract="A-2", rate="3.50"), "500.00")  # above the LPR: listed, not paid

    # 03-02: bureau staff compute 2025 (a closed year) and save the run.
    day(3, 2)
    staff = new_page("qz_staff")
    staff.goto("/subsidy/runs/")
    staff.fill("input[name=year]", "2025")
    staff.fill("input[name=budget]", "600")
    submit(staff, "form.run-form button[type=submit]")
    preview = staff.locator("#preview").inner_text()
    assert "600.00" in preview and "A-2" in preview
    run = SubsidyRun.objects.get(pk=commit_and_open_run(staff))
    assert staff.locator("#run-total").inner_text() == "600.00"  # 900.00 pro-rated to the budget
    assert run.state == RunState.COMPUTED
    run_url = f"/subsidy/runs/{run.pk}/"
    # Out of order: the compliance review before the audit is refused, citing 四(一).
    staff.goto(run_url + "review/")
    staff.fill("textarea[name=opinion]", "符合方案")
    submit(staff, "form.stage-form button[type=submit]")
    assert "四(一)" in staff.locator("main").inner_text()
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.COMPUTED

    # 03-16: the accounting firm, with the PBoC branch's confirmation.
    day(3, 16)
    firm = new_page("qz_accountant")
    firm.goto(run_url)
    assert "会计师事务所会同市人行审核" in firm.locator("#stage-action").inner_text()
    firm.set_input_files("input[name=opinion_file]", str(files["审计报告"]))
    firm.fill("textarea[name=opinion]", "经审核，贴息计算符合方案四(一)")
    firm.fill("input[name=pboc_confirmer]", "货币信贷管理科 王某")
    firm.fill("input[name=pboc_confirmed_on]", "2026-03-13")
    firm.set_input_files("input[name=pboc_file]", str(files["人行确认函"]))
    submit(firm, "form.stage-form button[type=submit]")
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.AUDITED
    assert "货币信贷管理科 王某" in firm.locator("#stages").inner_text()

    # 03-18: bureau staff, the compliance review.
    day(3, 18)
    staff = new_page("qz_staff")
    staff.goto(run_url)
    staff.fill("#stage-action textarea[name=opinion]", "材料齐全，计算规范")
    submit(staff, "#stage-action button[type=submit]")
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.REVIEWED

    # 03-25: the bureau head records the party-group meeting of 03-24.
    day(3, 25)
    head = new_page("qz_head")
    head.goto(run_url)
    head.fill("input[name=meeting_date]", "2026-03-24")
    head.set_input_files("input[name=minutes]", str(files["党组会纪要"]))
    head.fill("textarea[name=note]", "审定通过")
    submit(head, "#stage-action button[type=submit]")
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.APPROVED

    # 03-26: bureau staff start the publicity from 04-01; it ends on the fifth working day, 04-08.
    day(3, 26)
    staff = new_page("qz_staff")
    staff.goto(run_url)
    assert staff.locator("input[name=start]").input_value() == "2026-03-26"  # today is offered
    staff.fill("input[name=start]", "2026-04-01")
    submit(staff, "#stage-action button[type=submit]")
    run = SubsidyRun.objects.get(pk=run.pk)
    assert (run.state, run.publicity_start, run.publicity_end) == (
        RunState.PUBLICIZED,
        dt.date(2026, 4, 1),
        dt.date(2026, 4, 8),
    )
    public = new_page()
    response = public.goto("/subsidy/public/quzhou/2025/")
    assert response is not None and response.status == 404  # not public before its first day

    # 04-02: anyone reads the notice (bank names and amounts) and objects, no login.
    day(4, 2)
    public.goto("/subsidy/public/quzhou/2025/")
    notice = public.locator("main").inner_text()
    for text in ("衢州甲银行", "衢州乙银行", "200.00", "400.00", "600.00", "2026-04-08"):
        assert text in notice, text
    assert "qz-a" not in notice and "A-1" not in notice
    submit(public, "a[href='/subsidy/public/quzhou/2025/object/']")
    public.fill("input[name=name]", "张三")
    public.fill("input[name=contact]", "13800000000")
    public.fill("textarea[name=reason]", "我司2025年的贷款未列入贴息名单")
    public.set_input_files("input[name=attachment]", str(files["异议证明"]))
    submit(public, "[data-testid=send-objection]")
    assert "感谢" in public.locator("main").inner_text()
    objection = RunObjection.objects.get()
    assert objection.ruling == RunObjection.Ruling.PENDING

    # 04-09: the publicity is over, but the objection waits: the funds document is refused.
    day(4, 9)
    staff = new_page("qz_staff")
    staff.goto(run_url)
    assert "我司2025年的贷款未列入贴息名单" in staff.locator("#objections").inner_text()
    staff.fill("input[name=document_no]", "衢市科〔2026〕12号")
    staff.fill("input[name=document_date]", "2026-04-09")
    staff.set_input_files("input[name=document_file]", str(files["贴息资金文件"]))
    submit(staff, "#stage-action button[type=submit]")
    refusal = staff.locator("main").inner_text()
    assert "1件异议尚未处理" in refusal and "四(一)" in refusal
    assert staff.locator("input[name=document_no]").input_value() == "衢市科〔2026〕12号"  # kept
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.PUBLICIZED
    # Staff dismiss it with the reason, then record the funds document.
    staff.goto(run_url)
    form = staff.locator("form.ruling-form")
    form.locator("input[value=dismissed]").check()
    form.locator("textarea[name=note]").fill("该企业贷款于2026年发放，属下一年度")
    submit(staff, "form.ruling-form button[type=submit]")
    assert RunObjection.objects.get().ruling == RunObjection.Ruling.DISMISSED
    staff.fill("input[name=document_no]", "衢市科〔2026〕12号")
    staff.fill("input[name=document_date]", "2026-04-09")
    staff.set_input_files("input[name=document_file]", str(files["贴息资金文件"]))
    submit(staff, "#stage-action button[type=submit]")
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.ISSUED

    # 04-15: each bank's payment; the run is paid.
    day(4, 15)
    staff = new_page("qz_staff")
    staff.goto(run_url)
    for n, code in enumerate(["qz-a", "qz-b"], start=1):
        form = staff.locator(f"form.pay-form:has(input[value='{code}'])")
        form.locator("input[name=paid_on]").fill("2026-04-15")
        form.locator("input[name=voucher_no]").fill(f"QZBT-2026-00{n}")
        with staff.expect_navigation():
            form.locator("button").click()
        assert confirm_if_asked(staff, "元整")
    run = SubsidyRun.objects.get(pk=run.pk)
    assert run.state == RunState.PAID
    assert sorted(BankPayment.objects.values_list("bank__code", "amount", "voucher_no")) == [
        ("qz-a", Decimal("200.00"), "QZBT-2026-001"),
        ("qz-b", Decimal("400.00"), "QZBT-2026-002"),
    ]
    page = staff.locator("main").inner_text()
    assert "QZBT-2026-002" in page and staff.locator(".stage-done").count() == 7
    trail = list(
        AuditEntry.objects.filter(object_id=str(run.pk), content_type__model="subsidyrun")
        .order_by("pk")
        .values_list("action", "actor__username")
    )
    assert trail == [
        ("subsidy.run.computed", "qz_staff"),
        ("subsidy.run.audited", "qz_accountant"),
        ("subsidy.run.reviewed", "qz_staff"),
        ("subsidy.run.approved", "qz_head"),
        ("subsidy.run.publicized", "qz_staff"),
        ("subsidy.objection.submitted", None),
        ("subsidy.objection.dismissed", "qz_staff"),
        ("subsidy.run.issued", "qz_staff"),
        ("subsidy.payment.recorded", "qz_staff"),
        ("subsidy.payment.recorded", "qz_staff"),
        ("subsidy.run.paid", "qz_staff"),
    ], trail
