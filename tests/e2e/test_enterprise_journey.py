"""Done when (issue 3): a new enterprise registers, verifies its e-mail address, has its account confirmed
by the bureau (issue 17), fills its profile, sees its checklist change with a high-tech certificate, submits a Changjiang application with materials and downloads 附件3 and 附件4;
the same for a Quzhou 附件1."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from django.core import mail
from django.utils import timezone

from applications.credit_code import check_character
from applications.models import Application, Program, ProgramListing
from kedaitong.roles import Role
from tests.e2e.conftest import RESULTS
from tests.factories import BankAgreementFactory, BankFactory, UserFactory

# slow: among the longest browser tests, started first (see tests/e2e/test_phone_width.py).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.slow]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_text(path: str) -> str:
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, check=True).stdout.decode()
    return "".join(text.split())


def download(page, selector: str) -> str:
    with page.expect_download() as info:
        page.click(selector)
    return str(info.value.path())


def submit_form(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def test_a_new_enterprise_applies_to_both_programs(page, new_page, tmp_path):
    changjiang = Program.objects.get(code="changjiang")
    quzhou = Program.objects.get(code="quzhou")
    bank = BankFactory(code="cj-bank", name="昌江测试银行")
    BankAgreementFactory(
        bank=bank, program=changjiang, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2099, 1, 1)
    )
    qz_bank = BankFactory(code="qz-bank", name="衢州测试银行")
    BankAgreementFactory(
        bank=qz_bank, program=quzhou, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2099, 1, 1)
    )
    first17 = "91360202MA9E2E001"
    code = first17 + check_character(first17)
    ProgramListing.objects.create(
        program=quzhou,
        credit_code=code,
        name="浏览器测试科技有限公司",
        listed_on=dt.date(2025, 1, 1),
    )
    evidence = tmp_path / "certificate.pdf"
    evidence.write_bytes(PDF)

    # 1. Registration.
    page.goto("/enterprise/register/")
    for name, value in {
        "credit_code": code,
        "name": "浏览器测试科技有限公司",
        "display_name": "周八",
        "email": "zhou@example.invalid",
        "username": "zhouba",
        "password1": "Kedaitong-e2e-2026",
        "password2": "Kedaitong-e2e-2026",
    }.items():
        page.fill(f"#id_{name}", value)
    submit_form(page, "form.register-form")
    assert page.url.endswith("/enterprise/account/")

    # 1a. Issue 17: the e-mail address is verified and the Changjiang bureau confirms the account
    # against the business licence and the authorization letter.
    (verification,) = [m for m in mail.outbox if m.to == ["zhou@example.invalid"]]
    link = re.search(r"(/enterprise/account/verify/\S+/)", verification.body).group(1)
    page.goto(link)
    submit_form(page, "form.verify-form")
    page.goto("/enterprise/account/")
    assert "已验证" in page.locator("main").inner_text()
    page.select_option("#id_program", label=changjiang.name)
    page.set_input_files("#id_licence", str(evidence))
    page.set_input_files("#id_authorization", str(evidence))
    submit_form(page, "form.claim-form")
    assert "等待主管部门确认" in page.locator("main").inner_text()
    UserFactory(username="e2e-staff", role=Role.BUREAU_STAFF, program=changjiang)
    staff = new_page("e2e-staff")
    staff.goto("/enterprise-claims/")
    staff.click("text=注册账户确认")
    staff.check("input[name=decision][value=confirm]")
    submit_form(staff, "form.decide-form")
    assert "已确认" in staff.locator("main").inner_text()
    page.goto("/enterprise/profile/")

    # 2. Profile.
    for name, value in {
        "registered_region": "江西省景德镇市昌江区",
        "address": "景德镇市昌江区测试路8号",
        "legal_representative": "周八",
        "contact_name": "周八",
        "contact_phone": "0798-8888888",
        "founded_on": "2019-05-20",
        "registered_capital": "10000000",
        "paid_in_capital": "8000000",
        "employees": "60",
        "revenue": "20000000",
        "last_year_sales": "20000000",
        "last_year_tax": "1000000",
        "main_business": "工业检测设备",
        "kedaitong_entry_no": "KDT-E2E-0001",
        # Quzhou 附件1: IP counts, staff, the last year's high-tech revenue and R&D expense.
        "ip_invention": "2",
        "ip_utility": "6",
        "ip_design": "0",
        "ip_software": "3",
        "ip_ic_layout": "0",
        "ip_plant_variety": "0",
        "ip_other": "0",
        "staff_college_tech": "25",
        "staff_rnd": "12",
        "staff_rnd_recruited": "2",
        "high_tech_revenue": "12000000",
        "rnd_expense": "1500000",
    }.items():
        page.fill(f"#id_{name}", value)
    page.select_option("#id_industry", "industrial")
    page.select_option("#id_registration_place", label="市本级")
    submit_form(page, "form.profile-form")
    assert page.locator("#sme-size").inner_text() == "小型企业"
    this_year = timezone.localdate().year  # the bureau's year, as the submission check counts it
    for year in range(this_year - 3, this_year):  # 附件1 近3年
        page.fill("#id_figure_year", str(year))
        page.fill("#id_figure_revenue", "18000000")
        page.fill("#id_figure_profit", "1500000")
        submit_form(page, "form.figure-form")

    # 3. The checklist changes with a high-tech certificate.
    page.goto("/")
    tech = page.locator("#checklist-changjiang [data-code='changjiang.tech']")
    assert "rule-fail" in (tech.get_attribute("class") or "")
    page.goto("/enterprise/qualifications/")
    page.select_option("#id_kind", "high_tech")
    page.fill("#id_number", "GR202436000999")
    page.fill("#id_valid_until", "2099-12-31")
    page.set_input_files("#id_evidence", str(evidence))
    submit_form(page, "form.qualification-form")
    page.select_option("#id_kind", "provincial_tech_sme")
    page.fill("#id_year", "2025")
    submit_form(page, "form.qualification-form")
    page.goto("/")
    assert "rule-pass" in (tech.get_attribute("class") or "")
    assert "2099-12-31" in tech.inner_text()

    # 4. A Changjiang application with its materials.
    page.click("a[href='/applications/new/changjiang/']")
    page.fill("#id_amount_wan", "123.45")
    page.fill("#id_purpose", "扩大检测设备研发投入")
    page.select_option("#id_bank", label="昌江测试银行")
    page.fill("#id_planned_disbursement_on", "2099-01-15")
    page.fill("#id_term_months", "12")
    page.fill("#id_annual_rate", "3.45")
    page.select_option("#id_product_type", label="科技周转贷")
    submit_form(page, "form.application-form")
    for number in range(1, 11):
        page.select_option(
            "#id_material_type",
            label=page.locator("#id_material_type option").nth(number).inner_text(),
        )
        page.set_input_files("#id_file", str(evidence))
        submit_form(page, "form.material-form")
    page.click("text=检查并提交")
    submit_form(page, "form.submit-form")
    application = Application.objects.get(
        program_version__program=changjiang, enterprise__credit_code=code
    )
    assert application.state == Application.State.SUBMITTED and application.submitted_pdf_sha256
    for annex in ("annex3", "annex4"):
        text = pdf_text(download(page, f"a.annex-link[data-annex='{annex}']"))
        assert "浏览器测试科技有限公司" in text and "壹佰贰拾叁万肆仟伍佰元整" in text, annex

    # 5. A Quzhou application: 附件1. The enterprise has moved to Quzhou (一(一) checks the region against the
    # chosen registration place); the submitted Changjiang application keeps its frozen record.
    page.goto("/enterprise/profile/")
    page.fill("#id_registered_region", "浙江省衢州市柯城区")
    page.fill("#id_address", "衢州市柯城区测试路8号")
    submit_form(page, "form.profile-form")
    page.goto("/applications/new/quzhou/")
    page.fill("#id_amount_wan", "300")
    page.select_option("#id_bank", label="衢州测试银行")
    page.fill("#id_planned_disbursement_on", "2099-01-15")
    page.fill("#id_term_months", "36")
    submit_form(page, "form.application-form")
    page.fill("#id_qz-project_name", "智能检测装备研发")
    page.fill("#id_qz-company_intro", "公司专注工业检测设备。")
    page.fill("#id_qz-project_intro", "研发新一代检测装备。")
    page.fill("#id_qz-contact_name", "郑雯")
    page.fill("#id_qz-contact_phone", "0570-8654321")
    submit_form(page, "form.application-form")
    page.fill("#id_name", "王五")
    page.fill("#id_id_number", "11010519491231002X")
    submit_form(page, "form.team-form")
    page.click("text=检查并提交")
    submit_form(page, "form.submit-form")
    quzhou_application = Application.objects.get(
        program_version__program=quzhou, enterprise__credit_code=code
    )
    # Quzhou 二: the application goes to the chosen bank, which reviews it on its own.
    assert quzhou_application.state == Application.State.BANK_REVIEW
    text = pdf_text(download(page, "a.annex-link[data-annex='annex1']"))
    assert "浏览器测试科技有限公司" in text and "叁佰万元整" in text and "智能检测装备研发" in text
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "enterprise-quzhou-submitted.png"), full_page=True)
