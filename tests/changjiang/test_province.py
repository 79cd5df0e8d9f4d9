"""Changjiang 第十条 (由区科技局将贷后管理情况报送省高新中心): the bureau produces each quarter's post-loan report from
the banks' filed reports, one PDF and one Excel file, the banks that have not reported listed; it marks it sent."""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal

import openpyxl
import pytest

from kedaitong.models import AuditEntry, Notification
from loans.models import PostLoanReport
from programs.changjiang.models import ProvincialReport
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/changjiang/province/"


def pdf_text(data: bytes) -> str:
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return "".join(text.split())


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def filed(cast) -> PostLoanReport:
    """Bank X filed its 2026 Q3 report on loan_a; bank Y did not file on loan_b."""
    return PostLoanReport.objects.create(
        loan=cast.loan_a,
        year=2026,
        quarter=3,
        status=PostLoanReport.Status.WATCH,
        operations="经营正常，贷款用于采购原材料",
        risks="主要客户回款放缓，已要求追加担保",
        filed_by=cast.bank_x_user,
    )


def test_the_bureau_produces_the_quarter_s_report_with_the_banks_not_reported(client, cast, filed):
    client.force_login(cast.bureau_staff)
    response = client.post(URL, {"year": 2026, "quarter": 3})
    assert response.status_code == 302
    report = ProvincialReport.objects.get()
    assert (report.year, report.quarter, report.state, report.produced_by) == (
        2026,
        3,
        "produced",
        cast.bureau_staff,
    )
    assert (report.figures["due"], report.figures["filed"], report.figures["missing"]) == (2, 1, 1)
    assert [b["name"] for b in report.figures["banks_not_reported"]] == ["Y银行"]
    audit = AuditEntry.objects.for_object(report).get(
        action="changjiang.provincial_report.produced"
    )
    assert audit.data["banks_not_reported"] == ["bank-y"]

    page = client.get(URL).content.decode()
    assert "Y银行 (1)" in page
    pdf = client.get(f"{URL}{report.public_id}/pdf/")
    assert pdf.status_code == 200
    text = pdf_text(body(pdf))
    assert "2026年第3季度" in text and "省高新技术产业发展中心" in text
    assert "未报送贷后管理情况的银行" in text
    missing_section = text.split("三、未报送贷后管理情况的银行")[1].split("四、")[0]
    assert "Y银行" in missing_section and "X银行" not in missing_section
    assert "主要客户回款放缓" in text  # the loan needing attention, with its measures
    assert cast.loan_b.contract_no in text  # the loan without a report

    xlsx = client.get(f"{URL}{report.public_id}/xlsx/")
    wb = openpyxl.load_workbook(io.BytesIO(body(xlsx)))
    assert wb.sheetnames == ["汇总", "贷后报告", "未报送贷款", "未报送银行"]
    summary = [r for r in wb["汇总"].iter_rows(min_row=2, values_only=True)]
    assert summary[0][:7] == ("X银行", 1, 1, 0, 0, 1, 0)
    assert summary[1][:4] == ("Y银行", 1, 0, 1)
    assert summary[-1][0] == "合计" and Decimal(str(summary[-1][7])) == Decimal("2000000.00")
    reports = list(wb["贷后报告"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert reports[0][0] == cast.loan_a.contract_no and reports[0][5] == "关注"
    banks = list(wb["未报送银行"].iter_rows(min_row=2, values_only=True))
    assert banks == [("bank-y", "Y银行", 1, 1)]


def test_produced_again_until_sent_then_kept_as_sent(client, cast, filed):
    client.force_login(cast.bureau_staff)
    client.post(URL, {"year": 2026, "quarter": 3})
    PostLoanReport.objects.create(
        loan=cast.loan_b,
        year=2026,
        quarter=3,
        status=PostLoanReport.Status.NORMAL,
        operations="正常",
        filed_by=cast.bank_y_user,
    )
    assert client.post(URL, {"year": 2026, "quarter": 3}).status_code == 302
    report = ProvincialReport.objects.get()
    assert report.figures["banks_not_reported"] == [] and report.figures["filed"] == 2
    prefix = f"r{report.pk}"
    response = client.post(
        f"{URL}{report.public_id}/sent/",
        {f"{prefix}-sent_on": "2026-12-03", f"{prefix}-reference": "昌科〔2026〕45号"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == "produced"  # the day before it was produced: refused
    response = client.post(
        f"{URL}{report.public_id}/sent/",
        {f"{prefix}-sent_on": "2026-12-04", f"{prefix}-reference": "昌科〔2026〕45号"},
    )
    report.refresh_from_db()
    assert (report.state, report.sent_on.isoformat(), report.reference, report.sent_by) == (
        "sent",
        "2026-12-04",
        "昌科〔2026〕45号",
        cast.bureau_staff,
    )
    assert Notification.objects.filter(user=cast.leading_group, message__contains="第十条").exists()
    sha = report.pdf_sha256
    response = client.post(URL, {"year": 2026, "quarter": 3})
    assert response.status_code == 400 and "昌科〔2026〕45号" in response.content.decode()
    report.refresh_from_db()
    assert report.pdf_sha256 == sha and report.state == "sent"


def test_an_open_quarter_and_a_sending_without_reference_are_refused(client, cast, filed):
    client.force_login(cast.bureau_staff)
    response = client.post(URL, {"year": 2026, "quarter": 4})  # the suite's date: 2026-12-04
    assert response.status_code == 400 and ProvincialReport.objects.count() == 0
    client.post(URL, {"year": 2026, "quarter": 3})
    report = ProvincialReport.objects.get()
    prefix = f"r{report.pk}"
    client.post(
        f"{URL}{report.public_id}/sent/",
        {f"{prefix}-sent_on": "2026-12-04", f"{prefix}-reference": "   "},
    )
    report.refresh_from_db()
    assert report.state == "produced" and report.reference == ""


@pytest.mark.parametrize(
    ("who", "get", "post"),
    [
        ("leading_group", 200, 403),
        ("bureau_head", 200, 403),
        ("auditor", 200, 403),
        ("bank_x_user", 403, 403),
        ("applicant", 403, 403),
    ],
)
def test_who_sees_and_who_produces(client, cast, filed, who, get, post):
    client.force_login(getattr(cast, who))
    assert client.get(URL).status_code == get
    assert client.post(URL, {"year": 2026, "quarter": 3}).status_code == post
    assert ProvincialReport.objects.count() == 0


def test_a_quzhou_user_has_no_reports_to_the_province(client, cast):
    client.force_login(UserFactory(username="qz", role="bureau_staff", program=cast.quzhou))
    assert client.get(URL).status_code == 404
