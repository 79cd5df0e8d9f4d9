"""Issue 17 (1): an enterprise account proves that it speaks for the enterprise.

Registration verifies the e-mail address with a signed link; the account stays
unconfirmed (drafts yes, submission no) until the bureau of a program confirms it
against the business licence and the signed authorization letter, or a cooperating
bank invites it. A company that finds its code taken files a dispute that the
bureau decides: the loser's drafts are kept, the loser loses access, the winner
gets it. Each test goes through the pages and looks at rows, audit entries and mail.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as DjangoClient
from django.test import TestCase, override_settings

from applications import services
from applications.models import AccountClaim, Application, Enterprise
from kedaitong.models import AuditEntry, User
from kedaitong.roles import Role
from tests.applications.test_submit import changjiang_draft
from tests.factories import EnterpriseFactory, UserFactory, credit_code

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "Kedaitong-test-2026"


class Client(DjangoClient):
    """A browser whose requests end as in production: work kept for the commit (e-mail) runs at its end."""

    def request(self, **request):  # type: ignore[no-untyped-def]
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def registration(code: str, username: str, name: str = "丙新材料有限公司") -> dict[str, str]:
    return {
        "credit_code": code,
        "name": name,
        "display_name": "赵六",
        "email": f"{username}@example.invalid",
        "username": username,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }


def evidence(program: str = "") -> dict[str, object]:
    return {
        "licence": SimpleUploadedFile("营业执照.pdf", PDF),
        "authorization": SimpleUploadedFile("授权委托书.pdf", PDF),
        "statement": "法定代表人授权本人办理。",
    } | ({"program": program} if program else {})


def link_in(message, path: str) -> str:  # type: ignore[no-untyped-def]
    return re.search(rf"http://testserver({path}\S+/)", message.body).group(1)


def register(code: str, username: str) -> tuple[Client, User]:
    client = Client()
    response = client.post("/enterprise/register/", registration(code, username))
    assert response.status_code == 302 and response["Location"] == "/enterprise/account/"
    return client, User.objects.get(username=username)


def verify(message) -> None:  # type: ignore[no-untyped-def]
    link = link_in(message, "/enterprise/account/verify/")
    browser = Client()
    page = browser.get(link)
    assert page.status_code == 200 and "确认" in page.content.decode()
    assert browser.post(link).status_code == 302


# --- registration, verification, confirmation -------------------------------------------------------------------


def test_a_registration_is_verified_by_e_mail_and_confirmed_by_the_bureau(cast):
    code = credit_code(801)
    client, user = register(code, "bing")
    enterprise = user.enterprise
    assert user.email_verified_at is None and enterprise.account_confirmed_at is None
    (message,) = mail.outbox
    assert message.to == ["bing@example.invalid"] and "验证" in message.subject

    # A GET of the link (a mail scanner, a preview) verifies nothing; the button does.
    link = link_in(message, "/enterprise/account/verify/")
    assert Client().get(link).status_code == 200
    user.refresh_from_db()
    assert user.email_verified_at is None
    assert Client().post(link).status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert AuditEntry.objects.filter(
        action="applications.account.email_verified", actor=user
    ).exists()

    page = client.get("/enterprise/account/").content.decode()
    assert "尚未确认" in page and "营业执照" in page
    response = client.post("/enterprise/account/", evidence(str(cast.changjiang.pk)))
    assert response.status_code == 302
    claim = AccountClaim.objects.get(enterprise=enterprise)
    assert (claim.kind, claim.state, claim.claimant, claim.program) == (
        "registration",
        "pending",
        user,
        cast.changjiang,
    )
    assert claim.licence_name == "营业执照.pdf" and claim.licence.read() == PDF
    assert mail.outbox[-1].to == sorted([cast.bureau_staff.email, cast.bureau_head.email])

    staff = client_for(cast.bureau_staff)
    queue = staff.get("/enterprise-claims/")
    assert queue.status_code == 200 and "丙新材料有限公司" in queue.content.decode()
    detail = staff.get(f"/enterprise-claims/{claim.public_id}/")
    assert detail.status_code == 200 and "bing@example.invalid" in detail.content.decode()
    licence = staff.get(f"/enterprise-claims/{claim.public_id}/files/licence/")
    assert licence.status_code == 200 and licence["Content-Type"] == "application/pdf"
    # Before the decision the bureau still cannot open the enterprise's profile.
    assert staff.get(f"/enterprises/{enterprise.public_id}/").status_code == 404

    decided = staff.post(
        f"/enterprise-claims/{claim.public_id}/decide/", {"decision": "confirm", "reason": ""}
    )
    assert decided.status_code == 302
    claim.refresh_from_db()
    enterprise.refresh_from_db()
    assert claim.state == "confirmed" and claim.decided_by == cast.bureau_staff
    assert enterprise.account_confirmed_by == cast.bureau_staff
    assert enterprise.account_confirmed_at is not None
    assert mail.outbox[-1].to == ["bing@example.invalid"] and "已确认" in mail.outbox[-1].subject
    row = AuditEntry.objects.get(action="applications.account.claim_confirmed")
    assert (row.actor, row.from_state, row.to_state) == (cast.bureau_staff, "pending", "confirmed")
    # A confirmed relation: the bureau now sees the enterprise.
    assert staff.get(f"/enterprises/{enterprise.public_id}/").status_code == 200


def test_an_unconfirmed_account_fills_a_draft_but_cannot_submit(cast):
    cast.application_a.delete()
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(account_confirmed_at=None)
    cast.enterprise_a.refresh_from_db()
    application = changjiang_draft(cast)
    client = client_for(cast.applicant)
    page = client.get(f"/applications/{application.public_id}/submit/").content.decode()
    assert "主管部门尚未确认" in page
    response = client.post(f"/applications/{application.public_id}/submit/", follow=True)
    assert "主管部门尚未确认" in response.content.decode()
    application.refresh_from_db()
    assert application.state == Application.State.DRAFT
    assert not AuditEntry.objects.filter(action="applications.application.submitted").exists()
    # The same draft goes through once the bureau confirmed the account.
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(
        account_confirmed_at=cast.enterprise_a.created_at
    )
    assert client.post(f"/applications/{application.public_id}/submit/").status_code == 302
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED


def test_an_unverified_address_cannot_submit_either(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    User.objects.filter(pk=cast.applicant.pk).update(email_verified_at=None)
    cast.applicant.refresh_from_db()
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any("邮箱" in p for p in refused.value.problems)


def test_the_bureau_sees_a_claim_only_once_the_address_is_verified(cast):
    client, user = register(credit_code(802), "ding")
    (verification,) = mail.outbox
    mail.outbox.clear()
    assert client.post("/enterprise/account/", evidence(str(cast.changjiang.pk))).status_code == 302
    assert mail.outbox == []  # nobody answers that address yet: the bureau is not bothered
    claim = AccountClaim.objects.get(claimant=user)
    staff = client_for(cast.bureau_staff)
    page = staff.get("/enterprise-claims/").content.decode()
    assert "尚未验证" in page
    refused = staff.post(
        f"/enterprise-claims/{claim.public_id}/decide/", {"decision": "confirm", "reason": ""}
    )
    assert refused.status_code == 409
    claim.refresh_from_db()
    assert claim.state == "pending"
    # Asking again sends a fresh link; either link verifies.
    assert client.post("/enterprise/account/verify-again/").status_code == 302
    assert mail.outbox[-1].to == ["ding@example.invalid"]
    mail.outbox.clear()
    verify(verification)
    assert [m.to for m in mail.outbox] == [
        sorted([cast.bureau_staff.email, cast.bureau_head.email])
    ]


def test_a_refusal_needs_a_reason_and_the_registrant_may_file_again(cast):
    client, user = register(credit_code(803), "wu")
    verify(mail.outbox[0])
    client.post("/enterprise/account/", evidence(str(cast.changjiang.pk)))
    claim = AccountClaim.objects.get(claimant=user)
    head = client_for(cast.bureau_head)
    url = f"/enterprise-claims/{claim.public_id}/decide/"
    no_reason = head.post(url, {"decision": "refuse", "reason": " "})
    assert no_reason.status_code == 400 and "理由" in no_reason.content.decode()
    assert head.post(url, {"decision": "refuse", "reason": "授权委托书未盖公章"}).status_code == 302
    claim.refresh_from_db()
    assert claim.state == "refused" and claim.reason == "授权委托书未盖公章"
    assert "授权委托书未盖公章" in mail.outbox[-1].body
    again = head.post(url, {"decision": "confirm", "reason": ""})
    assert again.status_code == 409 and "已被" in again.content.decode()
    # The registrant files better evidence; a second claim waits.
    assert client.post("/enterprise/account/", evidence(str(cast.changjiang.pk))).status_code == 302
    assert AccountClaim.objects.filter(claimant=user, state="pending").count() == 1


def test_only_the_bureau_of_the_claims_program_decides(cast):
    client, user = register(credit_code(804), "ji")
    verify(mail.outbox[0])
    client.post("/enterprise/account/", evidence(str(cast.changjiang.pk)))
    claim = AccountClaim.objects.get(claimant=user)
    url = f"/enterprise-claims/{claim.public_id}/"
    quzhou_staff = UserFactory(username="qz-staff", role=Role.BUREAU_STAFF, program=cast.quzhou)
    expected = {
        cast.leading_group: 403,
        cast.auditor: 403,
        cast.bank_x_user: 404,
        cast.applicant: 404,
        quzhou_staff: 404,
        cast.admin: 200,
    }
    assert {u: client_for(u).get(url).status_code for u in expected} == expected
    assert client_for(cast.admin).post(url + "decide/", {"decision": "confirm"}).status_code == 403
    assert client_for(cast.leading_group).get(url + "files/licence/").status_code == 403
    assert client.get(url + "files/licence/").status_code == 200  # the claimant's own evidence
    claim.refresh_from_db()
    assert claim.state == "pending"


def test_a_bad_evidence_file_files_nothing(cast):
    client, user = register(credit_code(805), "geng")
    data = evidence(str(cast.changjiang.pk)) | {
        "authorization": SimpleUploadedFile("letter.docx", b"PK\x03\x04 not a pdf")
    }
    response = client.post("/enterprise/account/", data)
    assert response.status_code == 400 and "PDF" in response.content.decode()
    assert not AccountClaim.objects.exists()


@override_settings(EMAIL_VERIFICATION_DAYS=0)
def test_an_expired_or_forged_link_verifies_nothing(cast):
    client, user = register(credit_code(806), "xin")
    link = link_in(mail.outbox[0], "/enterprise/account/verify/")
    expired = Client().post(link)
    assert expired.status_code == 400 and "过期" in expired.content.decode()
    forged = signing.dumps({"u": str(user.public_id), "e": "other@example.invalid"})
    assert Client().post(f"/enterprise/account/verify/{forged}/").status_code == 400
    user.refresh_from_db()
    assert user.email_verified_at is None


# --- disputes ---------------------------------------------------------------------------------------------------


@pytest.fixture
def squatted(cast):  # type: ignore[no-untyped-def]
    """Someone registered the real company's code first, wrote a draft and invited a colleague."""
    code = credit_code(810)
    squatter_client, squatter = register(code, "squatter")
    enterprise = squatter.enterprise
    assert (
        squatter_client.post("/enterprise/account/", evidence(str(cast.changjiang.pk))).status_code
        == 302
    )
    draft = Application.objects.create(
        reference="CJ-SQUAT001",
        program_version=cast.application_a.program_version,
        enterprise=enterprise,
        amount=1000000,
    )
    colleague = UserFactory(username="sq-colleague", role=Role.ENTERPRISE, enterprise=enterprise)
    mail.outbox.clear()
    return code, enterprise, squatter, squatter_client, colleague, draft


def file_dispute(code: str, cast) -> tuple[Client, AccountClaim]:  # type: ignore[no-untyped-def]
    taken = Client().post("/enterprise/register/", registration(code, "real"))
    page = taken.content.decode()
    assert taken.status_code == 200 and f"/enterprise/dispute/?credit_code={code}" in page
    client = Client()
    assert client.get(f"/enterprise/dispute/?credit_code={code}").status_code == 200
    data = registration(code, "real") | evidence(str(cast.changjiang.pk))
    data["statement"] = "我司为该代码的合法持有人，对方账户与我司无关。"
    response = client.post("/enterprise/dispute/", data)
    assert response.status_code == 302 and response["Location"] == "/enterprise/account/"
    return client, AccountClaim.objects.get(kind="dispute")


def test_an_upheld_dispute_hands_the_enterprise_over_and_keeps_the_drafts(cast, squatted):
    code, enterprise, squatter, squatter_client, colleague, draft = squatted
    real_client, claim = file_dispute(code, cast)
    real = claim.claimant
    assert (real.role, real.enterprise) == ("", None)  # nothing of the enterprise meanwhile
    assert real_client.get("/").status_code == 302  # home leads to the claim's page
    assert "等待主管部门" in real_client.get("/enterprise/account/").content.decode()
    assert real_client.get(f"/applications/{draft.public_id}/").status_code == 404
    verify(next(m for m in mail.outbox if m.to == ["real@example.invalid"]))

    staff = client_for(cast.bureau_staff)
    detail = staff.get(f"/enterprise-claims/{claim.public_id}/").content.decode()
    assert "squatter" in detail and "sq-colleague" in detail and "1 份草稿" in detail
    response = staff.post(
        f"/enterprise-claims/{claim.public_id}/decide/",
        {"decision": "confirm", "reason": "营业执照与授权委托书核对无误"},
    )
    assert response.status_code == 302

    real.refresh_from_db()
    squatter.refresh_from_db()
    colleague.refresh_from_db()
    assert (real.role, real.enterprise_id) == (Role.ENTERPRISE, enterprise.pk)
    assert (squatter.role, squatter.enterprise_id) == ("", None)
    assert (colleague.role, colleague.enterprise_id) == ("", None)
    # The loser's draft is kept, now the winner's to continue or withdraw.
    draft.refresh_from_db()
    assert draft.enterprise_id == enterprise.pk and draft.state == Application.State.DRAFT
    assert real_client.get(f"/applications/{draft.public_id}/").status_code == 200
    assert squatter_client.get(f"/applications/{draft.public_id}/").status_code == 404
    assert squatter_client.get("/enterprise/profile/").status_code == 403
    enterprise.refresh_from_db()
    assert enterprise.account_confirmed_by == cast.bureau_staff
    assert AccountClaim.objects.get(claimant=squatter).state == "superseded"
    handed = AuditEntry.objects.get(action="applications.account.handed_over")
    assert handed.data == {
        "to": "real",
        "from": ["squatter", "sq-colleague"],
        "drafts_kept": 1,
    }
    assert AuditEntry.objects.filter(action="applications.account.access_removed").count() == 2
    told = {tuple(m.to) for m in mail.outbox[-2:]}
    assert told == {
        ("sq-colleague@example.invalid", "squatter@example.invalid"),
        ("real@example.invalid",),
    }


def test_a_dismissed_dispute_changes_nothing_for_the_holder(cast, squatted):
    code, enterprise, squatter, squatter_client, colleague, draft = squatted
    real_client, claim = file_dispute(code, cast)
    verify(next(m for m in mail.outbox if m.to == ["real@example.invalid"]))
    response = client_for(cast.bureau_staff).post(
        f"/enterprise-claims/{claim.public_id}/decide/",
        {"decision": "refuse", "reason": "授权委托书与营业执照不符"},
    )
    assert response.status_code == 302
    claim.claimant.refresh_from_db()
    squatter.refresh_from_db()
    assert (claim.claimant.role, claim.claimant.enterprise) == ("", None)
    assert squatter.enterprise_id == enterprise.pk
    assert squatter_client.get(f"/applications/{draft.public_id}/").status_code == 200
    assert "授权委托书与营业执照不符" in real_client.get("/enterprise/account/").content.decode()


def test_a_dispute_needs_an_account_holding_the_code_and_its_evidence(cast):
    free = credit_code(811)
    data = registration(free, "nobody") | evidence(str(cast.changjiang.pk))
    data["statement"] = "x"
    response = Client().post("/enterprise/dispute/", data)
    assert response.status_code == 400 and "请直接注册" in response.content.decode()
    taken = cast.enterprise_a.credit_code
    data = registration(taken, "nobody") | {"program": str(cast.changjiang.pk), "statement": "x"}
    response = Client().post("/enterprise/dispute/", data)
    assert response.status_code == 400
    assert not User.objects.filter(username="nobody").exists()
    assert not AccountClaim.objects.exists()


# --- bank invitations -------------------------------------------------------------------------------------------


def test_a_cooperating_bank_invites_its_customer_confirmed(cast):
    bank = client_for(cast.bank_x_user)
    page = bank.get("/enterprise/bank-invitations/")
    assert page.status_code == 200
    code = credit_code(820)
    response = bank.post(
        "/enterprise/bank-invitations/",
        {
            "program": cast.changjiang.pk,
            "credit_code": code,
            "name": "庚精密机械有限公司",
            "display_name": "钱七",
            "email": "Qian@Example.invalid",
        },
    )
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(credit_code=code)
    user = User.objects.get(enterprise=enterprise)
    assert enterprise.account_confirmed_by == cast.bank_x_user
    assert not user.has_usable_password() and user.email_verified_at is None
    claim = AccountClaim.objects.get(enterprise=enterprise)
    assert (claim.kind, claim.state, claim.bank) == ("bank_invitation", "confirmed", cast.bank_x)
    (message,) = mail.outbox
    assert message.to == ["qian@example.invalid"] and "X银行" in message.body
    # Setting the password through the link proves the address too.
    link = link_in(message, "/accounts/reset/")
    browser = Client()
    form = browser.get(link, follow=True)
    done = browser.post(
        form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None and user.check_password(PASSWORD)
    # The inviting bank sees its customer; another bank does not.
    assert bank.get(f"/enterprises/{enterprise.public_id}/").status_code == 200
    other = client_for(cast.bank_y_user)
    assert other.get(f"/enterprises/{enterprise.public_id}/").status_code == 404
    assert "庚精密机械" not in other.get("/enterprise/bank-invitations/").content.decode()


def test_a_bank_cannot_invite_into_an_account_or_a_program_it_has_no_agreement_in(cast):
    bank = client_for(cast.bank_x_user)
    held = bank.post(
        "/enterprise/bank-invitations/",
        {
            "program": cast.changjiang.pk,
            "credit_code": cast.enterprise_b.credit_code,
            "name": "乙",
            "display_name": "钱七",
            "email": "qian@example.invalid",
        },
    )
    assert held.status_code == 409 and "异议" in held.content.decode()
    elsewhere = bank.post(
        "/enterprise/bank-invitations/",
        {
            "program": cast.quzhou.pk,
            "credit_code": credit_code(821),
            "name": "辛",
            "display_name": "钱七",
            "email": "qian@example.invalid",
        },
    )
    assert elsewhere.status_code == 400
    assert not User.objects.filter(email="qian@example.invalid").exists()
    assert mail.outbox == []


def test_an_enterprise_on_record_claimed_by_registration_waits_for_the_bureau(cast):
    on_record = EnterpriseFactory(credit_code=credit_code(830), account_confirmed_at=None)
    client, user = register(on_record.credit_code, "claimer")
    assert user.enterprise_id == on_record.pk
    on_record.refresh_from_db()
    assert on_record.account_confirmed_at is None
    assert "尚未确认" in client.get("/").content.decode()


def test_a_colleague_sees_the_waiting_request_and_files_no_second_one(cast):
    client, user = register(credit_code(840), "ren")
    assert client.post("/enterprise/account/", evidence(str(cast.changjiang.pk))).status_code == 302
    colleague = UserFactory(
        username="ren-colleague", role=Role.ENTERPRISE, enterprise=user.enterprise
    )
    other = client_for(colleague)
    page = other.get("/enterprise/account/").content.decode()
    assert "正在等待主管部门确认" in page and "赵六" in page and 'name="licence"' not in page
    again = other.post("/enterprise/account/", evidence(str(cast.changjiang.pk)))
    assert again.status_code == 409
    assert AccountClaim.objects.filter(enterprise=user.enterprise).count() == 1
    with pytest.raises(services.Conflict):
        services.claim_file(
            actor=colleague,
            program=cast.changjiang,
            licence=SimpleUploadedFile("l.pdf", PDF),
            authorization=SimpleUploadedFile("a.pdf", PDF),
        )
