"""Quzhou 一(三) banks on file: the bank files, bureau staff record the four bodies' sign-offs one by one, the
agreement (附件2, three years) starts on the day of the last signature; a refusal ends the filing; renewal;
ending after a complaint; agreements expire by their transition."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.urls import reverse

from applications.scope import SESSION_KEY
from kedaitong.models import AuditEntry, Notification
from loans.agreements import agreements_expire
from loans.models import BankAgreement
from subsidy import filings
from subsidy.models import BankFiling, Complaint, FilingOpinion, ReviewBody
from subsidy.services import NotAllowed, StageRefused, SubsidyInputError
from tests.factories import UserFactory
from tests.subsidy.conftest import pdf, shanghai

# The four bodies in the order the bureau staff type them from the joint-review form, with the day each signed.
SIGN_OFFS = [
    (ReviewBody.PBOC, "人行 赵科长", dt.date(2026, 3, 3)),
    (ReviewBody.BUREAU, "科技局 钱局长", dt.date(2026, 3, 4)),
    (ReviewBody.FINANCE_OFFICE, "金融办 孙主任", dt.date(2026, 3, 6)),
    (ReviewBody.FINANCE_BUREAU, "财政局 李科长", dt.date(2026, 3, 5)),
]


def sign(client, filing, body, signer, day, approved="yes", opinion="", **extra):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("subsidy:filing-opinion", args=[filing.pk]),
        {
            "body": body,
            "approved": approved,
            "signer": signer,
            "signed_on": day.isoformat(),
            "opinion": opinion,
            **extra,
        },
    )


def test_three_years():
    assert filings.three_years_from(dt.date(2026, 1, 1)) == dt.date(2028, 12, 31)
    assert filings.three_years_from(dt.date(2024, 2, 29)) == dt.date(2027, 2, 28)


def test_the_four_bodies_sign_one_by_one_and_the_agreement_starts_after_the_last(
    client, qz, clock, mailoutbox
):
    client.force_login(qz.bank_user)
    response = client.post(
        reverse("subsidy:filing-create"),
        {"materials": pdf("备案材料.pdf"), "statement": "申请备案"},
    )
    filing = BankFiling.objects.get()
    assert response.status_code == 302 and filing.bank == qz.bank_a
    assert filing.state == BankFiling.State.FILED
    # The bureau is told a filing arrived.
    assert Notification.objects.filter(user=qz.staff, message__contains="衢州甲银行").exists()

    clock.move_to(shanghai(dt.date(2026, 3, 9)), tick=False)
    client.force_login(qz.staff)
    page = client.get(reverse("subsidy:filing-detail", args=[filing.pk])).content.decode()
    assert "尚待签署: 市人行、市科技局、市金融办、市财政局" in page.replace("：", ": ")
    for n, (body, signer, day) in enumerate(SIGN_OFFS[:3], start=1):
        extra = {"file": pdf("联合审定表.pdf")} if n == 1 else {}
        assert sign(client, filing, body, signer, day, opinion="同意", **extra).status_code == 302
        filing = BankFiling.objects.get()
        assert filing.state == BankFiling.State.UNDER_REVIEW  # the first sign-off opened the review
        assert filing.opinions.count() == n and filing.agreement is None
    assert not BankAgreement.objects.filter(bank=qz.bank_a, starts_on__gte="2026-01-01").exists()
    page = client.get(reverse("subsidy:filing-detail", args=[filing.pk])).content.decode()
    assert "人行 赵科长" in page and "2026-03-03" in page and "联合审定表.pdf" in page

    body, signer, day = SIGN_OFFS[3]
    assert sign(client, filing, body, signer, day, opinion="同意").status_code == 302
    filing = BankFiling.objects.get()
    assert filing.state == BankFiling.State.APPROVED
    agreement = filing.agreement
    # In force from the day of the last signature (金融办, 03-06), for three years (十一(一)).
    assert (agreement.starts_on, agreement.ends_on) == (dt.date(2026, 3, 6), dt.date(2029, 3, 5))
    assert agreement.status == BankAgreement.Status.ACTIVE and agreement.program == qz.program
    assert [
        (o.body, o.signer, o.signed_on, o.recorded_by) for o in filing.opinions.order_by("pk")
    ] == [(b, s, d, qz.staff) for b, s, d in SIGN_OFFS]
    trail = list(
        AuditEntry.objects.filter(content_type__model="bankfiling", object_id=str(filing.pk))
        .order_by("pk")
        .values_list("action", "from_state", "to_state")
    )
    assert trail == [
        ("subsidy.filing.submitted", "", "filed"),
        ("subsidy.filing.opinion", "", ""),
        ("subsidy.filing.under_review", "filed", "under_review"),
        ("subsidy.filing.opinion", "", ""),
        ("subsidy.filing.opinion", "", ""),
        ("subsidy.filing.opinion", "", ""),
        ("subsidy.filing.approved", "under_review", "approved"),
    ]
    # The bank is told, and reads its agreement (附件2) with the term filled in.
    assert Notification.objects.filter(user=qz.bank_user, message__contains="已备案").exists()
    client.force_login(qz.bank_user)
    response = client.get(reverse("subsidy:agreement-pdf", args=[agreement.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "有效期：2026年3月6日至2029年3月5日" in text
    assert "乙方：衢州甲银行" in text  # the bank filled in as party B
    # The scanned page is for those who see the filing.
    scan = FilingOpinion.objects.exclude(file="").get()
    assert client.get(reverse("subsidy:filing-opinion-file", args=[scan.pk])).status_code == 200
    client.force_login(qz.other_staff)
    assert client.get(reverse("subsidy:filing-opinion-file", args=[scan.pk])).status_code == 404


def pdf_text(data: bytes) -> str:
    """The PDF's text (poppler's pdftotext, as tests/kedaitong/test_documents.py), spaces and line breaks removed."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    out = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return "".join(out.split())


def test_a_sign_off_is_checked_and_what_was_typed_is_kept(client, qz):
    filing = filings.filing_submit(actor=qz.bank_user, program=qz.program, materials=pdf())
    client.force_login(qz.staff)
    # Signed tomorrow: refused, the form keeps the signer.
    response = sign(client, filing, "pboc", "人行 赵科长", dt.date(2026, 3, 3))
    assert response.status_code == 400
    page = response.content.decode()
    assert "晚于今天" in page and "人行 赵科长" in page
    # Before the bank filed.
    response = sign(client, filing, "pboc", "人行 赵科长", dt.date(2026, 2, 27))
    assert response.status_code == 400 and "早于银行报送备案申请的日期" in response.content.decode()
    # A refusal without its reason.
    response = sign(client, filing, "pboc", "人行 赵科长", dt.date(2026, 3, 2), approved="no")
    assert response.status_code == 400 and "不同意的理由" in response.content.decode()
    # No signer.
    assert sign(client, filing, "pboc", "", dt.date(2026, 3, 2)).status_code == 400
    assert not FilingOpinion.objects.exists()
    assert BankFiling.objects.get().state == BankFiling.State.FILED
    # Twice the same body.
    assert sign(client, filing, "pboc", "人行 赵科长", dt.date(2026, 3, 2)).status_code == 302
    response = sign(client, filing, "pboc", "人行 钱某", dt.date(2026, 3, 2))
    assert response.status_code == 409 and "意见已录入" in response.content.decode()
    assert FilingOpinion.objects.get().signer == "人行 赵科长"
    with pytest.raises(StageRefused, match="意见已录入"):
        filings.filing_record_opinion(
            actor=qz.staff,
            filing=filing,
            body="pboc",
            approved=True,
            signer="x",
            signed_on=dt.date(2026, 3, 2),
        )


def test_a_refusal_by_any_body_ends_the_filing_with_its_reason(client, qz):
    filing = filings.filing_submit(actor=qz.bank_user, program=qz.program, materials=pdf())
    client.force_login(qz.staff)
    sign(client, filing, "pboc", "人行 赵科长", dt.date(2026, 3, 2))
    response = sign(
        client,
        filing,
        "finance_office",
        "金融办 孙主任",
        dt.date(2026, 3, 2),
        approved="no",
        opinion="该行近三年有重大违规记录",
    )
    assert response.status_code == 302
    filing = BankFiling.objects.get()
    assert filing.state == BankFiling.State.REJECTED and filing.agreement is None
    assert filing.opinions.get(approved=False).opinion == "该行近三年有重大违规记录"
    page = client.get(reverse("subsidy:filing-detail", args=[filing.pk])).content.decode()
    assert "该行近三年有重大违规记录" in page and "sign-off-form" not in page
    response = sign(client, filing, "bureau", "科技局 钱局长", dt.date(2026, 3, 2))
    assert response.status_code == 409 and "联合审定已结束" in response.content.decode()
    assert Notification.objects.filter(user=qz.bank_user, message__contains="未通过").exists()
    # The bank may file again.
    assert filings.filing_submit(actor=qz.bank_user, program=qz.program, materials=pdf())


def test_who_records_the_sign_offs(client, qz):
    filing = filings.filing_submit(actor=qz.bank_user, program=qz.program, materials=pdf())
    url = reverse("subsidy:filing-opinion", args=[filing.pk])
    data = {"body": "bureau", "approved": "yes", "signer": "x", "signed_on": "2026-03-02"}
    for reader in (qz.bank_user, qz.auditor, qz.accountant):  # insiders who sign nothing: 403
        client.force_login(reader)
        assert client.post(url, data).status_code == 403, reader
    admin = UserFactory(username="qz_admin", role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    session = (
        client.session
    )  # the administrator works in one program at a time: the filing's, by the switch
    session[SESSION_KEY] = qz.program.code
    session.save()
    assert client.post(url, data).status_code == 403  # the administrator takes no step of a filing
    client.force_login(qz.other_staff)  # Changjiang staff: an outsider
    assert client.post(url, data).status_code == 404
    client.force_login(qz.staff)
    assert client.get(url).status_code == 405
    assert client.post(reverse("subsidy:filing-create"), {"materials": pdf()}).status_code == 403
    client.force_login(qz.head)  # the bureau head may transcribe too
    assert client.post(url, data).status_code == 302
    with pytest.raises(NotAllowed):
        filings.filing_record_opinion(
            actor=qz.auditor,
            filing=filing,
            body="finance_bureau",
            approved=True,
            signer="x",
            signed_on=dt.date(2026, 3, 2),
        )
    assert FilingOpinion.objects.count() == 1


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
    other = UserFactory(username="qz_bank_b", role="bank", bank=qz.bank_b)
    assert filings.filing_submit(actor=other, program=qz.program, materials=pdf()).bank == qz.bank_b


def test_a_second_filing_waits_for_the_first(qz):
    filings.filing_submit(actor=qz.bank_user, program=qz.program, materials=pdf())
    with pytest.raises(StageRefused, match="已有审定中的备案申请"):
        filings.filing_submit(actor=qz.bank_user, program=qz.program, materials=pdf())


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


def test_complaint_ends_the_agreement_by_its_transition(client, qz):
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
    assert AuditEntry.objects.filter(
        action="subsidy.agreement.terminated", from_state="active", to_state="terminated"
    ).exists()
    with pytest.raises(StageRefused):
        filings.agreement_renew(actor=qz.staff, agreement=agreement)


def test_the_status_changes_only_by_its_transitions(qz):
    agreement = qz.bank_a.agreements.get(program=qz.program)
    with pytest.raises(AttributeError):
        agreement.status = BankAgreement.Status.TERMINATED


def test_agreements_past_their_last_day_expire(qz, clock):
    # Both banks' agreements end 2026-12-31; on that day they are still in force.
    assert agreements_expire(on=dt.date(2026, 12, 31)) == []
    clock.move_to(shanghai(dt.date(2027, 1, 1)), tick=False)
    call_command("expire_agreements")
    assert set(
        BankAgreement.objects.filter(program=qz.program).values_list("bank__code", "status")
    ) == {("qz-a", "expired"), ("qz-b", "expired")}
    assert (
        AuditEntry.objects.filter(action="loans.agreement.expired", to_state="expired").count() == 2
    )
    assert agreements_expire() == []  # nothing twice


def test_signed_in_the_future_is_refused_by_the_service(qz):
    filing = filings.filing_submit(actor=qz.bank_user, program=qz.program, materials=pdf())
    with pytest.raises(SubsidyInputError, match="晚于今天"):
        filings.filing_record_opinion(
            actor=qz.staff,
            filing=filing,
            body="pboc",
            approved=True,
            signer="x",
            signed_on=dt.date(2026, 3, 3),
        )
