"""The whole Changjiang path in real Chromium, every role (issue 4's Done-when, issue 9's e2e item):

the enterprise submits; staff return it with a reason; the enterprise mends and resubmits; staff accept
and draft, the head signs; the leading group decides it in a meeting; the bank approves; publicity runs,
an objection against a second application (sent from the public page, no login) is upheld; the first gets
credit and is disbursed; its 附件4 PDF, downloaded in the browser, carries all four opinions. Enterprise B
and bank Y get 404 on the application, the auditor reads it without a single action, the admin finds it
in the admin site.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.models import Application, Enterprise, MaterialType
from kedaitong.models import AuditEntry
from loans.delinquency import months_later
from loans.models import Loan
from review.models import BankDecision, MeetingDecision, Objection, Opinion, PublicityBatch
from tests.conftest import Cast
from tests.e2e.conftest import RESULTS, confirm_if_asked
from tests.factories import ApplicationFactory
from tests.review.helpers import PDF, complete, eligible, to_publicity

# slow: among the longest browser tests, started first (see tests/e2e/test_phone_width.py).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.slow]

REFERENCE = "CJ-E2E-1"
RETURN_REASON = "缺少2025年完税证明"
BUREAU_TEXT = "材料齐全，符合第六条，同意推荐"


def review_url(application: Application) -> str:
    return f"/review/applications/{application.public_id}/"


def detail_url(application: Application) -> str:
    return f"/applications/{application.public_id}/"


def act(page, action: str) -> None:
    """Press one of the review page's action buttons and wait for the saved page."""
    with page.expect_navigation():
        page.click(f"button[name=action][value={action}]")
    confirm_if_asked(page)  # 签发 and 同意授信 restate first (issue 18 item 4)
    assert page.locator(".message-success").count() == 1, page.locator("main").inner_text()


def state(application: Application) -> str:
    return Application.objects.values_list("state", flat=True).get(pk=application.pk)


def pdf_text(path: str) -> str:
    text = subprocess.run(
        ["pdftotext", "-layout", path, "-"], capture_output=True, check=True
    ).stdout.decode()
    return "".join(text.split())


def test_an_application_goes_from_submission_to_disbursement(new_page, cast: Cast, tmp_path):
    today = timezone.localdate()
    Application.objects.filter(
        pk=cast.application_a.pk
    ).delete()  # only our own application for enterprise A
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(
        legal_representative="张三",
        address="景德镇市昌江区测试路1号",
        contact_name="张三",
        contact_phone="0798-1234567",
    )
    application = ApplicationFactory(
        enterprise=cast.enterprise_a,
        bank=cast.bank_x,
        state=Application.State.DRAFT,
        reference=REFERENCE,
        amount="1000000.00",
    )
    eligible(cast.enterprise_a)
    complete(
        cast, application
    )  # 附件3/附件4's fields and 附件2's materials, as the enterprise left its draft
    second = to_publicity(
        cast, cast.application_b, bank_user=cast.bank_y_user
    )  # enterprise B's, at bank Y, awaiting publicity
    tax_proof = MaterialType.objects.get(program=cast.changjiang, number=9)
    mended = tmp_path / "完税证明2025.pdf"
    mended.write_bytes(PDF)

    # 1. The enterprise submits its draft from its own pages.
    enterprise = new_page("applicant")
    enterprise.goto(detail_url(application))
    enterprise.click(f"a[href='/applications/{application.public_id}/edit/']")
    enterprise.click("text=检查并提交")
    with enterprise.expect_navigation():
        enterprise.click("form.submit-form button[type=submit]")
    assert state(application) == Application.State.SUBMITTED

    # 2. Staff find it in their queue and return it with a reason for item 9.
    staff = new_page("staff")
    staff.goto("/review/queue/")
    staff.click(f"text={REFERENCE}")
    staff.click("details summary")
    staff.fill("input[name=item_9]", RETURN_REASON)
    act(staff, "return_for_changes")
    assert state(application) == Application.State.RETURNED

    # 3. The enterprise reads the reason, uploads the missing proof and resubmits.
    enterprise.goto(review_url(application))
    assert RETURN_REASON in enterprise.locator("ul.return-reasons").inner_text()
    enterprise.goto(f"/applications/{application.public_id}/edit/")
    enterprise.select_option("#id_material_type", str(tax_proof.pk))
    enterprise.set_input_files("#id_file", str(mended))
    with enterprise.expect_navigation():
        enterprise.click("form.material-form button[type=submit]")
    enterprise.goto(review_url(application))
    act(enterprise, "resubmit")
    assert state(application) == Application.State.SUBMITTED
    assert application.materials.filter(
        material_type=tax_proof, original_name="完税证明2025.pdf"
    ).exists()

    # 4. Staff accept it and draft the bureau's opinion; the head signs it (maker-checker).
    staff.goto(review_url(application))
    act(staff, "accept")
    staff.check("input[name=recommendation][value=approve]")
    staff.fill("textarea[name=text]", BUREAU_TEXT)
    act(staff, "draft")
    assert state(application) == Application.State.BUREAU_REVIEW
    head = new_page("head")
    head.goto("/review/queue/")
    head.click(f"text={REFERENCE}")
    act(head, "sign")
    assert state(application) == Application.State.GROUP_REVIEW

    # 5. The leading group decides it in a meeting.
    group = new_page("group")
    group.goto("/review/meetings/new/")
    group.check("input[name=attendees][value=leader]")
    group.check("input[name=attendees][value=science]")
    group.fill("textarea[name=minutes]", "2026年第1次专班会议")
    group.select_option(f"select[name=a{application.pk}-decision]", "recommend")
    group.fill(f"input[name=a{application.pk}-amount]", "900000")
    group.fill(f"input[name=a{application.pk}-opinion]", "同意推荐")
    with group.expect_navigation():
        group.click("[data-testid=record-meeting]")
    # Issue 18 item 4: the meeting's decisions are restated, the amount in figures and capitals;
    # the page fits a phone (kept as artifacts in test-results/, not committed).
    for width, height in ((1366, 768), (390, 844)):
        group.set_viewport_size({"width": width, "height": height})
        RESULTS.mkdir(exist_ok=True)
        group.screenshot(path=str(RESULTS / f"confirm-meeting-{width}.png"), full_page=True)
        # The confirmation itself fits (the shared header's width at 390 px is item 5's).
        for part in ("#confirm-page", "#confirm-button", "#confirm-back", ".amount-capitals"):
            box = group.locator(part).first.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, part
    group.set_viewport_size({"width": 1366, "height": 768})
    assert confirm_if_asked(group, "900,000.00元", "玖拾万元整", "领导专班")
    group.wait_for_url(re.compile(r"/review/meetings/[0-9a-f-]{36}/$"))
    assert state(application) == Application.State.BANK_REVIEW

    # 6. Bank X approves the credit.
    bank = new_page("bankx")
    bank.goto("/review/queue/")
    bank.click(f"text={REFERENCE}")
    # 附件2 第11项 (issue 18 item 9): the bank adds its own statement at its review, before deciding.
    bank.set_input_files(
        "#bank-material input[type=file]",
        files=[{"name": "受理情况说明.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    with bank.expect_navigation():
        bank.click("#bank-material button[type=submit]")
    assert bank.locator(".message-success").count() == 1
    assert "受理情况说明.pdf" in bank.locator("table.materials").inner_text()
    assert application.materials.get(material_type__number=11).uploaded_by.username == "bankx"
    bank.fill("input[name=credit_amount]", "900000")
    bank.fill("input[name=annual_rate]", "3.45")
    bank.fill("input[name=term_months]", "12")
    bank.fill("textarea[name=opinion]", "经审核同意授信")
    bank.fill("input[name=head_name]", "李行长")
    # 返回修改 on the confirmation page brings the form back with what was typed.
    with bank.expect_navigation():
        bank.click("button[name=action][value=bank_approve]")
    assert "玖拾万元整" in bank.locator("#confirm-page").inner_text()
    with bank.expect_navigation():
        bank.click("#confirm-back")
    assert bank.locator("textarea[name=opinion]").input_value() == "经审核同意授信"
    assert state(application) == Application.State.BANK_REVIEW
    act(bank, "bank_approve")
    assert state(application) == Application.State.PUBLICITY

    # 7. Publicity: staff open a batch with both applications; the public objects to the second, no login.
    staff.goto("/review/publicity/")
    staff.fill("input[name=start_date]", today.isoformat())
    with staff.expect_navigation():
        staff.click("[data-testid=open-batch]")
    assert confirm_if_asked(staff, "玖拾万元整")
    staff.wait_for_url(re.compile(r"/review/publicity/[0-9a-f-]{36}/$"))
    batch = PublicityBatch.objects.get()
    assert set(batch.entries.values_list("application", flat=True)) == {application.pk, second.pk}

    public = new_page()
    public.goto("/publicity/")
    listing = public.locator("main").inner_text()
    assert "甲科技有限公司" in listing and "乙科技有限公司" in listing and "900,000.00" in listing
    public.click(f"a[href='/publicity/entries/{second.publicity_entry.public_id}/object/']")
    public.fill("input[name=name]", "王五")
    public.fill("input[name=contact]", "13900000000")
    public.fill("textarea[name=reason]", "该企业存在欠薪")
    with public.expect_navigation():
        public.click("[data-testid=send-objection]")
    assert public.locator("h1").inner_text() == "异议已收到", public.locator("main").inner_text()
    objection = Objection.objects.get()
    assert objection.entry.application_id == second.pk and objection.reason == "该企业存在欠薪"

    staff.goto(f"/review/publicity/{batch.public_id}/")
    staff.check("input[name=ruling][value=upheld]")
    staff.fill("textarea[name=note]", "经核实属实")
    with staff.expect_navigation():
        staff.click("form[action*='/rule/'] button[type=submit]")
    assert state(second) == Application.State.REJECTED
    assert state(application) == Application.State.PUBLICITY

    # The period (5 working days) passes: move the batch back by its own length, its publication with it
    # (第八条: the period counts from publication), so it ended yesterday; close it on its page.
    length = batch.end_date - batch.start_date + dt.timedelta(days=1)
    PublicityBatch.objects.filter(pk=batch.pk).update(
        start_date=batch.start_date - length,
        end_date=batch.end_date - length,
        created_at=batch.created_at - length,
    )
    staff.goto(f"/review/publicity/{batch.public_id}/")
    with staff.expect_navigation():
        staff.click("form[action*='/close/'] button[type=submit]")
    assert staff.locator(".message-success").count() == 1
    assert state(application) == Application.State.CREDIT_GRANTED
    assert state(second) == Application.State.REJECTED

    # 8. Bank X disburses: the loan opens.
    bank.goto(review_url(application))
    bank.fill("input[name=contract_no]", "CJ-HT-2026-001")
    assert (
        bank.locator("input[name=disbursement_date]").input_value() == today.isoformat()
    )  # the form proposes today
    bank.fill("input[name=contract_date]", today.isoformat())
    bank.fill("input[name=maturity_date]", months_later(today, 12).isoformat())
    act(bank, "disburse")
    assert state(application) == Application.State.DISBURSED
    loan = Loan.objects.get(application=application)
    assert (loan.principal, loan.bank_id, loan.contract_no, loan.disbursement_date) == (
        Decimal("900000.00"),
        cast.bank_x.pk,
        "CJ-HT-2026-001",
        today,
    )

    # 9. Its 附件4, downloaded in the browser, shows the four opinions with their signatories.
    bank.goto(detail_url(application))
    with bank.expect_download() as download:
        bank.click("a.annex-link[data-annex='annex4']")
    annex4 = tmp_path / "annex4.pdf"
    download.value.save_as(annex4)
    assert annex4.read_bytes().startswith(b"%PDF")
    text = pdf_text(str(annex4))
    # The boxes in 附件4's order: enterprise, bank, bureau, leading group, each with its signatories.
    expected = [
        "申请“科贷通”贷款1000000.00元。研发投入",
        "负责人：张三",
        "同意授信900000.00元，年利率3.4500%，期限12个月。经审核同意授信",
        "经办人：bankx",
        "负责人：李行长",
        BUREAU_TEXT,
        "经办人：staff",
        "负责人：head",
        "同意推荐，推荐金额900000.00元。同意推荐",
    ]
    positions = [text.find(piece) for piece in expected]
    assert -1 not in positions and positions == sorted(positions), dict(
        zip(expected, positions, strict=True)
    )
    assert REFERENCE in text and "甲科技有限公司" in text

    # 10. The other parties: enterprise B and bank Y see nothing of it (404), ...
    for username in ("other", "banky"):
        outsider = new_page(username)
        for url in (
            detail_url(application),
            review_url(application),
            f"{detail_url(application)}pdf/annex4/",
        ):
            response = outsider.goto(url)
            assert response is not None and response.status == 404, (
                username,
                url,
                response and response.status,
            )
        assert REFERENCE not in outsider.content()
    # ... the auditor reads it whole but can take no step on it, ...
    auditor = new_page("auditor")
    response = auditor.goto(review_url(application))
    assert response is not None and response.status == 200
    main = auditor.locator("main").inner_text()
    assert REFERENCE in main and BUREAU_TEXT in main and RETURN_REASON in main
    assert "本申请目前没有需要您办理的事项。" in main
    assert auditor.locator("form.review-action").count() == 0
    assert auditor.locator("button[name=action]").count() == 0
    auditor.goto(detail_url(application))
    assert auditor.locator(f"a[href='/applications/{application.public_id}/edit/']").count() == 0
    # ... and the admin finds it in the admin site.
    admin = new_page("admin")
    admin.goto(f"/admin/applications/application/?q={REFERENCE}")
    admin.click(f"#result_list a:text('{REFERENCE}')")
    admin.wait_for_url(re.compile(rf"/admin/applications/application/{application.pk}/change/"))
    change = admin.locator("#content").inner_text()
    assert REFERENCE in change and "已放款" in change and "1000000.00" in change

    # The records behind the pages.
    application.refresh_from_db()
    assert application.submitted_pdf_sha256 and application.eligibility_result
    opinions = list(Opinion.objects.filter(application=application).order_by("created_at", "pk"))
    assert [o.kind for o in opinions] == [Opinion.Kind.RETURN, Opinion.Kind.BUREAU]
    assert [r["reason"] for r in opinions[0].reasons] == [RETURN_REASON]
    assert opinions[0].handler == cast.bureau_staff
    assert (opinions[1].text, opinions[1].handler, opinions[1].head) == (
        BUREAU_TEXT,
        cast.bureau_staff,
        cast.bureau_head,
    )
    decision = MeetingDecision.objects.get(application=application)
    assert decision.recommended and decision.recommended_amount == Decimal("900000.00")
    assert decision.meeting.attendees == ["leader", "science"]
    bank_decision = BankDecision.objects.get(application=application)
    assert (bank_decision.approved, bank_decision.credit_amount, bank_decision.decided_by) == (
        True,
        Decimal("900000.00"),
        cast.bank_x_user,
    )
    objection.refresh_from_db()
    assert (objection.ruling, objection.ruling_note, objection.ruled_by) == (
        Objection.Ruling.UPHELD,
        "经核实属实",
        cast.bureau_staff,
    )

    trail = [
        (e.action, e.from_state, e.to_state, e.actor_name, e.ip_address)
        for e in AuditEntry.objects.filter(
            object_id=str(application.pk), content_type__model="application"
        ).order_by("pk")
        if e.from_state != e.to_state
    ]
    assert trail == [
        ("applications.application.submitted", "draft", "submitted", "applicant", "127.0.0.1"),
        (
            "applications.application.return_for_changes",
            "submitted",
            "returned",
            "staff",
            "127.0.0.1",
        ),
        ("applications.application.submitted", "returned", "submitted", "applicant", "127.0.0.1"),
        ("applications.application.accept", "submitted", "bureau_review", "staff", "127.0.0.1"),
        ("applications.application.approve", "bureau_review", "group_review", "head", "127.0.0.1"),
        ("applications.application.recommend", "group_review", "bank_review", "group", "127.0.0.1"),
        ("applications.application.bank_approve", "bank_review", "publicity", "bankx", "127.0.0.1"),
        ("applications.application.grant", "publicity", "credit_granted", "staff", "127.0.0.1"),
        ("applications.application.disburse", "credit_granted", "disbursed", "bankx", "127.0.0.1"),
    ], trail
    second_trail = list(
        AuditEntry.objects.filter(
            object_id=str(second.pk),
            content_type__model="application",
            to_state=Application.State.REJECTED,
        ).values_list("action", "actor_name")
    )
    assert second_trail == [("applications.application.objection_reject", "staff")], second_trail
