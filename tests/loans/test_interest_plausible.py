"""Interest rows must be plausible, in the upload's row errors and the web form alike (issue 16 item 3).

Found: two overlapping periods for one loan and a 900,000 "interest" for one quarter on a
1,000,000 loan at 3% were accepted, and the subsidy run paid on them. The rules, written
in `loans.rules` and docs/decisions.md:

- a period of ordinary interest lies within the loan's life (disbursement to maturity);
  overdue-period (penalty) interest may run past maturity;
- a period overlaps no other of the same kind for the loan (ordinary with ordinary;
  penalty interest for an overdue period may run beside ordinary interest);
- the amount is at most Σ outstanding principal × annual rate × days ÷ 360 (every day of
  the period counted, both ends; × 1.5 for penalty interest), plus 1% of that and at
  least 1 yuan, rounded up to the fen. The refusal names the bound.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from applications.models import Program, ProgramVersion
from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from loans.models import InterestSettlement, RecordUpload, Repayment
from subsidy.services import compute_run
from tests.factories import BankAgreementFactory, BankFactory, LoanFactory, UserFactory
from tests.loans.sheets import INTEREST, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """A Quzhou loan of 1,000,000 yuan at 3.00%, 2025-03-01 to 2026-03-01, at bank Q."""
    program = Program.objects.get(code="quzhou")
    bank = BankFactory(code="bank-q", name="Q银行")
    BankAgreementFactory(
        bank=bank, program=program, starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2026, 12, 31)
    )
    loan = LoanFactory(
        program_version=ProgramVersion.objects.get(program=program, code="2023"),
        bank=bank,
        contract_no="QZ-P-1",
        disbursement_date=dt.date(2025, 3, 1),
        maturity_date=dt.date(2026, 3, 1),
        principal=Decimal("1000000.00"),
        annual_rate=Decimal("3.0000"),
        lpr_at_pricing=Decimal("3.1000"),
    )
    clerk = UserFactory(username="q-clerk", role=Role.BANK, bank=bank)
    client = Client()
    client.force_login(clerk)
    return {"program": program, "loan": loan, "clerk": clerk, "client": client}


def upload(world, rows):  # type: ignore[no-untyped-def]
    response = world["client"].post(
        "/loans/uploads/new/",
        {
            "kind": "interest",
            "program": world["program"].pk,
            "file": SimpleUploadedFile("结息.xlsx", xlsx(INTEREST, rows)),
        },
    )
    assert response.status_code == 302
    return RecordUpload.objects.order_by("-pk").first()


def row(settled, start, end, amount, overdue="否"):  # type: ignore[no-untyped-def]
    return ["QZ-P-1", "bank-q", settled, start, end, amount, overdue]


def form(world, **values):  # type: ignore[no-untyped-def]
    data = {
        "settled_on": "2025-12-21",
        "period_start": "2025-09-21",
        "period_end": "2025-12-20",
        "amount": "7,583.33",
    } | values
    return world["client"].post(f"/loans/{world['loan'].public_id}/interest/new/", data)


# The quarter 2025-09-21 to 2025-12-20 has 91 days, both ends counted:
# 1,000,000 × 3% × 91 ÷ 360 = 7,583.333…; + 1% (75.833…) = 7,659.1666… → rounded up 7,659.17.
QUARTER_BOUND = "7,659.17"


def test_a_900000_quarter_on_a_1000000_loan_at_3_percent_is_refused_naming_the_bound(world):
    upload_ = upload(world, [row("2025-12-21", "2025-09-21", "2025-12-20", "900,000.00")])
    assert upload_.state == RecordUpload.State.REFUSED
    [error] = upload_.errors
    assert error["column"] == "利息金额（元）"
    assert f"最高利息{QUARTER_BOUND}元" in error["message"]
    assert "年利率3%×91天÷360" in error["message"]
    response = form(world, amount="900,000.00")
    page = response.content.decode()
    assert response.status_code == 400 and QUARTER_BOUND in page
    assert "900,000.00" in page  # what was typed stays in the form
    assert not InterestSettlement.objects.exists()
    # the subsidy run has nothing of it to pay on (it paid 30% of the 900,000 before)
    result = compute_run(program=world["program"], year=2025, budget="1000000")
    assert result.lines == [] and [x.reason for x in result.exclusions] == ["no_settled_interest"]


def test_the_exact_interest_of_the_quarter_is_accepted_on_the_form_with_an_audit_row(world):
    response = form(world)
    assert response.status_code == 302
    settlement = InterestSettlement.objects.get()
    assert settlement.amount == Decimal("7583.33") and settlement.created_by == world["clerk"]
    assert AuditEntry.objects.filter(
        action="loans.interest.recorded", object_id=str(settlement.pk)
    ).exists()
    # 30% of it, as the run computes: 7,583.33 × 0.30 = 2,274.999 → 2,275.00
    result = compute_run(program=world["program"], year=2025, budget="1000000")
    assert [line.computed for line in result.lines] == [Decimal("2275.00")]


def test_overlapping_periods_of_the_same_kind_are_refused_penalty_interest_may_run_beside(world):
    form(world)  # 2025-09-21 .. 2025-12-20, ordinary
    # an ordinary period from 2025-12-01 overlaps it
    overlapping = upload(world, [row("2026-02-21", "2025-12-01", "2026-02-20", "6,000.00")])
    assert overlapping.state == RecordUpload.State.REFUSED
    assert overlapping.errors[0]["column"] == "计息起始日"
    assert "2025-09-21至2025-12-20重叠" in overlapping.errors[0]["message"]
    # two rows of one file overlapping each other: the second names the first
    both = upload(
        world,
        [
            row("2026-01-21", "2025-12-21", "2026-01-20", "2,500.00"),
            row("2026-02-21", "2026-01-10", "2026-02-20", "2,500.00"),
        ],
    )
    assert [e["row"] for e in both.errors] == [3] and "本文件第2行" in both.errors[0]["message"]
    # penalty interest for 2025-12-01 .. 2025-12-20 beside the ordinary quarter: allowed.
    # Bound: 1,000,000 × 3% × 1.5 × 20 ÷ 360 = 2,500.00; + 1% = 2,525.00.
    penalty = upload(world, [row("2025-12-21", "2025-12-01", "2025-12-20", "2,525.00", "是")])
    assert penalty.state == RecordUpload.State.CHECKED, penalty.errors
    too_much = form(
        world,
        period_start="2025-12-01",
        period_end="2025-12-20",
        amount="2,525.01",
        is_overdue_interest="on",
    )
    assert too_much.status_code == 400 and "2,525.00" in too_much.content.decode()


def test_a_period_outside_the_loans_life_is_refused(world):
    # ordinary interest past maturity (2026-03-01)
    response = form(
        world, settled_on="2026-03-21", period_start="2026-02-21", period_end="2026-03-20"
    )
    assert response.status_code == 400 and "超出贷款到期日2026-03-01" in response.content.decode()
    # before disbursement (2025-03-01)
    early = upload(world, [row("2025-03-21", "2025-02-20", "2025-03-20", "100.00")])
    assert early.errors[0]["column"] == "计息起始日" and "2025-03-01" in early.errors[0]["message"]
    # after maturity the unpaid principal's interest is overdue interest: allowed
    # 2026-03-02 .. 2026-03-31, 30 days: 1,000,000 × 3% × 1.5 × 30 ÷ 360 = 3,750.00; + 1% = 3,787.50
    after = upload(world, [row("2026-04-01", "2026-03-02", "2026-03-31", "3,787.50", "是")])
    assert after.state == RecordUpload.State.CHECKED, after.errors


def test_the_bound_follows_the_outstanding_principal_day_by_day(world):
    Repayment.objects.create(
        loan=world["loan"], repaid_on=dt.date(2025, 10, 31), principal=Decimal("400000.00")
    )
    # 2025-09-21 .. 10-31: 41 days on 1,000,000; 11-01 .. 12-20: 50 days on 600,000.
    # (41 × 1,000,000 + 50 × 600,000) × 3% ÷ 360 = 71,000,000 × 0.03 ÷ 360 = 5,916.666…
    # + 1% = 5,975.8333… → 5,975.84
    refused = form(world, amount="5,975.85")
    assert refused.status_code == 400 and "5,975.84" in refused.content.decode()
    assert form(world, amount="5,975.84").status_code == 302


def test_once_repaid_in_full_no_more_interest(world):
    Repayment.objects.create(
        loan=world["loan"], repaid_on=dt.date(2025, 9, 20), principal=Decimal("1000000.00")
    )
    response = form(world, amount="10.00")
    assert response.status_code == 400 and "本金已全部归还" in response.content.decode()


def test_only_the_lending_bank_records_interest(world, cast):
    url = f"/loans/{world['loan'].public_id}/interest/new/"
    other = Client()
    other.force_login(cast.bank_x_user)
    assert other.get(url).status_code == 404  # another bank's loan is not in its scope
    staff = Client()
    staff.force_login(
        UserFactory(username="qz-staff", role=Role.BUREAU_STAFF, program=world["program"])
    )
    assert staff.get(url).status_code == 403
    assert staff.post(url, {"amount": "1"}).status_code == 403
    assert world["client"].get(url).status_code == 200
    assert not InterestSettlement.objects.exists()


def test_the_admin_form_refuses_the_same_rows(world):
    admin_user = UserFactory(
        username="site-admin", role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(admin_user)
    data = {
        "loan": world["loan"].pk,
        "settled_on": "2025-12-21",
        "period_start": "2025-09-21",
        "period_end": "2025-12-20",
        "amount": "900000.00",
    }
    response = client.post("/admin/loans/interestsettlement/add/", data)
    assert response.status_code == 200 and QUARTER_BOUND in response.content.decode()
    assert not InterestSettlement.objects.exists()
    assert (
        client.post(
            "/admin/loans/interestsettlement/add/", data | {"amount": "7583.33"}
        ).status_code
        == 302
    )
    settlement = InterestSettlement.objects.get()
    # editing the row itself is not an overlap with itself
    url = f"/admin/loans/interestsettlement/{settlement.pk}/change/"
    assert client.post(url, data | {"amount": "7500.00"}).status_code == 302
    assert InterestSettlement.objects.get().amount == Decimal("7500.00")
