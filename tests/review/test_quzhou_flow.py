"""Quzhou 二, its own flow: the enterprise submits 附件1 to one bank on file; the bank reviews it on its own and agrees
(同意放贷意见书) or declines; it disburses with the voucher (放款凭证) and reports 附件1 and the voucher to the city
bureau, which acknowledges the report or asks the bank to correct it. No leading group, no publicity; the
enterprise is told of every step and the next party of every hand-over, submission included.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from applications import services as application_services
from applications.models import (
    AnnualFigure,
    Application,
    Enterprise,
    ProgramListing,
    Qualification,
    QuzhouDetails,
    TeamMember,
)
from kedaitong.models import AuditEntry, Notification
from kedaitong.roles import Role
from loans import services as loan_services
from loans.models import Loan, LoanDocument
from review import selectors, services
from review.models import BankDecision
from tests.confirming import post_confirmed
from tests.factories import (
    ApplicationFactory,
    BankAgreementFactory,
    BankFactory,
    EnterpriseFactory,
    UserFactory,
    credit_code,
    version,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
S = Application.State


class World:
    """A Quzhou bank on file (in no other program), its clerk, the city bureau, an enterprise on the list."""

    def __init__(self, cast) -> None:  # type: ignore[no-untyped-def]
        self.cast = cast
        self.program = cast.quzhou
        self.bank = BankFactory(code="qz-bank", name="衢州科创银行")
        BankAgreementFactory(
            bank=self.bank,
            program=self.program,
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2028, 12, 31),
        )
        self.clerk = UserFactory(
            username="qz-clerk", role=Role.BANK, bank=self.bank, email="clerk@example.invalid"
        )
        self.staff = UserFactory(
            username="qz-staff",
            role=Role.BUREAU_STAFF,
            program=self.program,
            email="staff@example.invalid",
        )
        self.head = UserFactory(username="qz-head", role=Role.BUREAU_HEAD, program=self.program)
        place = self.program.registration_places.get(code="shibenji")
        self.enterprise = EnterpriseFactory(
            credit_code=credit_code(901, region="330802"),
            name="衢州智检科技有限公司",
            registered_region="浙江省衢州市柯城区",
            address="衢州市柯城区测试路2号",
            registration_place=place,
        )
        self.applicant = UserFactory(
            username="qz-applicant",
            role=Role.ENTERPRISE,
            enterprise=self.enterprise,
            email="qiye@example.invalid",
        )
        for year in application_services.figure_years():
            AnnualFigure.objects.create(
                enterprise=self.enterprise,
                year=year,
                revenue=Decimal("9000000.00"),
                profit=Decimal("700000.00"),
            )
        Qualification.objects.create(
            enterprise=self.enterprise, kind="provincial_tech_sme", year=2025
        )
        ProgramListing.objects.create(
            program=self.program,
            credit_code=self.enterprise.credit_code,
            name=self.enterprise.name,
            listed_on=dt.date(2025, 1, 1),
        )

    def draft(self) -> Application:
        application = ApplicationFactory(
            enterprise=self.enterprise,
            bank=self.bank,
            state=S.DRAFT,
            program_version=version("quzhou"),
            amount=Decimal("2000000.00"),
            term_months=12,
            planned_disbursement_on=dt.date(2026, 12, 1),
        )
        QuzhouDetails.objects.create(
            application=application,
            project_name="智能检测",
            company_intro="简介",
            project_intro="项目",
            contact_name="周九",
            contact_phone="0570-3000001",
        )
        TeamMember.objects.create(
            application=application, name="王五", id_number="11010519491231002X"
        )
        return application

    def submitted(self) -> Application:
        return application_services.application_submit(
            actor=self.applicant, application=self.draft()
        )

    def accepted(self) -> Application:
        application = self.submitted()
        services.bank_decide(
            actor=self.clerk,
            application=application,
            approved=True,
            opinion="经审核同意放贷",
            credit_amount=Decimal("2000000.00"),
            annual_rate=Decimal("3.0"),
            term_months=12,
            head_name="钱行长",
        )
        return Application.objects.get(pk=application.pk)

    def disbursed(self, *, voucher: bool = False) -> Application:
        application = self.accepted()
        loan_services.application_disburse(
            actor=self.clerk,
            application=application,
            voucher=pdf("放款凭证.pdf") if voucher else None,
            **LOAN,
        )
        return Application.objects.get(pk=application.pk)

    def reported(self) -> Application:
        return self.disbursed(voucher=True)


LOAN = {
    "contract_no": "QZ-HT-001",
    "contract_date": dt.date(2026, 3, 1),
    "disbursement_date": dt.date(2026, 3, 2),
    "maturity_date": dt.date(2027, 3, 1),
    "principal": Decimal("2000000.00"),
    "annual_rate": Decimal("3.0"),
}
LOAN_POST = {
    "contract_no": "QZ-HT-001",
    "contract_date": "2026-03-01",
    "disbursement_date": "2026-03-02",
    "maturity_date": "2027-03-01",
    "principal": "2000000.00",
    "annual_rate": "3.0",
}


def pdf(name: str = "file.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def act(client: Client, application: Application, **data) -> object:  # type: ignore[no-untyped-def]
    return post_confirmed(client, f"/review/applications/{application.public_id}/act/", data)


def actions(application: Application) -> list[str]:
    return list(
        AuditEntry.objects.for_object(application)
        .filter(action__startswith="applications.application.")
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )


@pytest.fixture
def world(cast) -> World:
    return World(cast)


def test_submission_goes_to_the_chosen_bank_and_tells_it(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application = world.submitted()
    assert application.state == S.BANK_REVIEW and application.submitted_pdf_sha256
    # The bank's queue has it; the city bureau's and the Changjiang staff's have nothing.
    assert [a.pk for a in selectors.queue_for(world.clerk)] == [application.pk]
    assert not selectors.queue_for(world.staff).exists()
    assert not selectors.queue_for(world.cast.bureau_staff).filter(pk=application.pk).exists()
    # Notifications at the hand-over: the enterprise and the bank, by inbox and e-mail; not the bureau yet.
    told = set(Notification.objects.filter(application=application).values_list("user", flat=True))
    assert told == {world.applicant.pk, world.clerk.pk}
    assert {address for m in mail.outbox for address in m.to} == {
        "qiye@example.invalid",
        "clerk@example.invalid",
    }
    assert actions(application) == ["applications.application.submitted"]


def test_the_bank_agrees_and_the_portal_prints_its_approval_letter(world):
    application = world.submitted()
    client = client_for(world.clerk)
    page = client.get(f"/review/applications/{application.public_id}/").content.decode()
    assert 'value="bank_accept"' in page and "领导专班" not in page and "公示" not in page
    response = act(
        client,
        application,
        action="bank_accept",
        seen_state="bank_review",
        credit_amount="2,000,000.00",
        annual_rate="3.0",
        term_months="12",
        opinion="经审核同意放贷",
        head_name="钱行长",
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.CREDIT_GRANTED
    decision = BankDecision.objects.get(application=application)
    assert (decision.approved, decision.credit_amount, decision.letter.name) == (
        True,
        Decimal("2000000.00"),
        "",
    )
    assert selectors.granted_credit(application) == Decimal("2000000.00")
    letter = client.get(f"/review/applications/{application.public_id}/approval-letter/")
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF")
    # The enterprise sees the letter and the step it is at.
    applicant = client_for(world.applicant)
    assert (
        applicant.get(f"/review/applications/{application.public_id}/approval-letter/").status_code
        == 200
    )
    detail = applicant.get(f"/applications/{application.public_id}/").content.decode()
    assert 'class="step step-current" aria-current="step">银行同意放贷' in detail
    assert 'class="step step-done">银行审核' in detail


def test_an_uploaded_signed_letter_is_kept_and_served(world):
    application = world.submitted()
    client = client_for(world.clerk)
    act(
        client,
        application,
        action="bank_accept",
        seen_state="bank_review",
        credit_amount="1,500,000.00",
        annual_rate="3.0",
        term_months="12",
        opinion="同意",
        letter=pdf("同意放贷意见书.pdf"),
    )
    decision = BankDecision.objects.get(application=application)
    assert decision.letter_name == "同意放贷意见书.pdf"
    served = client.get(f"/review/applications/{application.public_id}/approval-letter/")
    assert served.status_code == 200 and b"".join(served.streaming_content) == PDF


def test_the_bank_declines_with_a_reason_and_the_enterprise_is_told(world):
    application = world.submitted()
    client = client_for(world.clerk)
    refused = act(client, application, action="bank_decline", seen_state="bank_review", opinion="")
    assert refused.status_code == 400  # the reason is required
    response = act(
        client, application, action="bank_decline", seen_state="bank_review", opinion="征信不良"
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.REJECTED
    assert Notification.objects.filter(user=world.applicant, application=application).count() == 2
    assert actions(application)[-1] == "applications.application.bank_decline"


def test_disbursement_with_the_voucher_links_the_loan_and_reports_to_the_bureau(world):
    application = world.accepted()
    client = client_for(world.clerk)
    response = act(
        client,
        application,
        action="disburse",
        seen_state="credit_granted",
        voucher=pdf("放款凭证.pdf"),
        **LOAN_POST,
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    application.refresh_from_db()
    loan = Loan.objects.get(contract_no="QZ-HT-001")
    assert loan.application == application and loan.bank == world.bank
    assert application.state == S.REPORTED
    voucher = LoanDocument.objects.get(loan=loan)
    assert (voucher.kind, voucher.original_name) == ("disbursement_voucher", "放款凭证.pdf")
    assert actions(application)[-2:] == [
        "applications.application.disburse",
        "applications.application.report",
    ]
    # The bureau's queue has the report; its staff and head were told.
    assert [a.pk for a in selectors.queue_for(world.staff)] == [application.pk]
    assert Notification.objects.filter(user=world.staff, application=application).exists()
    # 附件1 kept at submission counts as the form: the loan lacks no document.
    from loans.selectors import documents_missing

    assert documents_missing(loan) == []


def test_a_disbursement_without_the_voucher_is_refused_and_saves_nothing(world):
    application = world.accepted()
    response = act(
        client_for(world.clerk),
        application,
        action="disburse",
        seen_state="credit_granted",
        **LOAN_POST,
    )
    assert response.status_code == 400
    assert not Loan.objects.filter(contract_no="QZ-HT-001").exists()
    assert Application.objects.get(pk=application.pk).state == S.CREDIT_GRANTED


def test_the_principal_is_within_the_approval_letter(world):
    application = world.accepted()
    with pytest.raises(loan_services.LoanRefused) as refused:
        loan_services.application_disburse(
            actor=world.clerk,
            application=application,
            voucher=pdf(),
            **(LOAN | {"principal": Decimal("2000000.01")}),
        )
    assert (
        "2,000,000.00" in refused.value.problems[0]
        and "同意放贷意见书" in refused.value.problems[0]
    )
    assert not Loan.objects.filter(contract_no="QZ-HT-001").exists()


def test_the_bureau_asks_for_a_correction_and_the_bank_reports_again(
    world, django_capture_on_commit_callbacks
):
    application = world.reported()
    bureau = client_for(world.staff)
    page = bureau.get(f"/review/applications/{application.public_id}/").content.decode()
    assert 'value="acknowledge"' in page and 'value="request_correction"' in page
    assert (
        act(
            bureau, application, action="request_correction", seen_state="reported", reason=""
        ).status_code
        == 400
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            bureau,
            application,
            action="request_correction",
            seen_state="reported",
            reason="放款凭证不清晰，请重新扫描",
        )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.CORRECTION_REQUESTED
    assert "clerk@example.invalid" in {a for m in mail.outbox for a in m.to}
    bank = client_for(world.clerk)
    page = bank.get(f"/review/applications/{application.public_id}/").content.decode()
    assert "放款凭证不清晰，请重新扫描" in page and 'value="report"' in page
    # Reporting again needs to say what was corrected.
    assert (
        act(bank, application, action="report", seen_state="correction_requested").status_code
        == 400
    )
    response = act(
        bank,
        application,
        action="report",
        seen_state="correction_requested",
        note="已重新扫描放款凭证",
        voucher=pdf("放款凭证-清晰.pdf"),
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.REPORTED
    assert (
        LoanDocument.objects.filter(kind="disbursement_voucher").count() == 2
    )  # kept, never replaced
    assert (
        act(
            bureau, application, action="acknowledge", seen_state="reported", comment="已收到"
        ).status_code
        == 302
    )
    application.refresh_from_db()
    assert application.state == S.ACKNOWLEDGED
    assert actions(application) == [
        "applications.application.submitted",
        "applications.application.bank_accept",
        "applications.application.disburse",
        "applications.application.report",
        "applications.application.request_correction",
        "applications.application.report",
        "applications.application.acknowledge",
    ]
    # The enterprise was told of every step and sees them all done.
    assert Notification.objects.filter(user=world.applicant, application=application).count() == 7
    detail = (
        client_for(world.applicant).get(f"/applications/{application.public_id}/").content.decode()
    )
    assert 'class="step step-current" aria-current="step">科技局已确认' in detail


def test_an_imported_disbursement_follows_the_approval_then_the_bank_reports(world, tmp_path):
    from tests.loans.sheets import DISBURSEMENTS, xlsx

    application = world.accepted()
    data = xlsx(
        DISBURSEMENTS,
        [
            [
                "QZ-HT-009",
                "qz-bank",
                world.enterprise.credit_code,
                "2026-03-01",
                "2026-03-02",
                "2027-03-01",
                "2,000,000.00",
                "3.0",
            ]
        ],
    )
    upload = loan_services.upload_receive(
        actor=world.clerk, kind="disbursements", program=world.program, data=data, filename="d.xlsx"
    )
    assert upload.state == "checked", upload.errors
    loan_services.upload_confirm(actor=world.clerk, upload=upload)
    application.refresh_from_db()
    assert Loan.objects.get(contract_no="QZ-HT-009").application == application
    assert application.state == S.DISBURSED  # no voucher yet: the bank's queue keeps it
    assert [a.pk for a in selectors.queue_for(world.clerk)] == [application.pk]
    loan_services.application_report(actor=world.clerk, application=application, voucher=pdf())
    application.refresh_from_db()
    assert application.state == S.REPORTED


def test_the_steps_belong_to_their_kind(world, cast):
    """A Changjiang step is not possible for a Quzhou application, nor a Quzhou step for a Changjiang one."""
    application = world.submitted()
    assert not services.lifecycle.possible(application, "accept")
    assert not services.lifecycle.possible(application, "bank_approve")
    with pytest.raises(services.ReviewError):
        services.application_accept(actor=world.staff, application=application)
    changjiang = cast.application_a  # submitted, Changjiang
    assert not services.lifecycle.possible(changjiang, "bank_accept")
    assert not services.lifecycle.possible(changjiang, "submit_to_bank")


QUZHOU_ROLES = ("applicant", "clerk", "staff", "head", "other_bank", "cj_staff", "admin")


def every_user(world) -> dict[str, object]:  # type: ignore[no-untyped-def]
    other = BankFactory(code="qz-other", name="衢州另一银行")
    BankAgreementFactory(bank=other, program=world.program)
    return {
        "applicant": world.applicant,
        "clerk": world.clerk,
        "staff": world.staff,
        "head": world.head,
        "other_bank": UserFactory(username="qz-other", role=Role.BANK, bank=other),
        "cj_staff": world.cast.bureau_staff,
        "admin": world.cast.admin,
    }


STEPS = [
    # (transition, who may take it, set-up, the service call)
    ("bank_accept", "clerk", "submitted"),
    ("bank_decline", "clerk", "submitted"),
    ("disburse", "clerk", "accepted"),
    ("report", "clerk", "disbursed"),
    ("acknowledge", "staff", "reported"),
    ("request_correction", "staff", "reported"),
]


def take(name: str, user, application: Application) -> None:  # type: ignore[no-untyped-def]
    if name in ("bank_accept", "bank_decline"):
        services.bank_decide(
            actor=user,
            application=application,
            approved=name == "bank_accept",
            opinion="意见",
            credit_amount=Decimal("2000000.00"),
            annual_rate=Decimal("3.0"),
            term_months=12,
        )
    elif name == "disburse":
        loan_services.application_disburse(
            actor=user, application=application, voucher=pdf(), **LOAN
        )
    elif name == "report":
        loan_services.application_report(actor=user, application=application, voucher=pdf())
    elif name == "acknowledge":
        services.report_acknowledge(actor=user, application=application)
    else:
        services.report_correction_request(actor=user, application=application, reason="请更正")


def test_the_table_covers_every_quzhou_transition(world):
    from kedaitong import programs

    names = set(programs.spec(world.program).workflow.names) - {"submit_to_bank", "withdraw"}
    assert names == {name for name, _who, _setup in STEPS}


@pytest.mark.parametrize("name,allowed,setup", STEPS, ids=[s[0] for s in STEPS])
def test_every_quzhou_step_is_refused_to_every_other_role(world, name, allowed, setup):
    from kedaitong.errors import Refused

    application = getattr(world, setup)()
    users = every_user(world)
    source = application.state
    for who, user in users.items():
        if who == allowed:
            continue
        with pytest.raises(Refused):
            take(name, user, Application.objects.get(pk=application.pk))
        assert Application.objects.get(pk=application.pk).state == source, who
    take(name, users[allowed], Application.objects.get(pk=application.pk))
    assert Application.objects.get(pk=application.pk).state != source


def test_the_enterprise_withdraws_before_the_bank_decides_and_the_bank_is_told(world):
    application = world.submitted()
    services.application_withdraw(
        actor=world.applicant, application=application, reason="改向他行申请"
    )
    application.refresh_from_db()
    assert application.state == S.WITHDRAWN
    assert Notification.objects.filter(user=world.clerk, application=application).count() == 2
    accepted = world.accepted()
    with pytest.raises(services.ReviewError):  # after the bank agreed it is no longer open
        services.application_withdraw(actor=world.applicant, application=accepted)


def test_enterprise_records_are_not_the_banks_unless_it_applied_there(world):
    application = world.submitted()
    other = every_user(world)["other_bank"]
    assert (
        client_for(other).get(f"/review/applications/{application.public_id}/").status_code == 404
    )
    assert not Enterprise.objects.visible_to(other).filter(pk=world.enterprise.pk).exists()
