"""The Changjiang path in real Chromium: submit, return, resubmit, sign, meeting, bank, publicity with objection, disbursement."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from applications.models import Application
from loans.models import Loan
from review import services
from review.models import PublicityBatch
from tests.conftest import Cast
from tests.e2e.conftest import login
from tests.factories import ApplicationFactory
from tests.review.helpers import complete, eligible, to_publicity

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def review_url(application: Application) -> str:
    return f"/review/applications/{application.public_id}/"


def as_user(browser, live_server, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    if username:
        login(page, username)
    return page


def test_an_application_goes_from_submission_to_disbursement(browser, live_server, cast: Cast):
    application = ApplicationFactory(enterprise=cast.enterprise_a, bank=cast.bank_x, state=Application.State.DRAFT,
                                     reference="CJ-E2E-1", amount="1000000.00")
    Application.objects.filter(pk=cast.application_a.pk).delete()  # only our own application for enterprise A
    eligible(cast.enterprise_a)
    complete(cast, application)  # the fields and materials the enterprise side checks at submission
    second = to_publicity(cast, cast.application_b, bank_user=cast.bank_y_user)

    enterprise = as_user(browser, live_server, "applicant")
    enterprise.goto(review_url(application))
    enterprise.click("button[value=resubmit]")  # 提交 (the enterprise side's own submit once merged)
    enterprise.wait_for_selector(".message-success")

    staff = as_user(browser, live_server, "staff")
    staff.goto("/review/queue/")
    staff.click("text=CJ-E2E-1")
    staff.click("details summary")
    staff.fill("input[name=item_9]", "缺少2025年完税证明")
    staff.click("button[value=return_for_changes]")
    staff.wait_for_selector(".message-success")

    enterprise.goto(review_url(application))
    assert "缺少2025年完税证明" in enterprise.content()
    enterprise.click("button[value=resubmit]")
    enterprise.wait_for_selector(".message-success")

    staff.goto(review_url(application))
    staff.click("button[value=accept]")
    staff.wait_for_selector(".message-success")
    staff.check("input[name=recommendation][value=approve]")
    staff.fill("textarea[name=text]", "材料齐全，符合第六条，同意推荐")
    staff.click("button[value=draft]")
    staff.wait_for_selector(".message-success")

    head = as_user(browser, live_server, "head")
    head.goto("/review/queue/")
    head.click("text=CJ-E2E-1")
    head.click("button[value=sign]")
    head.wait_for_selector(".message-success")

    group = as_user(browser, live_server, "group")
    group.goto("/review/meetings/new/")
    group.check("input[name=attendees][value=leader]")
    group.check("input[name=attendees][value=science]")
    group.fill("textarea[name=minutes]", "2026年第1次专班会议")
    group.select_option(f"select[name=a{application.pk}-decision]", "recommend")
    group.fill(f"input[name=a{application.pk}-amount]", "900000")
    group.fill(f"input[name=a{application.pk}-opinion]", "同意推荐")
    group.click("[data-testid=record-meeting]")
    group.wait_for_url(re.compile(r"/review/meetings/[0-9a-f-]{36}/$"))

    bank = as_user(browser, live_server, "bankx")
    bank.goto(review_url(application))
    bank.fill("input[name=credit_amount]", "900000")
    bank.fill("input[name=annual_rate]", "3.45")
    bank.fill("input[name=term_months]", "12")
    bank.fill("textarea[name=opinion]", "经审核同意授信")
    bank.fill("input[name=head_name]", "李行长")
    bank.click("button[value=bank_approve]")
    bank.wait_for_selector(".message-success")

    staff.goto("/review/publicity/")
    staff.fill("input[name=start_date]", dt.date.today().isoformat())
    staff.click("[data-testid=open-batch]")
    staff.wait_for_url(re.compile(r"/review/publicity/[0-9a-f-]{36}/$"))
    batch = PublicityBatch.objects.get()

    public = as_user(browser, live_server, "")
    public.goto("/publicity/")
    assert "甲科技有限公司" in public.content() and "900,000.00" in public.content()
    public.click(f"a[href='/publicity/entries/{second.publicity_entry.public_id}/object/']")
    public.fill("input[name=name]", "王五")
    public.fill("input[name=contact]", "13900000000")
    public.fill("textarea[name=reason]", "该企业存在欠薪")
    public.click("[data-testid=send-objection]")
    public.wait_for_selector("text=王五", state="detached")

    staff.goto(f"/review/publicity/{batch.public_id}/")
    staff.check("input[name=ruling][value=upheld]")
    staff.fill("textarea[name=note]", "经核实属实")
    staff.click("form[action*='/rule/'] button[type=submit]")
    staff.wait_for_selector(".message-success")
    assert Application.objects.get(pk=second.pk).state == Application.State.REJECTED

    # The period passes (5 working days): move the batch into the past, then close it on its page.
    PublicityBatch.objects.filter(pk=batch.pk).update(start_date=dt.date(2026, 1, 5), end_date=dt.date(2026, 1, 9))
    staff.goto(f"/review/publicity/{batch.public_id}/")
    staff.click("form[action*='/close/'] button[type=submit]")
    staff.wait_for_selector(".message-success")
    assert Application.objects.get(pk=application.pk).state == Application.State.CREDIT_GRANTED

    bank.goto(review_url(application))
    bank.fill("input[name=contract_no]", "CJ-HT-2026-001")
    bank.fill("input[name=disbursement_date]", "2026-02-02")
    bank.fill("input[name=maturity_date]", "2027-02-01")
    bank.click("button[value=disburse]")
    bank.wait_for_selector(".message-success")
    application.refresh_from_db()
    assert application.state == Application.State.DISBURSED
    assert Loan.objects.get(application=application).principal == 900000

    page = bank.content()
    for text in ("申请“科贷通”贷款", "同意授信900000.00元", "材料齐全，符合第六条，同意推荐", "同意推荐，推荐金额900000.00元"):
        assert text in page, text
    assert services  # the same services the pages call
