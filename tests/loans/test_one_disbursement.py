"""Changjiang 第八条: one credit granted after publicity opens one loan, whether imported or typed on the application page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from applications.models import Application
from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from loans.importer import context_for, run_import
from loans.models import Loan, RecordUpload
from loans.services import LoanRefused
from review import services as review
from review.models import PublicityBatch, PublicityEntry
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    LoanFactory,
    UserFactory,
    version,
)
from tests.loans.sheets import DISBURSEMENTS, xlsx

pytestmark = pytest.mark.django_db
S = Application.State


@pytest.fixture
def granted(db):
    """An application of bank X granted 1,000,000 yuan after publicity, waiting for its loan."""
    changjiang = version("changjiang")
    bank = BankFactory(code="bank-x", name="X银行")
    enterprise = EnterpriseFactory(name="昌江甲科技有限公司")
    application = ApplicationFactory(enterprise=enterprise, bank=bank, state=S.CREDIT_GRANTED)
    staff = UserFactory(username="cj-staff", role=Role.BUREAU_STAFF, program=changjiang.program)
    batch = PublicityBatch.objects.create(
        program=changjiang.program,
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 1, 9),
        created_by=staff,
    )
    PublicityEntry.objects.create(
        batch=batch, application=application, credit_amount=Decimal("1000000.00")
    )
    bank_user = UserFactory(username="bankx", role=Role.BANK, bank=bank)
    return {
        "program": changjiang.program,
        "bank": bank,
        "enterprise": enterprise,
        "application": application,
        "bank_user": bank_user,
    }


def row(world, contract: str, principal: str = "600,000.00") -> list[object]:
    return [
        contract,
        "bank-x",
        world["enterprise"].credit_code,
        dt.date(2026, 2, 2),
        dt.date(2026, 2, 2),
        dt.date(2027, 2, 1),
        principal,
        "3.45",
    ]


def run(world, rows, *, user="bank_user"):
    context = context_for(
        kind="disbursements", program=world["program"], actor=world[user] if user else None
    )
    return run_import(
        kind="disbursements",
        data=xlsx(DISBURSEMENTS, rows),
        filename="d.xlsx",
        context=context,
        commit=True,
    )


def web_disburse(world, contract: str):
    application = Application.objects.get(pk=world["application"].pk)
    return review.application_disburse(
        actor=world["bank_user"],
        application=application,
        contract_no=contract,
        disbursement_date=dt.date(2026, 2, 2),
        maturity_date=dt.date(2027, 2, 1),
        principal=Decimal("600000.00"),
        annual_rate=Decimal("3.4500"),
    )


def test_an_imported_disbursement_takes_the_applications_disburse_step(granted):
    result = run(granted, [row(granted, "CJ-1")])
    assert result.saved, result.errors
    application = Application.objects.get(pk=granted["application"].pk)
    assert application.state == S.DISBURSED
    loan = Loan.objects.get(contract_no="CJ-1")
    assert loan.application == application and loan.upload == result.upload
    step = AuditEntry.objects.get(
        action="applications.application.disburse", object_id=str(application.pk)
    )
    assert (step.from_state, step.to_state, step.actor_id) == (
        S.CREDIT_GRANTED,
        S.DISBURSED,
        granted["bank_user"].pk,
    )
    assert step.data["contract_no"] == "CJ-1" and step.data["upload"] == str(
        result.upload.public_id
    )


def test_the_command_line_takes_the_step_too(granted):
    assert run(granted, [row(granted, "CJ-1")], user=None).saved
    assert Application.objects.get(pk=granted["application"].pk).state == S.DISBURSED


def test_a_second_import_under_another_contract_number_is_refused_and_saves_nothing(granted):
    assert run(granted, [row(granted, "CJ-1")]).saved
    second = run(granted, [row(granted, "CJ-2", "100,000.00")])
    assert not second.saved
    assert [(e.row, e.column) for e in second.errors] == [(2, "贷款合同编号")]
    assert second.errors[0].message == "该申请已放款（贷款合同“CJ-1”），同一笔授信只能放款一次"
    assert list(Loan.objects.values_list("contract_no", flat=True)) == ["CJ-1"]
    assert RecordUpload.objects.get(pk=second.upload.pk).state == RecordUpload.State.REFUSED


def test_the_same_application_twice_in_one_file_is_refused(granted):
    result = run(granted, [row(granted, "CJ-1", "500,000.00"), row(granted, "CJ-2", "500,000.00")])
    assert [(e.row, e.column) for e in result.errors] == [(3, "贷款合同编号")]
    assert "CJ-1" in result.errors[0].message
    assert not Loan.objects.exists()
    assert Application.objects.get(pk=granted["application"].pk).state == S.CREDIT_GRANTED


def test_import_then_the_web_disbursement_is_refused(granted):
    assert run(granted, [row(granted, "CJ-1")]).saved
    with pytest.raises(review.ReviewError, match="已放款"):
        web_disburse(granted, "CJ-2")
    assert Loan.objects.count() == 1


def test_web_disbursement_then_an_import_is_refused_naming_the_loan(granted):
    loan = web_disburse(granted, "CJ-WEB")
    assert Application.objects.get(pk=granted["application"].pk).state == S.DISBURSED
    assert (
        AuditEntry.objects.filter(
            action="applications.application.disburse", data__contract_no="CJ-WEB"
        ).count()
        == 1
    )
    result = run(granted, [row(granted, "CJ-IMP")])
    assert "CJ-WEB" in result.errors[0].message and list(Loan.objects.all()) == [loan]


def test_a_credit_granted_application_that_already_has_a_loan_is_refused_on_the_web_naming_it(
    granted,
):
    """Data from before the fix: the loan was imported but the application never moved on."""
    LoanFactory(
        application=granted["application"],
        enterprise=granted["enterprise"],
        bank=granted["bank"],
        contract_no="OLD-1",
        principal=Decimal("600000.00"),
    )
    with pytest.raises(LoanRefused) as excinfo:
        web_disburse(granted, "CJ-2")
    assert excinfo.value.problems == ["该申请已放款（贷款合同“OLD-1”），同一笔授信只能放款一次"]
    assert Loan.objects.count() == 1
    assert Application.objects.get(pk=granted["application"].pk).state == S.CREDIT_GRANTED


def test_the_database_holds_one_loan_per_application(granted):
    LoanFactory(
        application=granted["application"], enterprise=granted["enterprise"], bank=granted["bank"]
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanFactory(
            application=granted["application"],
            enterprise=granted["enterprise"],
            bank=granted["bank"],
        )


def post_disburse(world, contract: str):
    from django.test import Client

    client = Client()
    client.force_login(world["bank_user"])
    application = Application.objects.get(pk=world["application"].pk)
    return client.post(
        f"/review/applications/{application.public_id}/act/",
        {
            "action": "disburse",
            "seen_state": application.state,
            "contract_no": contract,
            "contract_date": "2026-02-02",
            "disbursement_date": "2026-02-02",
            "maturity_date": "2027-02-01",
            "principal": "600,000.00",
            "annual_rate": "3.45",
        },
    )


def test_import_then_the_application_pages_disburse_button_is_refused(granted):
    assert run(granted, [row(granted, "CJ-1")]).saved
    response = post_disburse(granted, "CJ-2")
    assert response.status_code == 400 and "已放款" in response.content.decode()
    assert list(Loan.objects.values_list("contract_no", flat=True)) == ["CJ-1"]


def test_the_application_page_names_the_loan_already_made_for_the_credit(granted):
    LoanFactory(
        application=granted["application"],
        enterprise=granted["enterprise"],
        bank=granted["bank"],
        contract_no="OLD-1",
    )
    response = post_disburse(granted, "CJ-2")
    assert response.status_code == 400
    assert "该申请已放款（贷款合同“OLD-1”），同一笔授信只能放款一次" in response.content.decode()
    assert Loan.objects.count() == 1
    Loan.objects.all().delete()  # without that loan, the page's disbursement goes through and takes the step
    assert post_disburse(granted, "CJ-3").status_code == 302
    assert Application.objects.get(pk=granted["application"].pk).state == S.DISBURSED


def test_a_credit_not_yet_granted_is_reported_under_the_application_column(granted, client):
    """Issue 18 item 8: each import error sits under the column it concerns (not all under 放款金额)."""
    application = granted["application"]
    Application.objects.filter(pk=application.pk).update(
        state=S.PUBLICITY, reference="CJ-2026-0001"
    )
    header = [*DISBURSEMENTS, "申请编号"]
    pending = [*row(granted, "CJ-1"), "CJ-2026-0001"]
    context = context_for(
        kind="disbursements", program=granted["program"], actor=granted["bank_user"]
    )
    result = run_import(
        kind="disbursements",
        data=xlsx(header, [pending]),
        filename="d.xlsx",
        context=context,
        commit=True,
    )
    assert not result.saved
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "申请编号", "该申请尚未在公示后取得授信，不能放款（昌江细则第八条）")
    ]
    assert not Loan.objects.exists()
    # What the bank sees on the upload's page: the error under 申请编号.
    client.force_login(granted["bank_user"])
    page = client.get(f"/loans/uploads/{result.upload.public_id}/").content.decode()
    assert "<td>申请编号</td><td>该申请尚未在公示后取得授信" in page


def test_an_amount_over_the_credit_stays_under_the_amount_column(granted):
    result = run(granted, [row(granted, "CJ-1", "1,000,000.01")])
    assert not result.saved
    assert [(e.column, e.message) for e in result.errors] == [
        ("放款金额（元）", "放款金额1,000,000.01元超过授信金额1,000,000.00元")
    ]


def test_every_registration_problem_names_its_column(granted):
    """A contract signed after its disbursement, a loan of a bank the application never went to: own columns."""
    BankFactory(code="bank-z", name="Z银行")
    late = row(granted, "CJ-8")
    late[3] = dt.date(2026, 2, 3)
    elsewhere = row(granted, "CJ-9")
    elsewhere[1] = "bank-z"
    result = run(granted, [late, elsewhere], user=None)
    assert not result.saved
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "合同签订日期", "合同签订日期2026-02-03晚于放款日期2026-02-02，请核对"),
        (3, "申请编号", "昌江科贷通贷款须对应一份经推荐并取得授信的申请"),
        (
            3,
            "银行代码",
            f"该企业在X银行（申请{granted['application'].reference}，已授信）已有未结清的科贷通申请或贷款，"
            "只能接受一家银行的贷款（昌江细则第六条(二)）",
        ),
    ]
    assert not Loan.objects.exists()
