"""Each role's home page answers "where do we stand": its charts, each with a table whose figures equal the database."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal

import pytest

from applications.models import Application
from compensation.models import CompensationBudget
from loans.models import Loan, OverdueEvent, Repayment
from tests.factories import ApplicationFactory, LoanFactory, version

pytestmark = pytest.mark.django_db


def tables(body: str) -> dict[str, dict[str, list[str]]]:
    """The chart tables of a page: key → {row label: [cells]}."""
    found = {}
    for key, table in re.findall(
        r'<table[^>]*data-chart-table="([^"]+)"[^>]*>(.*?)</table>', body, re.S
    ):
        body_rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
        rows = {}
        for row in body_rows:
            cells = [
                re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            ]
            rows[cells[0]] = cells[1:]
        found[key] = rows
    return found


def num(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def state_counts(qs) -> dict[str, Decimal]:
    counts = Counter(qs.values_list("state", flat=True))
    return {str(Application.State(s).label): Decimal(n) for s, n in counts.items()}


@pytest.fixture
def data(cast):
    ApplicationFactory(enterprise=cast.enterprise_a, bank=cast.bank_x, state="bank_review")
    ApplicationFactory(
        enterprise=cast.enterprise_a, bank=cast.bank_x, state="draft"
    )  # the enterprise's own only
    ApplicationFactory(enterprise=cast.enterprise_b, bank=cast.bank_y, state="rejected")
    Repayment.objects.create(
        loan=cast.loan_a, repaid_on=dt.date(2026, 3, 1), principal=Decimal("100000.00")
    )
    OverdueEvent.objects.create(
        loan=cast.loan_b, started_on=dt.date(2020, 1, 1), overdue_principal=Decimal("10.00")
    )
    LoanFactory(enterprise=cast.enterprise_a, bank=cast.bank_x, principal=Decimal("250000.50"))
    LoanFactory(
        program_version=version("quzhou"), bank=cast.bank_y, principal=Decimal("777.77")
    )  # another program
    from django.contrib.contenttypes.models import ContentType

    from kedaitong.models import AuditEntry

    kind = ContentType.objects.get_for_model(Application)
    for day, state in (
        (1, "bureau_review"),
        (4, "group_review"),
        (10, "bank_review"),
    ):  # 3 days, then 6 days
        AuditEntry.objects.create(
            at=dt.datetime(2026, 3, day, 9, tzinfo=dt.UTC),
            action="applications.application.moved",
            to_state=state,
            content_type=kind,
            object_id=str(cast.application_a.pk),
        )
    # Submitted in March 2026 (counted in that month); the suite's clock is 2026-12-04, in the default period.
    Application.objects.exclude(state="draft").update(
        submitted_at=dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
    )
    CompensationBudget.objects.create(
        program=cast.changjiang,
        year=2026,
        amount=Decimal("5000000.00"),
        committed=Decimal("1200000.00"),
    )
    return cast


def total(qs, field="principal") -> Decimal:
    """The exact sum of the stored values (Python Decimals: SQLite's SUM adds binary floats)."""
    return sum(qs.values_list(field, flat=True), Decimal("0"))


def outstanding(loans) -> Decimal:
    return total(loans) - total(Repayment.objects.filter(loan__in=loans))


def home(client, user) -> tuple[str, dict[str, dict[str, list[str]]]]:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "chart.umd.min.js" in body and 'id="where-we-stand"' in body
    return body, tables(body)


@pytest.mark.parametrize(
    "role", ["bureau_staff", "bureau_head", "leading_group", "auditor", "admin"]
)
def test_government_homes_show_the_programs_figures(client, data, role):
    """Every government role, and the administrator working in Changjiang (its first program), see Changjiang's
    figures only: the Quzhou loan of bank Y and the subsidy budget are another program's."""
    user = data.users()[role]
    body, found = home(client, user)
    expected_charts = {"states", "months", "stages", "banks", "fields", "buckets", "compensation"}
    assert expected_charts <= set(found) and "subsidy" not in found  # subsidy is Quzhou's
    stages = {k: [num(x) for x in v] for k, v in found["stages"].items()}
    assert stages == {"科技局审核": [Decimal("3.0"), 1], "领导专班审议": [Decimal("6.0"), 1]}
    scope = {"program_version__program": data.changjiang}
    applications = Application.objects.filter(**scope)
    if role != "admin":
        applications = applications.exclude(state="draft")
    assert {k: num(v[0]) for k, v in found["states"].items()} == state_counts(applications)
    loans = Loan.objects.filter(**scope)
    by_bank = {}
    for name in loans.values_list("bank__name", flat=True).distinct():
        by_bank[name] = [
            total(loans.filter(bank__name=name)),
            loans.filter(bank__name=name).count(),
        ]
    assert {k: [num(v[0]), num(v[1])] for k, v in found["banks"].items()} == by_bank
    buckets = {k: num(v[0]) for k, v in found["buckets"].items()}
    assert sum(buckets.values()) == outstanding(loans)
    assert buckets["逾期180天以上"] == Decimal("1000000.00")  # loan_b, overdue since 2020
    npl = (Decimal("1000000.00") / outstanding(loans) * 100).quantize(Decimal("0.01"))
    assert f'id="npl-ratio">{npl}%' in body
    budget = found["compensation"]
    assert [num(x) for x in next(iter(budget.values()))] == [
        Decimal("5000000.00"),
        Decimal("1200000.00"),
        Decimal("3800000.00"),
    ]


@pytest.mark.parametrize("who", ["bank_x", "bank_y"])
def test_a_banks_home_shows_its_own_loans_and_applications(client, data, who):
    """A bank sees its own records of the program it works in (bank Y's Quzhou loan is another program's)."""
    bank = data.bank_x if who == "bank_x" else data.bank_y
    body, found = home(client, data.users()[who])
    assert (
        set(found) >= {"buckets", "states"} and "banks" not in found and "compensation" not in found
    )
    buckets = {k: num(v[0]) for k, v in found["buckets"].items()}
    mine = Loan.objects.filter(bank=bank, program_version__program=data.changjiang)
    assert sum(buckets.values()) == outstanding(mine)
    assert buckets["逾期180天以上"] == (Decimal("1000000.00") if who == "bank_y" else 0)
    loans_column = {k: num(v[1]) for k, v in found["buckets"].items()}
    assert sum(loans_column.values()) == mine.count()
    expected = state_counts(
        Application.objects.filter(bank=bank).exclude(state__in=["draft", "withdrawn"])
    )
    assert {k: num(v[0]) for k, v in found["states"].items()} == expected
    assert "777.77" not in body
    if (
        who == "bank_y"
    ):  # bank Y also lends in Quzhou: the switch shows that program's figures alone
        client.post("/program/switch/", {"program": "quzhou"})
        found = tables(client.get("/").content.decode())
        assert sum(num(v[0]) for v in found["buckets"].values()) == Decimal("777.77")


def test_an_enterprises_home_shows_its_applications_and_loans(client, data):
    body, found = home(client, data.applicant)
    assert set(found) == {"states", "my-loans"}
    assert {k: num(v[0]) for k, v in found["states"].items()} == state_counts(
        Application.objects.filter(enterprise=data.enterprise_a)
    )
    assert "草稿" in found["states"]
    rows = found["my-loans"]
    mine = Loan.objects.filter(enterprise=data.enterprise_a)
    assert len(rows) == mine.count() == 2
    for loan in mine:
        cells = next(v for k, v in rows.items() if k.startswith(loan.contract_no))
        repaid = total(Repayment.objects.filter(loan=loan))
        assert [num(c) for c in cells] == [loan.principal - repaid, repaid, loan.principal]
    assert data.loan_b.contract_no not in body and 'id="npl-ratio"' not in body
    client.force_login(data.applicant)
    assert client.get("/reports/dashboard/").status_code == 403


def test_the_dashboard_page_is_the_roles_own(client, data):
    client.force_login(data.bank_x_user)
    found = tables(client.get("/reports/dashboard/").content.decode())
    assert "banks" not in found and sum(
        num(v[0]) for v in found["buckets"].values()
    ) == outstanding(Loan.objects.filter(bank=data.bank_x))


def test_quzhou_staff_see_the_subsidy_budget_not_compensation(client, data):
    from kedaitong.roles import Role
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="qzs", role=Role.BUREAU_STAFF, program=data.quzhou))
    response = client.get("/")
    keys = [chart.key for chart in response.context["charts"]]
    assert "subsidy" in keys and "compensation" not in keys
    found = tables(response.content.decode())
    assert {k: num(v[0]) for k, v in found["banks"].items()} == {
        "Y银行": Decimal("777.77")
    }  # its program's loan only
