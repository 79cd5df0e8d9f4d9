"""The dashboard's technology-field and compensation-budget charts, and the ledger index's links to app ledgers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from applications.models import Enterprise, TechField
from compensation.models import CompensationBudget
from reports.dashboard import compensation_budgets, principal_by_tech_field
from tests.factories import LoanFactory

pytestmark = pytest.mark.django_db


def test_loans_are_summed_by_the_enterprises_technology_field(cast):
    field = TechField.objects.order_by("pk").first()
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(tech_field=field)
    LoanFactory(bank=cast.bank_x, enterprise=cast.enterprise_a, principal=Decimal("0.01"))
    chart = principal_by_tech_field(cast.bureau_staff)
    principal, count = (
        dict(zip(chart.labels, chart.series[0][1], strict=True)),
        dict(zip(chart.labels, chart.series[1][1], strict=True)),
    )
    assert (
        principal[field.name] == Decimal("1000000.01") and count[field.name] == 2
    )  # loan_a and the new one
    assert principal["未填写"] == Decimal("1000000.00")  # loan_b: enterprise B states no field
    assert sum(principal.values()) == Decimal("2000000.01")
    assert principal_by_tech_field(cast.other_applicant).labels == [
        "未填写"
    ]  # enterprise B: its own loan only


def test_compensation_budget_chart_shows_decided_and_remaining_per_year(cast):
    CompensationBudget.objects.create(
        program=cast.changjiang,
        year=2026,
        amount=Decimal("5000000.00"),
        committed=Decimal("1234567.89"),
    )
    chart = compensation_budgets(cast.leading_group)
    assert chart.labels == ["2026"]
    assert [values for _, values in chart.series] == [
        [Decimal("5000000.00")],
        [Decimal("1234567.89")],
        [Decimal("3765432.11")],
    ]
    assert compensation_budgets(cast.bank_x_user).labels == []  # budgets are the government's


def test_the_dashboard_draws_both_charts_with_their_tables(client, cast):
    CompensationBudget.objects.create(
        program=cast.changjiang, year=2026, amount=Decimal("5000000.00")
    )
    client.force_login(cast.bureau_staff)
    body = client.get("/reports/dashboard/").content.decode()
    assert 'id="chart-fields"' in body and 'id="chart-compensation"' in body
    assert (
        "按技术领域统计贷款" in body and "5,000,000.00" in body
    )  # the budget in the table beside the chart


def test_the_ledger_index_links_the_ledgers_kept_by_their_apps(client, cast):
    client.force_login(
        cast.bureau_staff
    )  # a Changjiang program user: compensation, not the Quzhou subsidy
    body = client.get("/reports/").content.decode()
    assert (
        "/compensation/ledger/" in body
        and "/compensation/recoveries/" in body
        and "/subsidy/runs/" not in body
    )
    client.force_login(cast.admin)  # the administrator works in one program at a time (the switch)
    body = client.get("/reports/").content.decode()
    assert "/compensation/budgets/" in body and "/subsidy/runs/" not in body
    client.post("/program/switch/", {"program": "quzhou"})
    body = client.get("/reports/").content.decode()
    assert "/compensation/budgets/" not in body and "/subsidy/runs/" in body
