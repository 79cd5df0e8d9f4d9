"""Changjiang 第七条 (贷款主体在贷款期满未还清贷款本息的，实行联合追偿): a case opens when a loan is unpaid at maturity,
led by the bank with the office, the bureau and the service unit as parties; each records actions with documents;
the bank and the office see the open cases with their age."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from kedaitong.models import AuditEntry, Notification
from loans.models import Repayment
from programs.changjiang.models import RecoveryAction, RecoveryCase, RecoveryDocument
from tests.clock import bureau
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LIST = "/changjiang/recovery/"


def pdf(name: str = "催收函.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def cases(cast, time_machine) -> RecoveryCase:
    """loan_a and loan_b matured on 2027-02-09; loan_b was repaid in full before, loan_a was not."""
    Repayment.objects.create(
        loan=cast.loan_b, repaid_on="2027-02-08", principal=Decimal("1000000.00")
    )
    time_machine.move_to(bureau(2027, 2, 10, 1), tick=False)
    out = io.StringIO()
    call_command("changjiang_daily", "--on", "2027-02-10", stdout=out)
    assert "1 recovery case(s) opened" in out.getvalue()
    time_machine.move_to(bureau(2027, 3, 2, 10), tick=True)
    return RecoveryCase.objects.get()


def case_url(case: RecoveryCase) -> str:
    return f"{LIST}{case.public_id}/"


def test_a_case_opens_the_day_after_an_unpaid_maturity_once(cast, cases, client):
    case = cases
    assert (case.loan, case.bank, case.matured_on.isoformat(), case.opened_on.isoformat()) == (
        cast.loan_a,
        cast.bank_x,
        "2027-02-09",
        "2027-02-10",
    )
    assert (case.unpaid_principal, case.state) == (Decimal("1000000.00"), "open")
    assert AuditEntry.objects.filter(action="changjiang.recovery_case.opened").count() == 1
    assert Notification.objects.filter(user=cast.bank_x_user).exists()
    assert Notification.objects.filter(user=cast.leading_group).exists()
    call_command("changjiang_daily", "--on", "2027-02-11", stdout=io.StringIO())
    assert RecoveryCase.objects.count() == 1
    # The bank and the office see it with its age (2027-02-10 → 2027-03-02: 20 days); bank Y does not.
    for user in (cast.bank_x_user, cast.leading_group):
        client.force_login(user)
        page = client.get(LIST).content.decode()
        assert case_url(case) in page and '<td class="num age">20</td>' in page
    client.force_login(cast.bank_y_user)
    assert case_url(case) not in client.get(LIST).content.decode()
    assert client.get(case_url(case)).status_code == 404
    # The loan page links to its case.
    client.force_login(cast.bureau_staff)
    assert case_url(case) in client.get(f"/loans/{cast.loan_a.public_id}/").content.decode()


def test_the_lead_bank_records_an_action_with_documents(cast, cases, client):
    case = cases
    client.force_login(cast.bank_x_user)
    response = client.post(
        case_url(case),
        {
            "party": "bank",
            "acted_on": "2027-02-15",
            "what": "向企业及担保人寄送催收函",
            "result": "企业承诺3月底前归还50万元",
            "documents": [pdf(), pdf("回执.pdf")],
        },
    )
    assert response.status_code == 302
    action = RecoveryAction.objects.get()
    assert (action.party, action.acted_on.isoformat(), action.recorded_by) == (
        "bank",
        "2027-02-15",
        cast.bank_x_user,
    )
    names = sorted(RecoveryDocument.objects.values_list("original_name", flat=True))
    assert names == ["催收函.pdf", "回执.pdf"]
    audit = AuditEntry.objects.for_object(case).get(action="changjiang.recovery_action.recorded")
    assert audit.actor == cast.bank_x_user and len(audit.data["documents"]) == 2
    assert Notification.objects.filter(
        user=cast.leading_group, message__contains=cast.loan_a.contract_no
    ).exists()
    # The office reads the action and opens its document.
    client.force_login(cast.leading_group)
    page = client.get(case_url(case)).content.decode()
    assert "向企业及担保人寄送催收函" in page and "企业承诺3月底前归还50万元" in page
    document = RecoveryDocument.objects.get(original_name="回执.pdf")
    response = client.get(f"{LIST}documents/{document.public_id}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    client.force_login(cast.bank_y_user)
    assert client.get(f"{LIST}documents/{document.public_id}/").status_code == 404


def test_documents_are_all_kept_or_none_and_the_form_keeps_what_was_typed(cast, cases, client):
    client.force_login(cast.bank_x_user)
    bad = SimpleUploadedFile("x.pdf", b"MZ\x90 not a pdf", content_type="application/pdf")
    response = client.post(
        case_url(cases),
        {
            "party": "bank",
            "acted_on": "2027-02-15",
            "what": "上门催收",
            "result": "未见法人",
            "documents": [pdf(), bad],
        },
    )
    assert response.status_code == 400
    assert "上门催收" in response.content.decode()
    assert RecoveryAction.objects.count() == 0 and RecoveryDocument.objects.count() == 0
    response = client.post(
        case_url(cases),
        {"party": "bank", "acted_on": "2027-03-05", "what": "x", "result": "y"},
    )
    assert response.status_code == 400 and RecoveryAction.objects.count() == 0  # in the future


def test_the_office_names_the_service_unit_and_records_for_it_then_closes(cast, cases, client):
    client.force_login(cast.leading_group)
    response = client.post(
        case_url(cases),
        {"party": "service_unit", "acted_on": "2027-02-20", "what": "x", "result": "y"},
    )
    assert response.status_code == 400  # no service unit named yet
    client.post(f"{case_url(cases)}service-unit/", {"service_unit": "昌江区科技金融服务中心"})
    cases.refresh_from_db()
    assert cases.service_unit == "昌江区科技金融服务中心"
    response = client.post(
        case_url(cases),
        {
            "party": "service_unit",
            "acted_on": "2027-02-20",
            "what": "协调担保公司代偿",
            "result": "待答复",
        },
    )
    assert response.status_code == 302
    assert RecoveryAction.objects.get().party == "service_unit"
    response = client.post(f"{case_url(cases)}close/", {"outcome": "已申请风险补偿并核销"})
    assert response.status_code == 302
    cases.refresh_from_db()
    assert (cases.state, cases.closed_by, cases.outcome) == (
        "closed",
        cast.leading_group,
        "已申请风险补偿并核销",
    )
    assert cases.closed_on.isoformat() == "2027-03-02"
    client.force_login(cast.bank_x_user)
    response = client.post(
        case_url(cases), {"party": "bank", "acted_on": "2027-02-20", "what": "x", "result": "y"}
    )
    assert response.status_code == 403 and RecoveryAction.objects.count() == 1
    assert case_url(cases) not in client.get(LIST).content.decode()
    assert case_url(cases) in client.get(f"{LIST}?state=closed").content.decode()


@pytest.mark.parametrize(
    ("who", "get", "post"),
    [("auditor", 200, 403), ("bureau_head", 200, 200), ("applicant", 403, 403)],
)
def test_who_may_see_and_act(cast, cases, client, who, get, post):
    client.force_login(getattr(cast, who))
    assert client.get(case_url(cases)).status_code == get
    response = client.post(
        case_url(cases),
        {"party": "bureau", "acted_on": "2027-02-20", "what": "约谈", "result": "x"},
    )
    assert response.status_code in ((302,) if post == 200 else (post,))
    assert RecoveryAction.objects.count() == (1 if post == 200 else 0)
    assert client.post(f"{case_url(cases)}close/", {"outcome": "x"}).status_code == 403


def test_a_quzhou_user_has_no_recovery_pages(cast, cases, client):
    client.force_login(UserFactory(username="qz", role="bureau_staff", program=cast.quzhou))
    assert client.get(LIST).status_code == 404
    assert client.get(case_url(cases)).status_code == 404
