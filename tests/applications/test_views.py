"""The enterprise's pages: registration, invitations, profile, qualifications, drafts, uploads, submission, PDFs."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from applications.credit_code import check_character
from applications.models import Application, Enterprise, Material, MaterialType, Qualification
from kedaitong.models import AuditEntry, User
from tests.factories import credit_code

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def registration(code: str, username: str = "new-user") -> dict[str, str]:
    return {
        "credit_code": code,
        "name": "新合作社",
        "display_name": "赵六",
        "email": f"{username}@example.invalid",
        "username": username,
        "password1": "Kedaitong-test-2026",
        "password2": "Kedaitong-test-2026",
    }


def test_a_cooperative_registers_with_a_code_starting_with_n(db):
    first17 = "N2360202MA0000001"
    response = Client().post(
        "/enterprise/register/", registration(first17 + check_character(first17))
    )
    assert response.status_code == 302 and response["Location"] == "/enterprise/account/"
    user = User.objects.get(username="new-user")
    assert user.enterprise.credit_code.startswith("N2") and user.role == "enterprise"


def test_an_invalid_code_is_a_field_error_naming_the_rule(db):
    code = credit_code(5)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    response = Client().post("/enterprise/register/", registration(wrong))
    assert response.status_code == 200
    assert "GB 32100-2015" in response.content.decode()
    assert 'value="新合作社"' in response.content.decode()  # what was typed is kept
    assert not Enterprise.objects.filter(credit_code=wrong).exists()


def test_a_second_registration_of_a_code_points_to_the_existing_account(cast):
    response = Client().post("/enterprise/register/", registration(cast.enterprise_a.credit_code))
    assert response.status_code == 200
    assert "甲科技有限公司" in response.content.decode()
    assert Enterprise.objects.filter(credit_code=cast.enterprise_a.credit_code).count() == 1


def test_a_colleague_is_invited_and_sets_a_password_once(cast, django_capture_on_commit_callbacks):
    client = client_for(cast.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/enterprise/colleagues/", {"display_name": "钱七", "email": "qian@example.invalid"}
        )
    assert response.status_code == 302
    invited = User.objects.get(username="qian@example.invalid")
    assert invited.enterprise == cast.enterprise_a and not invited.has_usable_password()
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    browser = Client()
    form_page = browser.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = browser.post(
        set_url, {"new_password1": "Qian-new-pass-2026", "new_password2": "Qian-new-pass-2026"}
    )
    assert done.status_code == 302
    invited.refresh_from_db()
    assert invited.check_password("Qian-new-pass-2026")
    again = Client().get(link, follow=True)
    assert "new_password1" not in again.content.decode()  # the link worked once


def test_only_enterprises_invite(cast):
    assert (
        client_for(cast.bureau_staff)
        .post("/enterprise/colleagues/", {"display_name": "x", "email": "x@example.invalid"})
        .status_code
        == 403
    )


def test_the_profile_shows_the_sme_size_with_its_thresholds(cast):
    client = client_for(cast.applicant)
    data = {
        "name": "甲科技有限公司",
        "registered_region": "江西省景德镇市昌江区",
        "industry": "software",
        "employees": "120",
        "revenue": "15000000",
    }
    assert client.post("/enterprise/profile/", data).status_code == 302
    page = client.get("/enterprise/profile/").content.decode()
    assert "中型企业" in page and "软件和信息技术服务业" in page
    assert AuditEntry.objects.filter(action="applications.enterprise.updated").exists()


def test_the_checklist_changes_when_a_high_tech_certificate_is_added(cast):
    client = client_for(cast.applicant)
    home = client.get("/").content.decode()
    assert "暂不符合申请条件" in home
    response = client.post(
        "/enterprise/qualifications/",
        {
            "kind": "high_tech",
            "number": "GR202436000123",
            "valid_until": "2027-12-01",
            "evidence": SimpleUploadedFile("cert.pdf", PDF),
        },
    )
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert "国家高新技术企业证书有效期至2027-12-01" in home


def test_a_bad_evidence_file_is_refused_and_the_form_kept(cast):
    response = client_for(cast.applicant).post(
        "/enterprise/qualifications/",
        {
            "kind": "high_tech",
            "number": "GR-KEPT",
            "valid_until": "2027-12-01",
            "evidence": SimpleUploadedFile("cert.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    assert response.status_code == 200
    assert "GR-KEPT" in response.content.decode()
    assert not Qualification.objects.exists()


def test_an_amount_over_the_limit_is_a_field_error_citing_the_article(cast):
    before = Application.objects.count()
    response = client_for(cast.applicant).post(
        "/applications/new/changjiang/", {"amount_wan": "500.01", "term_months": "12"}
    )
    assert response.status_code == 200
    # Typed in 万元, refused in 万元 (issue 18 item 8).
    assert response.context["form"].errors["amount_wan"] == [
        "最高不超过500万元（昌江细则第一条）。"
    ]
    assert "最高不超过500万元（昌江细则第一条）。" in response.content.decode()
    assert "5,000,000" not in response.content.decode()
    assert 'value="500.01"' in response.content.decode()  # what was typed is kept
    assert Application.objects.count() == before


def test_a_quzhou_amount_over_the_limit_cites_annex_1(cast):
    response = client_for(cast.applicant).post(
        "/applications/new/quzhou/", {"amount_wan": "500.000001", "term_months": "12"}
    )
    assert response.context["form"].errors["amount_wan"] == ["最高不超过500万元（衢州方案附件1）。"]


def test_a_quzhou_term_over_three_years_is_a_field_error(cast):
    before = Application.objects.count()
    response = client_for(cast.applicant).post(
        "/applications/new/quzhou/", {"amount_wan": "100", "term_months": "37"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["term_months"] == [
        "单笔贷款期限不超过36个月（衢州方案一（二））。"
    ]
    assert "单笔贷款期限不超过36个月（衢州方案一（二））。" in response.content.decode()
    assert 'value="37"' in response.content.decode()
    assert Application.objects.count() == before


def test_an_evidence_file_over_the_size_limit_is_refused_and_the_form_kept(cast, settings):
    settings.UPLOAD_MAX_MB = 1
    response = client_for(cast.applicant).post(
        "/enterprise/qualifications/",
        {
            "kind": "high_tech",
            "number": "GR-BIG-KEPT",
            "valid_until": "2027-12-01",
            "evidence": SimpleUploadedFile("cert.pdf", PDF + b"0" * (1024 * 1024)),
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "文件大小为1.0 MB，最大允许1 MB。" in page
    assert 'value="GR-BIG-KEPT"' in page and 'value="2027-12-01"' in page
    assert '<option value="high_tech" selected>' in page
    assert not Qualification.objects.exists()


def test_a_material_over_the_size_limit_is_refused_and_the_page_kept(cast, settings):
    settings.UPLOAD_MAX_MB = 1
    cast.application_a.delete()
    client = client_for(cast.applicant)
    client.post("/applications/new/changjiang/", {"amount_wan": "123.45", "purpose": "扩大研发"})
    application = Application.objects.get(state="draft")
    material = MaterialType.objects.get(program=cast.changjiang, number=3)
    response = client.post(
        f"/applications/{application.public_id}/materials/",
        {
            "material_type": material.pk,
            "file": SimpleUploadedFile("licence.pdf", PDF + b"0" * (2 * 1024 * 1024)),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "文件大小为2.0 MB，最大允许1 MB。" in page
    assert f'<option value="{material.pk}" selected>' in page  # the chosen material stays chosen
    assert (
        "扩大研发" in page and 'value="123.45"' in page
    )  # the rest of the application is shown as saved
    assert not Material.objects.exists()


def test_a_draft_is_saved_and_resumed(cast):
    client = client_for(cast.applicant)
    response = client.post(
        "/applications/new/changjiang/",
        {"amount_wan": "123.45", "purpose": "研发", "bank": cast.bank_x.pk},
    )
    application = Application.objects.get(state="draft")
    assert response["Location"] == f"/applications/{application.public_id}/edit/"
    assert application.amount == Decimal("1234500.00")
    page = client.get(response["Location"]).content.decode()
    assert "壹佰贰拾叁万肆仟伍佰元整" in page and "研发" in page


def test_a_wrong_upload_is_refused_with_the_reason(cast):
    cast.application_a.delete()
    client = client_for(cast.applicant)
    client.post("/applications/new/changjiang/", {"amount_wan": "100"})
    application = Application.objects.get(state="draft")
    material = MaterialType.objects.get(program=cast.changjiang, number=3)
    response = client.post(
        f"/applications/{application.public_id}/materials/",
        {
            "material_type": material.pk,
            "file": SimpleUploadedFile("licence.pdf", b"<html>no</html>"),
        },
    )
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    ok = client.post(
        f"/applications/{application.public_id}/materials/",
        {
            "material_type": material.pk,
            "file": SimpleUploadedFile("licence.pdf", PDF),
        },
    )
    assert ok.status_code == 302 and Material.objects.count() == 1


def test_other_roles_cannot_act_on_the_enterprise_application(cast):
    url = f"/applications/{cast.application_a.public_id}/submit/"
    assert client_for(cast.other_applicant).post(url).status_code == 404
    assert client_for(cast.bank_x_user).post(url).status_code == 403
    assert client_for(cast.auditor).post(url).status_code == 403


def test_submit_page_lists_every_problem_and_post_refuses(cast):
    cast.application_a.delete()
    client = client_for(cast.applicant)
    client.post("/applications/new/changjiang/", {"amount_wan": "100"})
    application = Application.objects.get(state="draft")
    page = client.get(f"/applications/{application.public_id}/submit/").content.decode()
    assert "有效营业执照副本" in page and "拟放款日期" in page
    response = client.post(f"/applications/{application.public_id}/submit/", follow=True)
    assert "第六条（一）1、2" in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == "draft"


def pdf_text(data: bytes) -> str:
    """The PDF's text without white space (pdftotext breaks lines inside phrases)."""
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return "".join(text.split())


def test_annex_3_holds_the_name_and_the_amount_in_capitals(cast):
    response = client_for(cast.bank_x_user).get(
        f"/applications/{cast.application_a.public_id}/pdf/annex3/"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "甲科技有限公司" in text and "壹佰万元整" in text


@pytest.mark.parametrize("annex", ["annex2", "annex3", "annex4"])
def test_each_annex_embeds_one_cjk_face_subset(cast, annex):
    """A4, the CJK face embedded (printable anywhere), and only one face: each costs its subsetting time."""
    data = (
        client_for(cast.applicant)
        .get(f"/applications/{cast.application_a.public_id}/pdf/{annex}/")
        .content
    )
    fonts = (
        subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True)
        .stdout.decode()
        .splitlines()[2:]
    )
    assert fonts and all(" yes " in line.split("CID", 1)[-1] for line in fonts), (
        fonts
    )  # emb yes, sub yes
    assert {line.split()[0].split("+", 1)[1] for line in fonts} == {"Noto-Serif-CJK-SC"}, fonts
    size = subprocess.run(
        ["pdfinfo", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert "595.276 x 841.89 pts (A4)" in size


def test_user_text_cannot_embed_local_files(cast):
    cast.enterprise_a.address = "<link rel=attachment href='file:///etc/hostname'>"
    cast.enterprise_a.save()
    data = (
        client_for(cast.applicant)
        .get(f"/applications/{cast.application_a.public_id}/pdf/annex4/")
        .content
    )
    assert b"/EmbeddedFile" not in data
    assert "rel=attachment" in pdf_text(data)  # shown as text, escaped


def test_quzhou_dates_and_ids_in_the_team(cast):
    client = client_for(cast.applicant)
    client.post(
        "/applications/new/quzhou/",
        {"amount_wan": "100", "term_months": "24", "planned_disbursement_on": dt.date(2026, 12, 1)},
    )
    application = Application.objects.get(state="draft", program_version__program=cast.quzhou)
    bad = client.post(
        f"/applications/{application.public_id}/team/",
        {"name": "王五", "id_number": "110105194912310021"},
    )
    assert bad.status_code == 400 and "GB 11643" in bad.content.decode()
    good = client.post(
        f"/applications/{application.public_id}/team/",
        {"name": "王五", "id_number": "11010519491231002x"},
    )
    assert good.status_code == 302 and application.team.get().id_number == "11010519491231002X"
    long_intro = client.post(
        f"/applications/{application.public_id}/edit/",
        {
            "amount_wan": "100",
            "term_months": "24",
            "qz-company_intro": "字" * 501,
        },
    )
    assert "现为501字" in long_intro.content.decode()


def test_patent_rows_are_added_once_and_removed_with_an_audit_row(cast):
    client = client_for(cast.applicant)
    row = {"number": "ZL202310000009.1", "title": "一种釉料配方"}
    assert client.post("/enterprise/patents/", row).status_code == 302
    again = client.post("/enterprise/patents/", row, follow=True)
    assert cast.enterprise_a.patents.count() == 1 and "该条记录已存在" in again.content.decode()
    patent = cast.enterprise_a.patents.get()
    assert (
        client_for(cast.other_applicant)
        .post(f"/enterprise/patents/{patent.pk}/delete/")
        .status_code
        == 404
    )
    assert client.post(f"/enterprise/patents/{patent.pk}/delete/").status_code == 302
    assert not cast.enterprise_a.patents.exists()
    assert AuditEntry.objects.filter(action="applications.patent.removed").count() == 1


def test_a_double_click_on_save_draft_makes_one_application(cast):
    client = client_for(cast.applicant)
    page = client.get("/applications/new/quzhou/").content.decode()
    token = re.search(r'name="creation_token" value="([0-9a-f-]+)"', page).group(1)
    data = {
        "amount_wan": "100",
        "term_months": "24",
        "planned_disbursement_on": "2026-12-01",
        "creation_token": token,
    }
    first, second = (
        client.post("/applications/new/quzhou/", data),
        client.post("/applications/new/quzhou/", data),
    )
    drafts = Application.objects.filter(state="draft", program_version__program=cast.quzhou)
    assert drafts.count() == 1 and first["Location"] == second["Location"]
    assert AuditEntry.objects.filter(action="applications.application.created").count() == 1
    client.post("/applications/new/quzhou/", data | {"creation_token": str(uuid.uuid4())})
    assert drafts.count() == 2  # a new form is a new application


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_png_uploaded_as_pdf_is_stored_and_served_as_png(cast):
    client = client_for(cast.applicant)
    application = Application.objects.create(
        reference="CJ-PNG",
        program_version=cast.application_a.program_version,
        enterprise=cast.enterprise_a,
        amount=Decimal("100000.00"),
    )
    licence = MaterialType.objects.get(program=cast.changjiang, number=3)
    response = client.post(
        f"/applications/{application.public_id}/materials/",
        {"material_type": licence.pk, "file": SimpleUploadedFile("x.pdf", png_bytes())},
    )
    assert response.status_code == 302
    material = Material.objects.get(application=application)
    assert material.file.name.endswith(".png") and material.content_type == "image/png"
    assert material.original_name == "x.png"
    download = client.get(f"/applications/{application.public_id}/materials/{material.public_id}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert 'filename="x.png"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == png_bytes()


def test_the_checklist_names_each_rule_and_its_outcome_in_chinese(cast):
    page = client_for(cast.applicant).get("/").content.decode()
    assert '<span class="rule-label">已入江西省科贷通业务管理系统</span>' in page
    assert '<span class="rule-status">符合</span>' in page
    assert "changjiang.provincial_system" not in page.replace(
        'data-code="changjiang.provincial_system"', ""
    )


def test_the_profile_records_the_provincial_system_entry(cast):
    client = client_for(cast.applicant)
    data = {
        "name": "甲科技有限公司",
        "registered_region": "江西省景德镇市昌江区",
        "industry": "software",
        "employees": "120",
        "revenue": "15000000",
        "kedaitong_entry_no": "KDT-2026-0099",
        "kedaitong_entry_on": "2026-02-03",
    }
    assert client.post("/enterprise/profile/", data).status_code == 302
    enterprise = Enterprise.objects.get(pk=cast.enterprise_a.pk)
    assert (enterprise.kedaitong_entry_no, enterprise.kedaitong_entry_on) == (
        "KDT-2026-0099",
        dt.date(2026, 2, 3),
    )
    assert "KDT-2026-0099" in client.get("/").content.decode()


def test_submission_requires_the_blanks_annexes_3_and_4_print_naming_each(cast):
    """Issue 16 item 11: 附件3 prints “联系电话******，主要经营******” and 附件4 a 联系人 box; each blank is required.

    An enterprise whose profile lacks the three is told each field and the annex that prints it, on the
    submit page and on the refused POST; nothing is submitted. Once the profile has them, the submission
    goes through and the kept 附件3 carries them where the form has its blanks.
    """
    from tests.applications.test_submit import changjiang_draft

    cast.application_a.delete()
    application = changjiang_draft(cast)
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(
        contact_phone="", main_business=" ", contact_name=""
    )
    client = client_for(cast.applicant)
    url = f"/applications/{application.public_id}/submit/"
    page = client.get(url).content.decode()
    for line in (
        "企业资料未填写“联系电话”（昌江细则附件3需填写）",
        "企业资料未填写“主营业务”（昌江细则附件3需填写）",
        "企业资料未填写“联系人”（昌江细则附件4需填写）",
    ):
        assert line in page, line
    refused = client.post(url, follow=True)
    assert "企业资料未填写“联系人”（昌江细则附件4需填写）" in refused.content.decode()
    application.refresh_from_db()
    assert application.state == Application.State.DRAFT and application.submitted_at is None
    assert not AuditEntry.objects.filter(action="applications.application.submitted").exists()

    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(
        contact_phone="0798-8123456", main_business="陶瓷检测仪器", contact_name="周八"
    )
    assert client.post(url).status_code == 302
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED
    text = pdf_text(application.submitted_pdf.read())
    assert "联系电话0798-8123456，主要经营陶瓷检测仪器。" in text
    annex4 = pdf_text(client.get(f"/applications/{application.public_id}/pdf/annex4/").content)
    assert "联系人周八" in annex4


@pytest.mark.parametrize(
    "name",
    [
        "甲科技有限公司",
        "衢州市柯城区智能制造新材料科技研发股份有限公司",  # 23 characters: shrunk to fit
        "江西省景德镇市昌江区高新技术产业园智能陶瓷新材料研究院有限责任公司",  # 33: too long, wraps
    ],
)
def test_annex_4_prints_the_amount_as_money_and_the_company_name_on_one_line(cast, name):
    """Issue 18 item 11: 贷款金额 as 300万元 and 3,000,000.00元 with the capitals; a name that fits at 6 pt or more
    is printed on one line, however long (the cell's font shrinks; a longer one wraps rather than overflow)."""
    from applications.documents import one_line_size

    Application.objects.filter(pk=cast.application_a.pk).update(
        amount=Decimal("3000000.00"), snapshot=None
    )
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(name=name)
    data = (
        client_for(cast.applicant)
        .get(f"/applications/{cast.application_a.public_id}/pdf/annex4/")
        .content
    )
    compact = pdf_text(data)
    assert "300万元" in compact and "3,000,000.00元" in compact and "（叁佰万元整）" in compact
    layout = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    fits = one_line_size(name, width_mm=52, largest_pt=10.5, smallest_pt=6)
    on_one_line = any(name in line.replace(" ", "") for line in layout.splitlines())
    assert on_one_line == (fits is not None), (fits, layout[:800])
    if fits is not None:
        assert name in compact
    else:
        # Printed whole, over two lines: pdftotext may read the next row's label (地址, its characters
        # stacked in a narrow cell) between the two lines, so the labels' characters are left out here.
        assert name in compact.replace("地", "").replace("址", "")
