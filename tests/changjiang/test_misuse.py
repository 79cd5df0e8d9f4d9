"""Changjiang 第九条 (贷款用于非企业经营活动的): the lending bank or the bureau proposes a blacklist entry on the
misuse ground with evidence; the bureau decides it as it decides the overdue ground; every notice cites the ground."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import ProgramVersion
from kedaitong.models import AuditEntry, Notification
from review import services
from review.models import BlacklistEntry
from tests.factories import LoanFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
GROUND = "昌江细则第九条：Loan used outside the enterprise's business"


def propose_url(loan) -> str:
    return f"/review/blacklist/propose/{loan.public_id}/"


def evidence(name: str = "statement.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_the_lending_bank_proposes_from_the_loan_page_with_evidence(client, cast):
    client.force_login(cast.bank_x_user)
    page = client.get(f"/loans/{cast.loan_a.public_id}/").content.decode()
    assert propose_url(cast.loan_a) in page
    form = client.get(propose_url(cast.loan_a))
    assert form.status_code == 200 and "第九条" in form.content.decode()

    response = client.post(
        propose_url(cast.loan_a),
        {"details": "贷款资金转入股东个人账户用于购房", "evidence": evidence()},
    )

    assert response.status_code == 302
    entry = BlacklistEntry.objects.get()
    assert (entry.reason, entry.status, entry.loan, entry.enterprise, entry.proposed_by) == (
        "misuse",
        "proposed",
        cast.loan_a,
        cast.enterprise_a,
        cast.bank_x_user,
    )
    assert entry.evidence.read() == PDF and entry.evidence_name == "statement.pdf"
    audit = AuditEntry.objects.for_object(entry).get(action="review.blacklist.proposed")
    assert (audit.actor, audit.to_state, audit.data["reason"]) == (
        cast.bank_x_user,
        "proposed",
        "misuse",
    )
    to_staff = Notification.objects.get(user=cast.bureau_staff)
    assert "第九条" in to_staff.message and cast.enterprise_a.name in to_staff.message
    assert Notification.objects.filter(user=cast.leading_group, message__contains="第九条").exists()
    # The bureau sees it on the blacklist page with the other proposals.
    client.force_login(cast.bureau_staff)
    assert (
        f"/review/blacklist/{entry.public_id}/decide/"
        in client.get("/review/blacklist/").content.decode()
    )


def test_the_bureau_decides_it_like_an_overdue_proposal_and_the_notices_cite_the_ground(
    client, cast
):
    entry = services.blacklist_propose(
        actor=cast.bureau_staff, loan=cast.loan_a, details="资金用于炒股", evidence=evidence()
    )
    client.force_login(cast.bureau_staff)
    response = client.post(
        f"/review/blacklist/{entry.public_id}/decide/",
        {f"e{entry.pk}-decision": "listed", f"e{entry.pk}-reason": "经核实贷款用于证券投资"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.decided_by) == ("listed", cast.bureau_staff)
    assert BlacklistEntry.objects.blocking(cast.enterprise_a) == entry
    notice = Notification.objects.get(user=cast.applicant)
    assert "昌江细则第九条" in notice.message and cast.enterprise_a.name in notice.message
    assert (
        Notification.objects.filter(
            user=cast.leading_group, message__contains="昌江细则第九条"
        ).count()
        == 2
    )  # the proposal and the decision


def test_the_proposer_learns_the_decision(cast, django_capture_on_commit_callbacks):
    cast.bank_x_user.email = "clerk@bank-x.invalid"
    cast.bank_x_user.save()
    entry = services.blacklist_propose(
        actor=cast.bank_x_user, loan=cast.loan_a, details="用于购买理财", evidence=evidence()
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.blacklist_decide(
            actor=cast.bureau_staff, entry=entry, decision="dismissed", reason="证据不足"
        )
    note = Notification.objects.get(user=cast.bank_x_user)
    assert "第九条" in note.message and cast.enterprise_a.name in note.message
    sent = [m for m in mail.outbox if "clerk@bank-x.invalid" in m.to]
    assert len(sent) == 1 and "证据不足" in sent[0].body
    assert not Notification.objects.filter(user=cast.applicant).exists()  # dismissed: no notice


def test_without_evidence_or_facts_nothing_is_saved_and_what_was_typed_stays(client, cast):
    client.force_login(cast.bank_x_user)
    response = client.post(propose_url(cast.loan_a), {"details": "资金挪作他用"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "资金挪作他用" in page
    assert BlacklistEntry.objects.count() == 0
    fake = evidence("fake.pdf", b"MZ not a pdf")
    response = client.post(propose_url(cast.loan_a), {"details": "资金挪作他用", "evidence": fake})
    assert response.status_code == 400 and BlacklistEntry.objects.count() == 0


def test_one_open_proposal_per_enterprise_on_this_ground(client, cast):
    services.blacklist_propose(
        actor=cast.bank_x_user, loan=cast.loan_a, details="挪用", evidence=evidence()
    )
    client.force_login(cast.bureau_staff)
    response = client.post(propose_url(cast.loan_a), {"details": "再次", "evidence": evidence()})
    assert response.status_code == 400
    assert "already" in response.content.decode() or "已" in response.content.decode()
    assert BlacklistEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("bank_y_user", 404),  # another bank: the loan is not theirs to see
        ("other_applicant", 404),
        ("applicant", 403),  # the enterprise sees its loan, proposes nothing
        ("leading_group", 403),
        ("auditor", 403),
    ],
)
def test_only_the_lending_bank_and_the_bureau_propose(client, cast, who, status):
    client.force_login(getattr(cast, who))
    response = client.post(propose_url(cast.loan_a), {"details": "x", "evidence": evidence()})
    assert response.status_code == status
    assert BlacklistEntry.objects.count() == 0
    if status == 403:
        page = client.get(f"/loans/{cast.loan_a.public_id}/").content.decode()
        assert propose_url(cast.loan_a) not in page


def test_a_quzhou_loan_has_no_such_proposal(client, cast):
    version = ProgramVersion.objects.filter(program=cast.quzhou).first()
    loan = LoanFactory(enterprise=cast.enterprise_a, bank=cast.bank_x, program_version=version)
    client.force_login(cast.bank_x_user)
    assert client.get(propose_url(loan)).status_code == 404
    assert propose_url(loan) not in client.get(f"/loans/{loan.public_id}/").content.decode()


def test_the_general_blacklist_form_sends_misuse_to_the_loan_page(cast):
    with pytest.raises(services.ReviewError):
        services.blacklist_add(
            actor=cast.bureau_staff,
            enterprise=cast.enterprise_a,
            reason="misuse",
            details="x",
        )
    assert BlacklistEntry.objects.count() == 0
