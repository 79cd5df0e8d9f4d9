"""The Quzhou application path in real Chromium, each step by its own role (Quzhou 二, issue 15):

the enterprise submits 附件1 to the one bank on file it chose; the bank finds it in its queue, reviews it on its
own and agrees (同意放贷意见书, printed by the portal); it disburses on the application's page with the
disbursement voucher (放款凭证), which reports 附件1 and the voucher to the city bureau; the bureau asks for a
correction, the bank reports again, and the bureau acknowledges. No leading group, no publicity; the enterprise
follows every step.

Dates: the loan is disbursed today (the LPR in force today is added, assumed unchanged).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.models import (
    AnnualFigure,
    Application,
    Program,
    ProgramListing,
    Qualification,
    RegistrationPlace,
)
from kedaitong.models import AuditEntry, Notification
from kedaitong.roles import Role
from loans.delinquency import months_later
from loans.models import Loan, LoanDocument
from tests.conftest import assume_lpr_through
from tests.e2e.conftest import confirm_if_asked
from tests.factories import (
    BankAgreementFactory,
    BankFactory,
    EnterpriseFactory,
    UserFactory,
    credit_code,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def submit(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click(selector)
    confirm_if_asked(page)  # what cannot be undone is restated first (issue 18 item 4)


def state_of(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("hgroup .state").first.inner_text()


def test_a_quzhou_application_through_the_bank_to_the_bureau(new_page, tmp_path):
    quzhou = Program.objects.get(code="quzhou")
    place = RegistrationPlace.objects.get(program=quzhou, name="市本级")
    today = timezone.localdate()  # the bureau's day (Asia/Shanghai)
    maturity = months_later(today, 12)
    assume_lpr_through(today)
    bank = BankFactory(code="qz-kc", name="衢州科创银行")
    other = BankFactory(code="qz-other", name="衢州另一银行")
    for on_file in (bank, other):
        BankAgreementFactory(
            bank=on_file,
            program=quzhou,
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2099, 12, 31),
        )
    code = credit_code(811, region="330802")
    enterprise = EnterpriseFactory(
        credit_code=code,
        name="衢州云图科技有限公司",
        registered_region="浙江省衢州市",
        registration_place=place,
        legal_representative="周九",
    )
    Qualification.objects.create(
        enterprise=enterprise, kind=Qualification.Kind.PROVINCIAL_TECH_SME, year=today.year - 1
    )
    for year in range(today.year - 3, today.year):
        AnnualFigure.objects.create(
            enterprise=enterprise,
            year=year,
            revenue=Decimal("9000000.00"),
            profit=Decimal("700000.00"),
        )
    ProgramListing.objects.create(
        program=quzhou,
        credit_code=code,
        name=enterprise.name,
        registration_place=place,
        listed_on=dt.date(2024, 1, 1),
    )
    UserFactory(username="qz_applicant", role=Role.ENTERPRISE, enterprise=enterprise)
    clerk_user = UserFactory(username="qz_clerk", role=Role.BANK, bank=bank)
    UserFactory(username="qz_other_clerk", role=Role.BANK, bank=other)
    staff_user = UserFactory(username="qz_staff", role=Role.BUREAU_STAFF, program=quzhou)
    voucher = tmp_path / "放款凭证.pdf"
    voucher.write_bytes(PDF)

    # 1. The enterprise fills 附件1 and submits it to 衢州科创银行.
    applicant = new_page("qz_applicant")
    applicant.goto("/applications/new/quzhou/")
    applicant.fill("#id_amount_wan", "150")
    applicant.select_option("#id_bank", label="衢州科创银行")
    applicant.fill("#id_planned_disbursement_on", today.isoformat())
    applicant.fill("#id_term_months", "12")
    submit(applicant, "form.application-form button[type=submit]")
    applicant.fill("#id_qz-project_name", "工业互联网云图平台")
    applicant.fill("#id_qz-company_intro", "公司从事工业数据分析。")
    applicant.fill("#id_qz-project_intro", "研发面向中小制造企业的云图平台。")
    # 附件1's contact (issue 16) is required for submission.
    applicant.fill("#id_qz-contact_name", "周九")
    applicant.fill("#id_qz-contact_phone", "0570-8012345")
    submit(applicant, "form.application-form button[type=submit]")
    applicant.fill("#id_name", "吴十")
    applicant.fill("#id_id_number", "11010519491231002X")
    submit(applicant, "form.team-form button[type=submit]")
    applicant.click("text=检查并提交")
    submit(applicant, "form.submit-form button[type=submit]")
    application = Application.objects.get(enterprise=enterprise)
    assert application.state == Application.State.BANK_REVIEW and application.bank == bank
    steps = applicant.locator("ol.steps li")
    assert steps.first.get_attribute("aria-current") == "step"  # 银行审核
    assert "银行审核" in steps.first.inner_text()

    # 2. The bank finds it in its queue; the other bank on file does not.
    other_clerk = new_page("qz_other_clerk")
    other_clerk.goto("/review/queue/")
    assert application.reference not in other_clerk.locator("main").inner_text()
    clerk = new_page("qz_clerk")
    clerk.goto("/review/queue/")
    clerk.click(f"text={application.reference}")
    body = clerk.locator("main").inner_text()
    assert "衢州云图科技有限公司" in body and "领导专班" not in body and "公示" not in body
    nav = clerk.locator("nav.main-nav").inner_text()
    assert "风险补偿" not in nav and "黑名单" not in nav
    # It agrees on its own: the approval letter is printed from the decision.
    clerk.fill("#id_credit_amount", "1,500,000.00")
    clerk.fill("#id_annual_rate", "3.0")
    clerk.fill("#id_term_months", "12")
    clerk.fill("#id_opinion", "经本行独立审核，同意放贷。")
    clerk.fill("#id_head_name", "郑行长")
    submit(clerk, "#bank-accept")
    assert state_of(clerk) == "已授信"
    with clerk.expect_download() as letter:
        clerk.click("#approval-letter")
    assert letter.value.suggested_filename.endswith("approval-letter.pdf")

    # 3. It disburses on the application's page with the voucher: the loan opens and the report goes out.
    clerk.fill("#id_contract_no", "QZ-KC-2026-001")
    clerk.fill("#id_contract_date", today.isoformat())  # required since issue 16
    clerk.fill("#id_disbursement_date", today.isoformat())
    clerk.fill("#id_maturity_date", maturity.isoformat())
    clerk.fill("#id_principal", "1,500,000.00")
    clerk.fill("#id_annual_rate", "3.0")
    clerk.set_input_files("#id_voucher", str(voucher))
    submit(clerk, "#disburse")
    assert state_of(clerk) == "已报送科技局", clerk.locator("main").inner_text()
    loan = Loan.objects.get(contract_no="QZ-KC-2026-001")
    assert loan.application == application and loan.principal == Decimal("1500000.00")
    assert LoanDocument.objects.get(loan=loan).kind == LoanDocument.Kind.DISBURSEMENT_VOUCHER

    # 4. The city bureau finds the report in its queue and asks for a clearer voucher.
    bureau = new_page("qz_staff")
    bureau.goto("/review/queue/")
    bureau.click(f"text={application.reference}")
    assert "放款凭证.pdf" in bureau.locator("main").inner_text()
    bureau.click("summary:has-text('要求银行更正')")
    bureau.fill("#id_reason", "放款凭证盖章不清，请重新上传。")
    submit(bureau, "#request-correction")
    assert state_of(bureau) == "科技局要求更正"

    # 5. The bank reads the request, uploads the voucher again and says what it corrected.
    clerk.goto(f"/review/applications/{application.public_id}/")
    assert "放款凭证盖章不清" in clerk.locator("#correction-request").inner_text()
    clerk.fill("#id_note", "已重新扫描并上传清晰的放款凭证。")
    clerk.set_input_files("#id_voucher", str(voucher))
    submit(clerk, "#report")
    assert state_of(clerk) == "已报送科技局"

    # 6. The bureau acknowledges the report.
    bureau.goto(f"/review/applications/{application.public_id}/")
    bureau.fill("#id_comment", "附件1和放款凭证已收到。")
    submit(bureau, "#acknowledge")
    assert state_of(bureau) == "科技局已确认"

    # The enterprise followed every step: its page shows them done, its inbox the hand-overs.
    applicant.goto(f"/applications/{application.public_id}/")
    current = applicant.locator("ol.steps li[aria-current=step]")
    assert current.inner_text().endswith("科技局已确认")
    assert applicant.locator("ol.steps li.step-done").count() == 4
    applicant.goto("/review/inbox/")
    assert applicant.locator("ul.inbox li").count() == 7
    application.refresh_from_db()
    assert application.state == Application.State.ACKNOWLEDGED
    trail = list(
        AuditEntry.objects.for_object(application)
        .filter(action__startswith="applications.application.")
        .exclude(to_state="")  # the steps (drafting and saving are not)
        .exclude(from_state="", to_state="draft")
        .order_by("at", "pk")
        .values_list("action", "actor")
    )
    assert [action.rsplit(".", 1)[1] for action, _actor in trail] == [
        "submitted",
        "bank_accept",
        "disburse",
        "report",
        "request_correction",
        "report",
        "acknowledge",
    ]
    assert {actor for _action, actor in trail[1:4]} == {clerk_user.pk}
    assert trail[-1][1] == staff_user.pk
    assert Notification.objects.filter(user=staff_user, application=application).count() == 2
    assert re.search(r"QZ-", application.reference)
