"""Submission: every problem at once, the submit-time rules, the frozen record, the PDF with its SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services
from applications.models import (
    AnnualFigure,
    Application,
    Enterprise,
    MaterialType,
    ProductType,
    ProgramListing,
    Qualification,
    QuzhouDetails,
    TeamMember,
)
from applications.selectors import eligibility_at_submission
from kedaitong.models import AuditEntry
from review.models import BlacklistEntry
from tests.factories import ApplicationFactory, BankAgreementFactory, LoanFactory, version

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def eligible(enterprise):
    Qualification.objects.create(
        enterprise=enterprise, kind="high_tech", number="GR2024", valid_until=dt.date(2099, 1, 1)
    )
    return enterprise


def changjiang_draft(cast, **fields):
    eligible(cast.enterprise_a)
    values = {
        "enterprise": cast.enterprise_a,
        "bank": cast.bank_x,
        "state": Application.State.DRAFT,
        "purpose": "研发投入",
        "planned_disbursement_on": dt.date(2026, 12, 1),
        "term_months": 12,
        "annual_rate": Decimal("3.4500"),
        "product_type": ProductType.objects.order_by("pk").first(),
    } | fields
    application = ApplicationFactory(**values)
    for material in MaterialType.objects.filter(program=cast.changjiang, required=True):
        services.material_add(
            actor=cast.applicant,
            application=application,
            material_type=material,
            upload=SimpleUploadedFile(f"m{material.number}.pdf", PDF),
        )
    return application


def test_a_complete_application_is_submitted_with_its_checklist_and_pdf(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    submitted = services.application_submit(actor=cast.applicant, application=application)
    assert submitted.state == Application.State.SUBMITTED
    stored = eligibility_at_submission(submitted)
    assert stored and {r.code: r.status for r in stored}["changjiang.tech"] == "pass"
    data = submitted.submitted_pdf.read()
    assert (
        data.startswith(b"%PDF")
        and hashlib.sha256(data).hexdigest() == submitted.submitted_pdf_sha256
    )
    assert AuditEntry.objects.filter(action="applications.application.submitted").count() == 1


def test_every_problem_is_listed_at_once(cast):
    cast.application_a.delete()
    application = ApplicationFactory(
        enterprise=cast.enterprise_a, bank=None, state=Application.State.DRAFT, term_months=None
    )
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    text = "\n".join(refused.value.problems)
    for expected in ("银行", "期限", "拟放款日期", "有效营业执照副本", "第六条（一）1、2"):
        assert expected in text, expected
    assert Application.objects.get(pk=application.pk).state == Application.State.DRAFT


def test_submitting_twice_gives_one_submission(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    stale = Application.objects.get(pk=application.pk)
    services.application_submit(actor=cast.applicant, application=application)
    with pytest.raises(services.DomainError, match="已经提交|already"):
        services.application_submit(actor=cast.applicant, application=stale)
    assert AuditEntry.objects.filter(action="applications.application.submitted").count() == 1


def test_an_open_loan_with_another_bank_blocks_naming_it(cast):
    # cast.loan_a is enterprise A's open loan with bank X; applying with bank Y is refused (第六条(二)).
    cast.application_a.delete()
    application = changjiang_draft(cast, bank=cast.bank_y)
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any("X银行" in p and "第六条（二）" in p for p in refused.value.problems)


def test_a_blacklisted_enterprise_cannot_submit(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    BlacklistEntry.objects.create(
        program=cast.changjiang,
        enterprise=cast.enterprise_a,
        reason="overdue",
        status="listed",
        listed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any("黑名单" in p for p in refused.value.problems)


def test_a_submitted_application_is_frozen_against_profile_changes(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    services.application_submit(actor=cast.applicant, application=application)
    cast.enterprise_a.name = "改名后的公司"
    cast.enterprise_a.save()
    application.refresh_from_db()
    from applications.documents import base_context

    assert base_context(application)["e"].name == "甲科技有限公司"
    with pytest.raises(services.DomainError):
        services.material_add(
            actor=cast.applicant,
            application=application,
            material_type=MaterialType.objects.get(program=cast.changjiang, number=3),
            upload=SimpleUploadedFile("x.pdf", PDF),
        )


def quzhou_draft(cast, *, term=24, amount="3000000.00"):
    cast.application_a.delete()
    enterprise = cast.enterprise_a
    enterprise.registration_place = cast.quzhou.registration_places.get(code="shibenji")
    enterprise.registered_region = "浙江省衢州市柯城区"
    enterprise.address = "衢州市柯城区测试路2号"
    enterprise.save()
    for year in services.figure_years():
        AnnualFigure.objects.create(
            enterprise=enterprise,
            year=year,
            revenue=Decimal("9000000.00"),
            profit=Decimal("700000.00"),
        )
    Qualification.objects.create(enterprise=enterprise, kind="provincial_tech_sme", year=2025)
    ProgramListing.objects.create(
        program=cast.quzhou,
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        listed_on=dt.date(2025, 1, 1),
    )
    BankAgreementFactory(bank=cast.bank_x, program=cast.quzhou)
    application = ApplicationFactory(
        enterprise=enterprise,
        bank=cast.bank_x,
        state=Application.State.DRAFT,
        program_version=version("quzhou"),
        amount=Decimal(amount),
        term_months=term,
        planned_disbursement_on=dt.date(2026, 12, 1),
    )
    QuzhouDetails.objects.create(
        application=application,
        project_name="智能检测",
        company_intro="简介",
        project_intro="项目",
        contact_name="郑雯",
        contact_phone="0570-8000001",
    )
    TeamMember.objects.create(application=application, name="王五", id_number="11010519491231002X")
    return application


def test_a_quzhou_application_is_submitted(cast):
    """Quzhou 二: 附件1 goes to the one bank the enterprise chose; the bank reviews it on its own."""
    application = quzhou_draft(cast)
    submitted = services.application_submit(actor=cast.applicant, application=application)
    assert submitted.state == Application.State.BANK_REVIEW and submitted.submitted_pdf_sha256
    with pytest.raises(services.DomainError):  # the team is frozen with the rest
        services.team_member_add(
            actor=cast.applicant,
            application=submitted,
            member=TeamMember(name="赵六", id_number="11010519491231002X"),
        )
    with pytest.raises(services.DomainError):
        services.team_member_remove(
            actor=cast.applicant, application=submitted, member_id=submitted.team.get().pk
        )
    assert submitted.team.count() == 1


def test_quzhou_term_over_three_years_is_refused(cast):
    application = quzhou_draft(cast, term=37)
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any("一（二）" in p for p in refused.value.problems)


def test_quzhou_annualized_total_over_the_cap_is_refused(cast):
    application = quzhou_draft(cast, amount="3000000.00")
    LoanFactory(
        enterprise=cast.enterprise_a,
        bank=cast.bank_x,
        program_version=version("quzhou"),
        contract_no="QZ-1",
        principal=Decimal("4000000.00"),
        disbursement_date=dt.date(2026, 11, 1),
        maturity_date=dt.date(2028, 11, 1),
    )
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any("一（五）" in p and "2027年" in p for p in refused.value.problems)


def test_quzhou_contact_person_and_phone_are_required_naming_them(cast):
    """Quzhou 附件1 二 prints 联系人 and 联系电话 as blanks: an application without them is not submitted."""
    application = quzhou_draft(cast)
    QuzhouDetails.objects.filter(application=application).update(contact_name="", contact_phone="")
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert "未填写联系人（衢州方案附件1）。" in refused.value.problems
    assert "未填写联系电话（衢州方案附件1）。" in refused.value.problems
    assert Application.objects.get(pk=application.pk).state == Application.State.DRAFT


def test_quzhou_intro_too_long_is_refused_with_the_count(cast):
    application = quzhou_draft(cast)
    QuzhouDetails.objects.filter(application=application).update(company_intro="字" * 501)
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any("501" in p for p in refused.value.problems)


def test_an_open_application_with_another_bank_blocks(cast):
    # cast.application_b is enterprise B's; give enterprise A an open application with bank Y, and no loans.
    cast.application_a.delete()
    cast.loan_a.delete()
    ApplicationFactory(
        enterprise=cast.enterprise_a, bank=cast.bank_y, state=Application.State.BUREAU_REVIEW
    )
    application = changjiang_draft(cast, bank=cast.bank_x)
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any("Y银行" in p for p in refused.value.problems)


def test_a_returned_application_is_edited_and_resubmitted_with_a_new_snapshot(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    services.application_submit(actor=cast.applicant, application=application)
    first_hash = Application.objects.get(pk=application.pk).submitted_pdf_sha256
    # A reviewer's return (issue 4's transition) puts it in `returned`; simulated here.
    Application.objects.filter(pk=application.pk).update(state=Application.State.RETURNED)
    cast.enterprise_a.name = "甲科技股份有限公司"
    cast.enterprise_a.save()
    returned = Application.objects.get(pk=application.pk)
    services.material_add(
        actor=cast.applicant,
        application=returned,
        material_type=MaterialType.objects.get(program=cast.changjiang, number=10),
        upload=SimpleUploadedFile("bank.pdf", PDF),
    )
    resubmitted = services.application_submit(actor=cast.applicant, application=returned)
    assert resubmitted.state == Application.State.SUBMITTED
    assert resubmitted.snapshot["enterprise"]["name"] == "甲科技股份有限公司"
    assert resubmitted.submitted_pdf_sha256 != first_hash


def test_only_the_enterprise_submits(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    with pytest.raises(services.DomainError):
        services.application_submit(actor=cast.other_applicant, application=application)
    with pytest.raises(services.DomainError):
        services.application_submit(actor=cast.bureau_staff, application=application)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_give_one_submission(cast):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    cast.application_a.delete()
    application = changjiang_draft(cast)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def tab() -> None:
        try:
            barrier.wait()
            services.application_submit(
                actor=cast.applicant, application=Application.objects.get(pk=application.pk)
            )
            outcomes.append("submitted")
        except services.DomainError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "submitted"]
    assert AuditEntry.objects.filter(action="applications.application.submitted").count() == 1


# --- The profile fields the annexes print ----------------------------------------------------------------------

# In the order 附件3 prints them: 位于…，成立于…，法人代表为…，联系电话…，主要经营…。注册资本…
CHANGJIANG_ANNEX3_LABELS = [
    "地址",
    "成立日期",
    "法定代表人",
    "联系电话",
    "主营业务",
    "注册资本（元）",
    "实缴资本（元）",
    "近一年销售额（元）",
    "近一年纳税额（元）",
]


def test_changjiang_submit_lists_every_empty_field_of_annex_3_at_once(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(
        address="",
        legal_representative=" ",
        founded_on=None,
        contact_phone="",
        main_business="",
        contact_name="",
        registered_capital=None,
        paid_in_capital=None,
        last_year_sales=None,
        last_year_tax=None,
    )
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    profile = [p for p in refused.value.problems if p.startswith("企业资料")]
    assert profile == [
        f"企业资料未填写“{label}”（昌江细则附件3需填写）。" for label in CHANGJIANG_ANNEX3_LABELS
    ] + ["企业资料未填写“联系人”（昌江细则附件4需填写）。"]
    assert Application.objects.get(pk=application.pk).state == Application.State.DRAFT


def test_changjiang_zero_tax_is_an_answer_not_a_gap(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(last_year_tax=Decimal("0.00"))
    assert (
        services.application_submit(actor=cast.applicant, application=application).state
        == Application.State.SUBMITTED
    )


def test_quzhou_submit_lists_empty_ip_staff_and_annual_figures_of_annex_1(cast):
    application = quzhou_draft(cast)
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(
        ip_invention=None,
        ip_other=None,
        employees=None,
        staff_rnd=None,
        high_tech_revenue=None,
        rnd_expense=None,
    )
    years = services.figure_years()
    AnnualFigure.objects.filter(enterprise=cast.enterprise_a, year=years[0]).delete()
    AnnualFigure.objects.filter(enterprise=cast.enterprise_a, year=years[2]).update(profit=None)
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    profile = [p for p in refused.value.problems if p.startswith("企业资料")]
    labels = [
        "发明专利（件）",
        "其他知识产权（件）",
        "从业人员（人）",
        "从事研究开发人员数（人）",
        "近1年高新技术产品（服务）收入（元）",
        "近1年研究开发费用总额（元）",
    ]
    assert profile == [f"企业资料未填写“{label}”（衢州方案附件1需填写）。" for label in labels] + [
        f"企业资料缺少{years[0]}、{years[2]}年的销售收入和利润（衢州方案附件1近3年）。"
    ]
    # Changjiang's 附件3 fields are not asked of a Quzhou application.
    assert not any("昌江细则附件3" in p for p in refused.value.problems)


def test_quzhou_figures_are_the_three_years_before_the_submission_year():
    assert services.figure_years(dt.date(2026, 12, 1)) == [2023, 2024, 2025]
    assert services.figure_years(dt.date(2027, 1, 2)) == [2024, 2025, 2026]


def test_the_submit_page_lists_the_profile_gaps(cast):
    from django.test import Client

    cast.application_a.delete()
    application = changjiang_draft(cast)
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(legal_representative="")
    client = Client()
    client.force_login(cast.applicant)
    page = client.get(f"/applications/{application.public_id}/submit/").content.decode()
    assert "企业资料未填写“法定代表人”（昌江细则附件3需填写）。" in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_pdf_kept_at_submission_is_signed_with_the_submission_date(cast, monkeypatch):
    from django.utils import timezone

    # 17:30 UTC on 4 March is 01:30 on 5 March in Shanghai: the date printed is the local one.
    moment = dt.datetime(2026, 3, 4, 17, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    cast.application_a.delete()
    application = changjiang_draft(cast)
    submitted = services.application_submit(actor=cast.applicant, application=application)
    assert Application.objects.get(pk=application.pk).submitted_at == moment
    stored = Path(submitted.submitted_pdf.path)
    text = "".join(
        subprocess.run(["pdftotext", str(stored), "-"], capture_output=True, check=True)
        .stdout.decode()
        .split()
    )
    assert "2026年3月5日" in text
    assert "年月日" not in text  # the blank date line of an unsubmitted report
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == submitted.submitted_pdf_sha256


def test_changjiang_submit_needs_the_provincial_system_entry(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(kedaitong_entry_no="")
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any(
        "江西省科贷通业务管理系统" in p and "昌江细则第二条" in p for p in refused.value.problems
    )


def test_quzhou_submit_is_refused_when_the_region_contradicts_the_place(cast):
    application = quzhou_draft(cast)
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(
        registered_region="江西省景德镇市昌江区"
    )
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any(
        "衢州方案一（一）" in p and "江西" in p and "市本级" in p for p in refused.value.problems
    )


def test_a_blacklisted_enterprise_cannot_submit_to_quzhou_either(cast):
    application = quzhou_draft(cast)
    BlacklistEntry.objects.create(
        program=cast.changjiang,
        enterprise=cast.enterprise_a,
        reason="overdue",
        status="listed",
        listed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any("黑名单" in p and "昌江细则第九条" in p for p in refused.value.problems)
    assert Application.objects.get(pk=application.pk).state == Application.State.DRAFT
