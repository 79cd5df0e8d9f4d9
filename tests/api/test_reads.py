"""Reads: the bank's own queue, loans, subsidy lines and claims, paginated and filtered by date; the throttle; the docs."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from applications.models import Application
from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from loans.models import InterestSettlement
from subsidy.models import RunState, SubsidyRun
from subsidy.services import run_commit, run_publicize
from tests.api.helpers import Bank, make_token
from tests.factories import ApplicationFactory, EnterpriseFactory, LoanFactory, UserFactory, version

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(world) -> Bank:
    return Bank(make_token(world["clerk_x"], scope="read"))


def test_the_banks_queue_waits_oldest_first_and_filters_by_the_day_it_arrived(world, bank):
    def waiting(reference, state, day):  # type: ignore[no-untyped-def]
        return ApplicationFactory(
            reference=reference,
            bank=world["bank_x"],
            enterprise=EnterpriseFactory(),
            state=state,
            submitted_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9))),
        )

    waiting("CJ-2", Application.State.CREDIT_GRANTED, dt.date(2026, 2, 20))
    waiting("CJ-1", Application.State.BANK_REVIEW, dt.date(2026, 1, 15))
    waiting("CJ-3", Application.State.BUREAU_REVIEW, dt.date(2026, 1, 1))  # not the bank's turn
    ApplicationFactory(
        reference="CJ-Y", bank=world["bank_y"], state=Application.State.BANK_REVIEW
    )  # another bank's
    page = bank.get("/applications").json()
    assert page["count"] == 2
    assert [(a["reference"], a["waiting_for"], a["waiting_since"]) for a in page["items"]] == [
        ("CJ-1", "decision", "2026-01-15"),
        ("CJ-2", "disbursement", "2026-02-20"),
    ]
    assert (
        page["items"][0]["amount"] == "1000000.00" and page["items"][0]["program"] == "changjiang"
    )
    since = bank.get("/applications", date_from="2026-02-01").json()
    assert [a["reference"] for a in since["items"]] == ["CJ-2"]
    until = bank.get("/applications", date_to="2026-01-31", program="changjiang").json()
    assert [a["reference"] for a in until["items"]] == ["CJ-1"]
    assert bank.get("/applications", program="quzhou").json()["count"] == 0


def test_loans_page_by_page_and_by_disbursement_date(world, bank):
    quzhou = version("quzhou")
    for i in range(5):
        LoanFactory(
            program_version=quzhou,
            bank=world["bank_x"],
            enterprise=world["enterprise"],
            contract_no=f"P-{i}",
            disbursement_date=dt.date(2025, 6, 1 + i),
            maturity_date=dt.date(2026, 6, 1),
        )
    first = bank.get("/loans", page_size=2).json()
    assert first["count"] == 6 and [x["contract_no"] for x in first["items"]] == ["QZ-1", "P-0"]
    third = bank.get("/loans", page_size=2, page=3).json()
    assert [x["contract_no"] for x in third["items"]] == ["P-3", "P-4"]
    dated = bank.get("/loans", date_from="2025-06-02", date_to="2025-06-03").json()
    assert [x["contract_no"] for x in dated["items"]] == ["P-1", "P-2"]
    assert bank.get("/loans", contract_no="P-4").json()["count"] == 1
    assert "QZ-Y" not in str(bank.get("/loans", page_size=1000).json())
    wrong = bank.get("/loans", date_from="2025-02-30", page=0)
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == [
        {"field": "date_from", "message": "应为YYYY-MM-DD格式的日期"},
        {"field": "page", "message": "不能小于1"},
    ]


def test_a_token_reads_its_banks_records_in_every_program_it_is_on_and_no_other(world, bank):
    """Program scope (applications/scope.py): bank X lends in Quzhou and in Changjiang; its token reads both,
    `program=` narrows to one as the page header's switch does; a program the bank is not on is a 404, and a
    bank on Quzhou only never sees a Changjiang record."""
    changjiang = version("changjiang")
    LoanFactory(
        program_version=changjiang,
        bank=world["bank_x"],
        enterprise=EnterpriseFactory(name="昌江甲科技有限公司"),
        contract_no="CJ-X",
        disbursement_date=dt.date(2025, 3, 1),
        maturity_date=dt.date(2027, 3, 1),
    )
    every = bank.get("/loans").json()
    assert [(x["contract_no"], x["program"]) for x in every["items"]] == [
        ("QZ-1", "quzhou"),
        ("CJ-X", "changjiang"),
    ]
    assert every["count"] == 2
    only = bank.get("/loans", program="changjiang").json()
    assert [x["contract_no"] for x in only["items"]] == ["CJ-X"]
    assert [x["contract_no"] for x in bank.get("/loans", program="quzhou").json()["items"]] == [
        "QZ-1"
    ]
    cj_loan = world["bank_x"].loans.get(contract_no="CJ-X")
    assert bank.get(f"/loans/{cj_loan.public_id}").json()["contract_no"] == "CJ-X"
    nowhere = bank.get("/loans", program="nowhere")
    assert nowhere.status_code == 404 and nowhere.json() == {
        "detail": "本行未参与代码为“nowhere”的计划",
        "code": "program_not_found",
    }
    # Bank Y is on Quzhou only: Changjiang is not its program, and bank X's Changjiang loan is not its record.
    bank_y = Bank(make_token(world["clerk_y"], scope="write"))
    assert [x["contract_no"] for x in bank_y.get("/loans").json()["items"]] == ["QZ-Y"]
    assert bank_y.get("/loans", program="changjiang").status_code == 404
    assert bank_y.get(f"/loans/{cj_loan.public_id}").status_code == 404
    refused = bank_y.send(
        "repayments",
        [{"contract_no": "CJ-X", "repaid_on": "2026-01-05", "principal": 1}],
        program="changjiang",
    )
    assert refused.status_code == 404 and refused.json()["code"] == "program_not_found"
    assert not cj_loan.repayments.exists()


def test_subsidy_lines_once_publicized_and_only_the_banks_own(world, bank):
    staff = UserFactory(username="qz-staff", role=Role.BUREAU_STAFF, program=world["program"])
    for loan, amount in ((world["loan"], "1000.00"), (world["loan_y"], "2000.00")):
        InterestSettlement.objects.create(
            loan=loan,
            settled_on=dt.date(2025, 3, 21),
            period_start=dt.date(2025, 1, 6),
            period_end=dt.date(2025, 3, 20),
            amount=Decimal(amount),
        )
    run = run_commit(actor=staff, program=world["program"], year=2025, budget="100000")
    assert bank.get("/subsidy-lines").json()["count"] == 0  # computed: not public yet
    # The stages before publicity (四(一): audit, review, the leading group's approval) are tests/subsidy's.
    SubsidyRun.objects.filter(pk=run.pk).update(state=RunState.APPROVED)
    assert bank.get("/subsidy-lines").json()["count"] == 0  # approved: not public yet
    run_publicize(actor=staff, run=SubsidyRun.objects.get(pk=run.pk), start=timezone.localdate())
    lines = bank.get("/subsidy-lines", year=2025).json()
    assert lines["count"] == 1
    line = lines["items"][0]
    assert (line["contract_no"], line["settled_interest"], line["amount"], line["share"]) == (
        "QZ-1",
        "1000.00",
        "300.00",
        "0.3000",
    )
    assert line["run_state"] == "publicized" and line["program"] == "quzhou"
    assert bank.get("/subsidy-lines", year=2024).json()["count"] == 0
    assert bank.get("/subsidy-lines", date_from="2025-02-01").json()["count"] == 0


def test_compensation_claims_of_the_bank(cast):
    from tests.compensation import helpers

    claim = helpers.submitted(cast)
    own = Bank(make_token(cast.bank_x_user, scope="read"))
    other = Bank(make_token(cast.bank_y_user, scope="read", name="Y"))
    items = own.get("/compensation-claims").json()["items"]
    assert [(c["reference"], c["state"], c["contract_no"]) for c in items] == [
        (claim.reference, "submitted", claim.loan.contract_no)
    ]
    assert items[0]["requested_amount"] == f"{claim.requested_amount:.2f}"
    assert items[0]["decided_amount"] is None
    assert other.get("/compensation-claims").json()["count"] == 0
    day = timezone.localdate(claim.created_at)
    assert (
        own.get("/compensation-claims", date_from=str(day + dt.timedelta(days=1))).json()["count"]
        == 0
    )


def test_each_token_is_throttled_on_its_own_and_the_trail_notes_it_once(world, settings):
    settings.API_THROTTLE_RATE = "3/m"
    x = Bank(make_token(world["clerk_x"]))
    y = Bank(make_token(world["clerk_y"], name="Y"))
    assert [x.get("/token").status_code for _ in range(3)] == [200, 200, 200]
    refused = [x.get("/token") for _ in range(3)]
    assert [r.status_code for r in refused] == [429, 429, 429]
    assert int(refused[0]["Retry-After"]) >= 1
    assert refused[0].json()["code"] == "throttled" and "3次/分钟" in refused[0].json()["detail"]
    assert y.get("/token").status_code == 200
    assert AuditEntry.objects.filter(action="api.throttled").count() == 1
    assert AuditEntry.objects.filter(action="api.call").count() == 4  # 3 of X, 1 of Y; no 429s


def test_the_openapi_schema_and_the_docs_page_need_no_token_and_load_nothing_from_outside(db):
    client = Client()
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    spec = schema.json()
    paths = spec["paths"]
    for path in (
        "/api/v1/token",
        "/api/v1/batches/disbursements",
        "/api/v1/batches/repayments",
        "/api/v1/batches/interest",
        "/api/v1/batches/overdue",
        "/api/v1/batches/reports",
        "/api/v1/batches/{batch_id}",
        "/api/v1/applications",
        "/api/v1/loans",
        "/api/v1/loans/{loan_id}",
        "/api/v1/subsidy-lines",
        "/api/v1/compensation-claims",
    ):
        assert path in paths, path
    body = paths["/api/v1/batches/disbursements"]["post"]["requestBody"]["content"][
        "application/json"
    ]
    row = body["schema"]["properties"]["rows"]["items"]
    assert (
        "principal" in row["required"]
        and "放款金额（元）" in row["properties"]["principal"]["description"]
    )
    assert spec["components"]["securitySchemes"]["BankToken"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    html = page.content.decode()
    assert page.status_code == 200 and "script-src 'self'" in page["Content-Security-Policy"]
    # Every script is a file of the portal's own (none inline that would run, nothing from a CDN).
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    from django.contrib.staticfiles import finders

    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert "ninja/swagger-ui-bundle.js" in assets
    for asset in assets:  # vendored with the installed package, found by the static finders
        assert finders.find(asset), asset
