"""Quzhou 一(三) banks on file: four bodies approve → three-year agreement (附件2); renewal; ending after a complaint."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loans.models import BankAgreement
from subsidy import filings
from subsidy.models import BankFiling, Complaint, ReviewBody
from subsidy.services import StageRefused

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="材料.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_three_years():
    assert filings.three_years_from(dt.date(2026, 1, 1)) == dt.date(2028, 12, 31)
    assert filings.three_years_from(dt.date(2024, 2, 29)) == dt.date(2027, 2, 28)


def test_bank_files_and_four_bodies_approve_then_agreement(client, qz):
    client.force_login(qz.bank_user)
    response = client.post(
        reverse("subsidy:filing-create"), {"materials": pdf(), "statement": "申请备案"}
    )
    filing = BankFiling.objects.get()
    assert response.status_code == 302 and filing.bank == qz.bank_a
    client.force_login(qz.staff)
    for body in (ReviewBody.PBOC, ReviewBody.BUREAU, ReviewBody.FINANCE_OFFICE):
        client.post(
            reverse("subsidy:filing-opinion", args=[filing.pk]),
            {"body": body, "approved": "yes", "signer": "张三"},
        )
    assert BankFiling.objects.get().state == BankFiling.State.SUBMITTED
    # Bureau staff cannot sign for the finance bureau.
    client.post(
        reverse("subsidy:filing-opinion", args=[filing.pk]),
        {"body": "finance_bureau", "approved": "yes", "signer": "x"},
    )
    assert BankFiling.objects.get().state == BankFiling.State.SUBMITTED
    client.force_login(qz.auditor)
    client.post(
        reverse("subsidy:filing-opinion", args=[filing.pk]),
        {"body": "finance_bureau", "approved": "yes", "signer": "李四"},
    )
    filing = BankFiling.objects.get()
    assert filing.state == BankFiling.State.APPROVED
    agreement = filing.agreement
    assert agreement.program == qz.program and agreement.status == BankAgreement.Status.ACTIVE
    assert agreement.ends_on == filings.three_years_from(agreement.starts_on)
    assert filing.opinions.count() == 4
    client.force_login(qz.bank_user)
    response = client.get(reverse("subsidy:agreement-pdf", args=[agreement.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    start, end = agreement.starts_on, agreement.ends_on
    assert end == filings.three_years_from(start)
    assert (
        f"有效期：{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
        in text
    )
    assert "乙方：衢州甲银行" in text  # the bank filled in as party B
    assert (
        text.count(f"{start.year}年{start.month}月{start.day}日") >= 3
    )  # the term and both signature dates


def pdf_text(data: bytes) -> str:
    """The PDF's text (poppler's pdftotext, as tests/kedaitong/test_documents.py), spaces and line breaks removed."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    out = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return "".join(out.split())


def test_a_bank_with_a_fraud_record_cannot_file_again(client, qz):
    from subsidy.models import FraudRecord

    FraudRecord.objects.create(
        program=qz.program,
        bank=qz.bank_a,
        found_on=dt.date(2025, 5, 1),
        description="虚构利息结算",
        evidence="x.pdf",
        recorded_by=qz.staff,
    )
    with pytest.raises(
        StageRefused,
        match="衢州甲银行已被认定骗取.*2025-05-01：虚构利息结算.*不能申请备案（衢州方案六）",
    ):
        filings.filing_submit(actor=qz.bank_user, program=qz.program, materials=pdf())
    client.force_login(qz.bank_user)
    response = client.post(
        reverse("subsidy:filing-create"), {"materials": pdf(), "statement": "再次申请"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "不能申请备案" in page and "再次申请" in page  # the reason, and what was typed is kept
    assert not BankFiling.objects.exists()
    # another bank is not barred
    from tests.factories import UserFactory

    other = UserFactory(username="qz_bank_b", role="bank", bank=qz.bank_b)
    assert filings.filing_submit(actor=other, program=qz.program, materials=pdf()).bank == qz.bank_b


def test_one_refusal_rejects_the_filing(qz):
    filing = filings.filing_submit(actor=qz.bank_user, program=qz.program, materials=pdf())
    filings.filing_record_opinion(
        actor=qz.staff,
        filing=filing,
        body="pboc",
        approved=False,
        signer="王五",
        opinion="材料不全",
    )
    assert BankFiling.objects.get().state == BankFiling.State.REJECTED
    with pytest.raises(StageRefused):
        filings.filing_record_opinion(
            actor=qz.staff, filing=filing, body="bureau", approved=True, signer="王五"
        )


def test_filing_access(client, qz):
    filing = filings.filing_submit(actor=qz.bank_user, program=qz.program, materials=pdf())
    url = reverse("subsidy:filing-opinion", args=[filing.pk])
    client.force_login(qz.bank_user)
    assert client.post(url, {"body": "bureau", "approved": "yes", "signer": "x"}).status_code == 403
    client.force_login(qz.other_staff)  # Changjiang staff: outsider
    assert client.post(url, {"body": "bureau", "approved": "yes", "signer": "x"}).status_code == 404
    client.force_login(qz.staff)
    assert client.get(url).status_code == 405
    assert client.get(reverse("subsidy:filing-detail", args=[filing.pk])).status_code == 200
    assert client.post(reverse("subsidy:filing-create"), {"materials": pdf()}).status_code == 403


def test_renewal_creates_the_next_three_years(client, qz):
    agreement = qz.bank_a.agreements.get(program=qz.program)
    client.force_login(qz.auditor)
    assert client.post(reverse("subsidy:agreement-renew", args=[agreement.pk])).status_code == 403
    client.force_login(qz.head)
    assert client.get(reverse("subsidy:agreement-renew", args=[agreement.pk])).status_code == 200
    client.post(reverse("subsidy:agreement-renew", args=[agreement.pk]))
    renewed = qz.bank_a.agreements.filter(program=qz.program).order_by("-starts_on").first()
    assert renewed.starts_on == dt.date(2027, 1, 1) and renewed.ends_on == dt.date(2029, 12, 31)
    with pytest.raises(StageRefused, match="已续签"):
        filings.agreement_renew(actor=qz.head, agreement=agreement)


def test_complaint_ends_the_agreement(client, qz):
    agreement = qz.bank_b.agreements.get(program=qz.program)
    url = reverse("subsidy:agreement-terminate", args=[agreement.pk])
    client.force_login(qz.staff)
    response = client.post(
        url, {"received_on": "2025-08-01", "complainant": "某企业", "description": "收取顾问费"}
    )
    assert response.status_code == 400  # evidence missing; nothing changes
    assert BankAgreement.objects.get(pk=agreement.pk).status == BankAgreement.Status.ACTIVE
    client.post(
        url,
        {
            "received_on": "2025-08-01",
            "complainant": "某企业",
            "description": "收取顾问费",
            "evidence": pdf(),
        },
    )
    assert BankAgreement.objects.get(pk=agreement.pk).status == BankAgreement.Status.TERMINATED
    assert Complaint.objects.get().agreement == agreement
    with pytest.raises(StageRefused):
        filings.agreement_renew(actor=qz.staff, agreement=agreement)
