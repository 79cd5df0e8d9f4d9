"""Every PDF the portal issues carries its issue number, the SHA-256 of its record snapshot and a QR code of a public
verification page, which says what the document is, when and by whom it was issued, and whether it is current."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess

import pytest
import zxingcpp
from django.test import Client
from django.urls import reverse
from PIL import Image

from kedaitong.models import IssuedDocument
from kedaitong.pdf import Issue, render_pdf

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def qr_codes(data: bytes, page: int = 1) -> list[str]:
    """The QR codes on one page, rendered as a printer would (150 dpi) and read back with zxing-cpp."""
    png = subprocess.run(
        ["pdftoppm", "-r", "150", "-f", str(page), "-l", str(page), "-png", "-singlefile"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return [code.text for code in found if code.format == zxingcpp.BarcodeFormat.QRCode]


def annex(client: Client, application, name: str = "annex3") -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(f"/applications/{application.public_id}/pdf/{name}/")
    assert response.status_code == 200
    return response.content


@pytest.fixture
def bank_client(cast) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(cast.bank_x_user)
    return client


def test_an_annex_carries_its_number_hash_and_a_qr_code_of_its_verification_page(
    cast, bank_client, settings
):
    settings.PUBLIC_URL = "https://kdt.example.gov.cn"
    data = annex(bank_client, cast.application_a)
    document = IssuedDocument.objects.get()
    assert document.kind == "changjiang_kedaitong.annex3"
    assert document.title == "附件3 “科贷通”贷款申请报告"
    assert document.issuer == "昌江区科学技术局"
    assert document.subject == f"applications.application:{cast.application_a.pk}"
    assert document.issued_by == cast.bank_x_user and document.is_current
    assert re.fullmatch(r"KDT-\d{4}-\d{7}", document.number)
    # The hash is the SHA-256 of the stored snapshot: the filled document, with the record's values in it.
    assert document.sha256 == hashlib.sha256(document.snapshot.encode()).hexdigest()
    assert "甲科技有限公司" in document.snapshot and "kdt-verify" not in document.snapshot
    text = "".join(pdf_text(data).split())
    assert document.number in text and document.sha256 in text
    url = f"https://kdt.example.gov.cn/verify/{document.code}/"
    assert qr_codes(data) == [url]


def test_the_same_content_keeps_its_number_and_a_change_supersedes_it(cast, bank_client):
    first = annex(bank_client, cast.application_a)
    annex(bank_client, cast.application_a)
    assert IssuedDocument.objects.count() == 1
    old = IssuedDocument.objects.get()
    cast.application_a.purpose = "扩大陶瓷釉料研发线"
    cast.application_a.save()
    second = annex(bank_client, cast.application_a)
    new = IssuedDocument.objects.exclude(pk=old.pk).get()
    old.refresh_from_db()
    assert (old.superseded_by, new.is_current, old.is_current) == (new, True, False)
    assert old.number in pdf_text(first) and new.number in "".join(pdf_text(second).split())
    assert "扩大陶瓷釉料研发线" in new.snapshot and "扩大陶瓷釉料研发线" not in old.snapshot
    # Other annexes of the same application are other documents, each current.
    annex(bank_client, cast.application_a, "annex4")
    assert IssuedDocument.objects.filter(superseded_at__isnull=True).count() == 2


def test_the_verification_page_is_public_and_says_only_what_the_document_is(cast, bank_client):
    annex(bank_client, cast.application_a)
    old = IssuedDocument.objects.get()
    page = Client().get(f"/verify/{old.code}/")
    html = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex"
    assert "现行有效" in html and old.number in html and old.sha256 in html
    assert "附件3 “科贷通”贷款申请报告" in html and "昌江区科学技术局" in html
    # Nothing of the content: not the enterprise, not the amount, not the bank.
    for secret in (
        "甲科技有限公司",
        "壹佰万元",
        "1,000,000",
        "X银行",
        cast.application_a.reference,
    ):
        assert secret not in html, secret
    cast.application_a.purpose = "另一用途"
    cast.application_a.save()
    annex(bank_client, cast.application_a)
    superseded = Client().get(f"/verify/{old.code}/").content.decode()
    assert "已被取代" in superseded and "现行有效" not in superseded
    assert Client().get("/verify/nosuchcodeatall2/").status_code == 404
    assert Client().post(f"/verify/{old.code}/").status_code == 405


def test_every_kind_of_pdf_is_issued(cast, settings):
    """The claim form, the reconciliation and the agreement too (the annexes above): one register of issues."""
    from tests.compensation import helpers

    claim = helpers.submitted(cast)
    bank = Client()
    bank.force_login(cast.bank_x_user)
    staff = Client()
    staff.force_login(cast.bureau_staff)
    assert bank.get(reverse("compensation:claim-pdf", args=[claim.public_id])).status_code == 200
    rec = reverse("compensation:reconciliation-pdf", args=[cast.bank_x.code])
    assert staff.get(rec).status_code == 200
    kinds = dict(IssuedDocument.objects.values_list("kind", "title"))
    assert kinds == {
        "compensation.claim": "科贷补偿金补偿申请表",
        "compensation.reconciliation": "合作结束科贷补偿金核查表",
    }


def test_a_document_of_a_record_is_issued_once_when_two_print_it_at_once(cast):
    """Two issues of one new content: the second finds the first (one current issue per document and record)."""
    issue = Issue(kind="test.doc", title="测试", issuer="测试机构", subject=cast.application_a)
    from kedaitong import verification

    first = verification.issue(issue, "<p>一</p>")
    again = verification.issue(issue, "<p>一</p>")
    other = verification.issue(issue, "<p>二</p>")
    assert first.pk == again.pk and other.pk != first.pk
    assert IssuedDocument.objects.filter(superseded_at__isnull=True).get() == other
    assert render_pdf  # the renderer every PDF passes through
