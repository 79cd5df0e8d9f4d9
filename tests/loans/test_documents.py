"""Quzhou 二: the bank sends the bureau each loan's application form and a copy of the disbursement voucher."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from loans import selectors
from loans.models import Loan, LoanDocument
from tests.factories import LoanFactory, UserFactory, version

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def client_for(user) -> Client:
    """Logged in and working in Quzhou: bank X lends in Changjiang too (the cast), so it switches program."""
    client = Client()
    client.force_login(user)
    client.post("/program/switch/", {"program": "quzhou"})
    return client


def pdf(name: str = "申请表.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture
def quzhou_loan(cast) -> Loan:
    return LoanFactory(
        program_version=version("quzhou"),
        bank=cast.bank_x,
        enterprise=cast.enterprise_a,
        contract_no="QZ-DOC-1",
        disbursement_date=dt.date(2026, 3, 2),
        maturity_date=dt.date(2027, 3, 1),
        annual_rate=Decimal("3.0"),
    )


def test_a_quzhou_loan_needs_both_documents_and_a_changjiang_loan_none(cast, quzhou_loan):
    kinds = LoanDocument.Kind
    assert selectors.documents_missing(quzhou_loan) == [
        kinds.APPLICATION_FORM,
        kinds.DISBURSEMENT_VOUCHER,
    ]
    assert (
        selectors.documents_missing(cast.loan_a) == []
    )  # Changjiang: the application went through the portal
    assert list(selectors.loans_missing_documents(Loan.objects.all())) == [quzhou_loan]


def test_the_lending_bank_sends_the_form_and_the_voucher(cast, quzhou_loan):
    url = f"/loans/{quzhou_loan.public_id}/documents/new/"
    bank = client_for(cast.bank_x_user)
    assert bank.get(url).status_code == 200
    assert bank.post(url, {"kind": "application_form", "file": pdf()}).status_code == 302
    page = bank.get(f"/loans/{quzhou_loan.public_id}/").content.decode()
    assert (
        "申请表.pdf" in page and "尚未报送科技局（衢州方案二）： 放款凭证（复印件）" in page
    )  # the voucher still missing
    assert f'{url}?kind=disbursement_voucher"' in page  # the button asks for what is missing
    assert (
        'value="disbursement_voucher" selected'
        in bank.get(f"{url}?kind=disbursement_voucher").content.decode()
    )
    assert (
        bank.post(url, {"kind": "disbursement_voucher", "file": pdf("放款凭证.pdf")}).status_code
        == 302
    )
    assert selectors.documents_missing(quzhou_loan) == []
    assert not selectors.loans_missing_documents(Loan.objects.all()).exists()
    document = LoanDocument.objects.get(kind="disbursement_voucher")
    assert document.uploaded_by == cast.bank_x_user and len(document.checksum) == 64
    assert AuditEntry.objects.filter(action="loans.document.filed").count() == 2
    bureau = UserFactory(role=Role.BUREAU_STAFF, program=cast.quzhou)
    download = client_for(bureau).get(f"/loans/documents/{document.public_id}/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert (
        client_for(cast.bank_y_user).get(f"/loans/documents/{document.public_id}/file/").status_code
        == 404
    )
    listed = client_for(bureau).get("/loans/?documents=missing").content.decode()
    assert "QZ-DOC-1" not in listed


def test_a_renamed_file_is_refused_and_nothing_kept(cast, quzhou_loan):
    url = f"/loans/{quzhou_loan.public_id}/documents/new/"
    response = client_for(cast.bank_x_user).post(
        url, {"kind": "application_form", "file": pdf("form.pdf", b"PK\x03\x04 not a pdf")}
    )
    assert response.status_code == 400 and not LoanDocument.objects.exists()


def test_only_the_lending_bank_sends_documents(cast, quzhou_loan):
    url = f"/loans/{quzhou_loan.public_id}/documents/new/"
    data = {"kind": "application_form", "file": pdf()}
    assert client_for(cast.admin).post(url, data).status_code == 403
    assert (
        client_for(UserFactory(role=Role.BUREAU_STAFF, program=cast.quzhou))
        .post(url, data)
        .status_code
        == 403
    )
    assert (
        client_for(UserFactory(role=Role.AUDITOR, program=cast.quzhou)).post(url, data).status_code
        == 403
    )
    assert (
        client_for(cast.bank_y_user)
        .post(url, {"kind": "application_form", "file": pdf()})
        .status_code
        == 404
    )
    assert (
        client_for(cast.bureau_staff)
        .post(url, {"kind": "application_form", "file": pdf()})
        .status_code
        == 404
    )  # Changjiang's
    assert not LoanDocument.objects.exists()


def test_quarterly_post_loan_reports_are_owed_for_changjiang_loans_only(cast, quzhou_loan):
    """Changjiang 第十条 (reported to the leading group and the bureau); Quzhou's banks bear the risk alone (四(二))."""
    owed = selectors.loans_due_a_report(Loan.objects.all(), 2026, 3)
    assert cast.loan_a in owed and quzhou_loan not in owed
