"""The Quzhou path in real Chromium, from the enterprise's 附件1 application to the banks' interest files (issue 9's
e2e item, issue 7's Done-when):

an enterprise on the bureau's list submits 附件1 to a bank on file; the bank (which approves on its own, 二)
registers the disbursement on the one-loan form, sends the application form and the voucher copy, and uploads
its interest file; a second bank registers its loan with the disbursements upload and its interest file; the
bureau cannot compute the subsidy of the year yet, since it is not over (四(一)).

Dates: the loans are disbursed today (a bank may not report a future disbursement) and their first interest is
settled today. The subsidy of a closed year, through every stage of 四(一), is tests/e2e/test_subsidy.py.
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
    Enterprise,
    Program,
    ProgramListing,
    Qualification,
    RegistrationPlace,
)
from kedaitong.roles import Role
from loans.delinquency import months_later
from loans.models import InterestSettlement, Loan, LoanDocument, RecordUpload
from subsidy.models import SubsidyRun
from tests.conftest import assume_lpr_through
from tests.e2e.conftest import confirm_if_asked
from tests.factories import (
    BankAgreementFactory,
    BankFactory,
    EnterpriseFactory,
    UserFactory,
    credit_code,
)
from tests.loans.sheets import DISBURSEMENTS, INTEREST, xlsx

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    confirm_if_asked(page)  # what cannot be undone is restated first (issue 18 item 4)


def upload_records(page, kind: str, program: str, path: str) -> str:
    """A bank clerk uploads a records file, sees every row correct, confirms; returns the saved page's text."""
    page.goto("/loans/uploads/")
    page.select_option("select[name=kind]", kind)
    page.select_option("select[name=program]", label=program)
    page.set_input_files("input[name=file]", path)
    page.click("#upload-submit")
    page.wait_for_url(re.compile(r"/loans/uploads/[0-9a-f-]{36}/$"))
    assert page.locator("#count-errors").inner_text() == "0", page.locator("main").inner_text()
    assert page.locator("#count-created").inner_text() == "1"
    submit(page, "#upload-confirm")
    assert page.locator("#upload-state").inner_text() == "已保存"
    return page.locator("main").inner_text()


def test_a_quzhou_loan_from_application_to_the_banks_interest_file(new_page, tmp_path):
    # On file before the story starts: the program's list, two banks with agreements, the people.
    quzhou = Program.objects.get(code="quzhou")
    place = RegistrationPlace.objects.get(program=quzhou, name="市本级")
    today = (
        timezone.localdate()
    )  # the bureau's day (Asia/Shanghai), also when the server's clock is on UTC's yesterday
    year = today.year
    maturity = months_later(today, 12)
    assume_lpr_through(today)  # the rate rule needs the LPR in force today, whenever the suite runs
    bank_a = BankFactory(code="qz-a", name="衢州甲银行")
    bank_b = BankFactory(code="qz-b", name="衢州乙银行")
    for bank in (bank_a, bank_b):
        BankAgreementFactory(
            bank=bank, program=quzhou, starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2099, 12, 31)
        )
    code_a, code_b = credit_code(801, region="330802"), credit_code(802, region="330802")
    enterprise = EnterpriseFactory(
        credit_code=code_a,
        name="衢州智检科技有限公司",
        registered_region="浙江省衢州市",
        registration_place=place,
        legal_representative="钱七",
    )
    Qualification.objects.create(
        enterprise=enterprise, kind=Qualification.Kind.PROVINCIAL_TECH_SME, year=year - 1
    )
    for figure_year in range(year - 3, year):  # 附件1 近3年销售收入和利润, checked at submission
        AnnualFigure.objects.create(
            enterprise=enterprise,
            year=figure_year,
            revenue=Decimal("9000000.00"),
            profit=Decimal("700000.00"),
        )
    ProgramListing.objects.create(
        program=quzhou,
        credit_code=code_a,
        name=enterprise.name,
        registration_place=place,
        listed_on=dt.date(2024, 1, 1),
    )
    ProgramListing.objects.create(
        program=quzhou,
        credit_code=code_b,
        name="衢州新材料有限公司",
        registration_place=place,
        listed_on=dt.date(2024, 1, 1),
    )
    UserFactory(username="qz_applicant", role=Role.ENTERPRISE, enterprise=enterprise)
    UserFactory(username="qz_bank_a", role=Role.BANK, bank=bank_a)
    UserFactory(username="qz_bank_b", role=Role.BANK, bank=bank_b)
    UserFactory(username="qz_staff", role=Role.BUREAU_STAFF, program=quzhou)
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(PDF)

    # 1. The enterprise fills and submits 附件1 to bank A.
    applicant = new_page("qz_applicant")
    applicant.goto("/applications/new/quzhou/")
    applicant.fill("#id_amount_wan", "100")
    applicant.select_option("#id_bank", label="衢州甲银行")
    applicant.fill("#id_planned_disbursement_on", today.isoformat())
    applicant.fill("#id_term_months", "12")
    submit(applicant, "form.application-form button[type=submit]")
    applicant.fill("#id_qz-project_name", "在线视觉检测系统")
    applicant.fill("#id_qz-company_intro", "公司专注工业视觉检测。")
    applicant.fill("#id_qz-project_intro", "研发产线在线视觉检测系统。")
    applicant.fill("#id_qz-contact_name", "郑雯")
    applicant.fill("#id_qz-contact_phone", "0570-8123456")
    submit(applicant, "form.application-form button[type=submit]")
    applicant.fill("#id_name", "孙八")
    applicant.fill("#id_id_number", "11010519491231002X")
    submit(applicant, "form.team-form button[type=submit]")
    applicant.click("text=检查并提交")
    submit(applicant, "form.submit-form button[type=submit]")
    application = Application.objects.get(enterprise=enterprise, program_version__program=quzhou)
    assert application.state == Application.State.BANK_REVIEW and application.bank == bank_a
    assert application.amount == Decimal("1000000.00") and application.submitted_pdf_sha256

    # 2. Bank A sees the application, registers its disbursement on the one-loan form ...
    clerk_a = new_page("qz_bank_a")
    clerk_a.goto(f"/applications/{application.public_id}/")
    assert "衢州智检科技有限公司" in clerk_a.locator("main").inner_text()
    clerk_a.goto("/loans/new/")
    clerk_a.select_option("#id_program", label=quzhou.name)
    for name, value in {
        "credit_code": code_a,
        "contract_no": "QZ-A-001",
        "contract_date": today.isoformat(),
        "disbursement_date": today.isoformat(),
        "maturity_date": maturity.isoformat(),
        "principal": "1,000,000.00",
        "annual_rate": "3.00",
        "purpose": "在线视觉检测系统研发",
    }.items():
        clerk_a.fill(f"#id_{name}", value)
    submit(clerk_a, "main form button[type=submit]")
    assert re.search(r"/loans/[0-9a-f-]{36}/$", clerk_a.url), clerk_a.locator("main").inner_text()
    loan_a = Loan.objects.get(bank=bank_a, contract_no="QZ-A-001")
    assert (
        loan_a.enterprise,
        loan_a.principal,
        loan_a.lpr_at_pricing,
        loan_a.program_version.code,
    ) == (enterprise, Decimal("1000000.00"), Decimal("3.00"), "2023")
    # ... sends the application form and the voucher copy (Quzhou 二) ...
    for kind in (LoanDocument.Kind.APPLICATION_FORM, LoanDocument.Kind.DISBURSEMENT_VOUCHER):
        clerk_a.click("a[href*='/documents/new/']")
        assert (
            clerk_a.locator("select[name=kind]").input_value() == kind
        )  # the link names the document still missing
        clerk_a.set_input_files("input[name=file]", str(pdf))
        submit(clerk_a, "main form[enctype] button[type=submit]")
        assert clerk_a.locator(".message-success").count() == 1
    assert "尚未报送" not in clerk_a.locator("main").inner_text()
    assert sorted(
        LoanDocument.objects.filter(loan=loan_a).values_list("kind", flat=True)
    ) == sorted(LoanDocument.Kind.values)
    # ... and its interest file: 1,000,000.00 at 3.00% for one day (act/360) is 83.33 yuan.
    interest_a = tmp_path / "甲银行结息.xlsx"
    interest_a.write_bytes(
        xlsx(
            INTEREST,
            [
                [
                    "QZ-A-001",
                    "qz-a",
                    today.isoformat(),
                    today.isoformat(),
                    today.isoformat(),
                    "83.33",
                    "否",
                ]
            ],
        )
    )
    upload_records(clerk_a, "interest", quzhou.name, str(interest_a))

    # 3. Bank B reports its loan with the disbursements upload (the enterprise is only on the list: created from it).
    clerk_b = new_page("qz_bank_b")
    disbursements = tmp_path / "乙银行放款.xlsx"
    disbursements.write_bytes(
        xlsx(
            DISBURSEMENTS,
            [
                [
                    "QZ-B-001",
                    "qz-b",
                    code_b,
                    today.isoformat(),
                    today.isoformat(),
                    maturity.isoformat(),
                    "500,000.00",
                    "2.90",
                ]
            ],
        )
    )
    saved = upload_records(clerk_b, "disbursements", quzhou.name, str(disbursements))
    assert "QZ-B-001" in saved
    interest_b = tmp_path / "乙银行结息.xlsx"
    interest_b.write_bytes(
        xlsx(
            INTEREST,
            [
                [
                    "QZ-B-001",
                    "qz-b",
                    today.isoformat(),
                    today.isoformat(),
                    today.isoformat(),
                    "40.28",
                    "否",
                ]
            ],
        )
    )
    upload_records(clerk_b, "interest", quzhou.name, str(interest_b))
    loan_b = Loan.objects.get(bank=bank_b, contract_no="QZ-B-001")
    assert loan_b.enterprise.name == "衢州新材料有限公司" and loan_b.upload is not None
    assert InterestSettlement.objects.filter(loan__in=[loan_a, loan_b]).count() == 2
    assert RecordUpload.objects.filter(state=RecordUpload.State.SAVED).count() == 3

    # 4. The year is not over: the run waits for a closed year (四(一): every March, the previous year).
    #    The run of a closed year through every stage is tests/e2e/test_subsidy.py.
    bureau = new_page("qz_staff")
    bureau.goto(f"/subsidy/runs/?year={year}&budget=100000")
    assert f"{year}年尚未结束" in bureau.locator("main").inner_text()
    assert not SubsidyRun.objects.exists()
    assert Enterprise.objects.filter(credit_code=code_b).count() == 1
