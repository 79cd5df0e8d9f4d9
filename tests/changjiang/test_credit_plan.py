"""Changjiang 第五条 (协调指导年度信贷计划，监督信贷计划的落实): the office sets each bank's plan for a year, every change
kept with who and why; the plan against granted and disbursed by month on the page and in Excel; the office is told
of banks below their pro-rata plan at the end of a quarter."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command

from applications.models import ProgramVersion
from kedaitong.models import AuditEntry, Notification
from programs.changjiang import rules, services
from programs.changjiang.models import CreditPlan, CreditPlanAlert, CreditPlanChange
from tests.clock import bureau
from tests.factories import LoanFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/changjiang/credit-plan/"


def plan_post(cast, **overrides):
    data = {
        "bank": cast.bank_x.pk,
        "year": 2026,
        "amount": "12000000.00",
        "count": 6,
        "reason": "2026年度合作协议约定",
        "seen_change": "",
    }
    return data | overrides


def test_the_office_sets_a_plan_and_changes_it_with_a_reason(client, cast):
    client.force_login(cast.leading_group)
    response = client.post(f"{URL}?year=2026", plan_post(cast))
    assert response.status_code == 302
    plan = CreditPlan.objects.get()
    assert (plan.program, plan.bank, plan.year, plan.amount, plan.count, plan.updated_by) == (
        cast.changjiang,
        cast.bank_x,
        2026,
        Decimal("12000000.00"),
        6,
        cast.leading_group,
    )
    first = CreditPlanChange.objects.get()
    assert (first.amount_before, first.count_before, first.reason) == (
        None,
        None,
        "2026年度合作协议约定",
    )
    assert Notification.objects.filter(user=cast.bank_x_user, message__contains="第五条").exists()
    assert AuditEntry.objects.for_object(plan).get(action="changjiang.credit_plan.set").actor == (
        cast.leading_group
    )

    response = client.post(
        f"{URL}?year=2026",
        plan_post(cast, amount="9000000.00", count=5, reason="银行额度调整", seen_change=first.pk),
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.amount, plan.count) == (Decimal("9000000.00"), 5)
    second = CreditPlanChange.objects.order_by("pk").last()
    assert (second.amount_before, second.count_before, second.amount, second.count) == (
        Decimal("12000000.00"),
        6,
        Decimal("9000000.00"),
        5,
    )
    page = client.get(f"{URL}?year=2026").content.decode()
    assert "9,000,000.00" in page and "银行额度调整" in page and "2026年度合作协议约定" in page
    # loan_a (bank X) was disbursed on 2026-02-10: 1 loan, 1,000,000.00
    assert "1 · 1,000,000.00" in page


def test_a_change_made_meanwhile_is_not_overwritten(client, cast):
    services.credit_plan_set(
        actor=cast.leading_group,
        program=cast.changjiang,
        bank=cast.bank_x,
        year=2026,
        amount=Decimal("100.00"),
        count=1,
        reason="初定",
    )
    seen = CreditPlanChange.objects.get().pk
    other = UserFactory(username="office2", role="leading_group", program=cast.changjiang)
    services.credit_plan_set(
        actor=other,
        program=cast.changjiang,
        bank=cast.bank_x,
        year=2026,
        amount=Decimal("200.00"),
        count=2,
        reason="调整",
        seen_change=seen,
    )
    client.force_login(cast.leading_group)
    response = client.post(
        f"{URL}?year=2026", plan_post(cast, amount="300.00", count=3, seen_change=seen)
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert str(other) in page and "300.00" in page  # who changed it, and what was typed stays
    assert CreditPlan.objects.get().amount == Decimal("200.00")
    assert CreditPlanChange.objects.count() == 2


def test_bad_figures_are_refused_and_nothing_is_saved(client, cast):
    client.force_login(cast.leading_group)
    response = client.post(f"{URL}?year=2026", plan_post(cast, reason="  ", count=0))
    assert response.status_code == 400
    assert CreditPlan.objects.count() == 0
    response = client.post(f"{URL}?year=2026", plan_post(cast, amount="100.005"))
    assert response.status_code == 400 and CreditPlan.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "get", "post"),
    [
        ("bureau_staff", 200, 403),
        ("bureau_head", 200, 403),
        ("auditor", 200, 403),
        ("bank_x_user", 200, 403),
        ("applicant", 403, 403),
    ],
)
def test_who_sees_and_who_sets(client, cast, who, get, post):
    services.credit_plan_set(
        actor=cast.leading_group,
        program=cast.changjiang,
        bank=cast.bank_y,
        year=2026,
        amount=Decimal("5000000.00"),
        count=3,
        reason="初定",
    )
    client.force_login(getattr(cast, who))
    response = client.get(f"{URL}?year=2026")
    assert response.status_code == get
    if get == 200:
        page = response.content.decode()
        assert 'id="plan-form"' not in page
        # a bank sees its own row only
        assert ("5,000,000.00" in page) is (who != "bank_x_user")
    assert client.post(URL, plan_post(cast)).status_code == post
    assert CreditPlan.objects.count() == 1


def test_a_quzhou_user_has_no_credit_plan(client, cast):
    quzhou = UserFactory(username="qz", role="bureau_staff", program=cast.quzhou)
    client.force_login(quzhou)
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}export/").status_code == 404
    assert URL not in client.get("/").content.decode()
    client.force_login(cast.bureau_staff)
    assert URL in client.get("/").content.decode()


def test_the_export_has_the_plan_against_granted_and_disbursed_by_month(client, cast):
    LoanFactory(
        enterprise=cast.enterprise_b,
        bank=cast.bank_x,
        program_version=ProgramVersion.objects.filter(program=cast.changjiang).first(),
        disbursement_date="2026-05-20",
        principal=Decimal("500000.50"),
    )
    services.credit_plan_set(
        actor=cast.leading_group,
        program=cast.changjiang,
        bank=cast.bank_x,
        year=2026,
        amount=Decimal("1000000.01"),
        count=3,
        reason="初定",
    )
    client.force_login(cast.bureau_head)
    response = client.get(f"{URL}export/?year=2026")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="credit-plan-2026.xlsx"'
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row for row in wb["年度信贷计划"].iter_rows(min_row=2, values_only=True)}
    x = summary["X银行"]
    assert (Decimal(str(x[1])), x[2], x[5], Decimal(str(x[6]))) == (
        Decimal("1000000.01"),
        3,
        2,
        Decimal("1500000.50"),
    )
    months = [r for r in wb["按月"].iter_rows(min_row=2, values_only=True) if r[0] == "X银行"]
    assert len(months) == 12
    may = months[4]
    # Plan to date after May: 1,000,000.01 × 5 / 12 = 416,666.670833… → 416,666.67 (half-up); 3 × 5 / 12 = 1.25
    assert (may[1], Decimal(str(may[2])), Decimal(str(may[3])), may[6]) == (
        5,
        Decimal("416666.67"),
        Decimal("1.25"),
        1,
    )
    assert Decimal(str(may[10])) == Decimal("1500000.50")


def test_rules_pro_rata_and_below_plan():
    assert rules.pro_rata_amount(Decimal("1000000.01"), 3) == Decimal("250000.00")
    assert rules.pro_rata_amount(Decimal("0.02"), 3) == Decimal("0.01")  # 0.005 → half-up
    assert rules.pro_rata_count(5, 3) == Decimal("1.25")
    kwargs = {"planned_amount": Decimal("400"), "planned_count": 5, "months": 3}
    assert not rules.below_plan(**kwargs, disbursed_amount=Decimal("100"), disbursed_count=2)
    assert rules.below_plan(**kwargs, disbursed_amount=Decimal("100"), disbursed_count=1)
    assert rules.below_plan(**kwargs, disbursed_amount=Decimal("99.99"), disbursed_count=2)
    assert rules.quarter_bounds(2026, 4)[1].isoformat() == "2026-12-31"
    assert rules.last_closed_quarter(bureau(2026, 1, 1).date()) == (2025, 4)


def test_the_office_is_told_of_banks_below_their_plan_once_a_quarter(cast, time_machine):
    time_machine.move_to(bureau(2026, 1, 5), tick=False)
    for bank, amount, count in ((cast.bank_x, "12000000.00", 6), (cast.bank_y, "4000000.00", 2)):
        services.credit_plan_set(
            actor=cast.leading_group,
            program=cast.changjiang,
            bank=bank,
            year=2026,
            amount=Decimal(amount),
            count=count,
            reason="年度计划",
        )
    Notification.objects.all().delete()
    time_machine.move_to(bureau(2026, 4, 1, 1), tick=False)
    out = io.StringIO()
    call_command("changjiang_daily", "--on", "2026-04-01", stdout=out)
    assert "1 credit-plan alert(s)" in out.getvalue()
    # Bank X: Q1 share 3,000,000.00 and 1.5 loans, disbursed 1,000,000.00 and 1 loan → below.
    # Bank Y: Q1 share 1,000,000.00 and 0.5 loans, disbursed 1,000,000.00 and 1 loan → met.
    alert = CreditPlanAlert.objects.get()
    assert (alert.plan.bank, alert.quarter, alert.planned_amount, alert.planned_count) == (
        cast.bank_x,
        1,
        Decimal("3000000.00"),
        Decimal("1.50"),
    )
    assert (alert.disbursed_amount, alert.disbursed_count) == (Decimal("1000000.00"), 1)
    note = Notification.objects.get(user=cast.leading_group)
    assert "X银行" in note.message and "Y银行" not in note.message
    call_command("changjiang_daily", "--on", "2026-04-02", stdout=io.StringIO())
    assert CreditPlanAlert.objects.count() == 1
    assert Notification.objects.filter(user=cast.leading_group).count() == 1


def test_the_dashboard_shows_the_plan_against_granted_and_disbursed(client, cast):
    services.credit_plan_set(
        actor=cast.leading_group,
        program=cast.changjiang,
        bank=cast.bank_x,
        year=2026,
        amount=Decimal("1200000.00"),
        count=2,
        reason="年度计划",
    )
    for who in ("bureau_head", "bank_x_user", "bank_y_user"):
        client.force_login(getattr(cast, who))
        page = client.get("/reports/dashboard/").content.decode()
        assert 'id="chart-credit-plan"' in page
        chart = page.split('id="chart-credit-plan"')[1].split("</script>")[0]
        # December 2026 (the suite's date): plan to date 1,200,000.00 (bank X's), disbursed 1,000,000.00 each
        assert '"2026-12"' in chart
        if who == "bank_y_user":
            assert '"1200000.00"' not in chart  # bank Y sees only its own (no plan)
        else:
            assert '"1200000.00"' in chart
        disbursed = "2000000.00" if who == "bureau_head" else "1000000.00"
        assert f'"{disbursed}"' in chart
    client.force_login(UserFactory(username="qz", role="bureau_staff", program=cast.quzhou))
    assert "chart-credit-plan" not in client.get("/reports/dashboard/").content.decode()


def test_the_dashboard_reads_the_same_disbursements_from_its_tallies(cast):
    """Issue 20: the dashboard's chart reads the disbursements by bank and month from the loan tallies
    (reports.dashboard.Filters.disbursed_by_month); they are the figures counted from the loans."""
    from programs.changjiang.selectors import disbursed_by_month
    from reports.dashboard import default_filters

    version = ProgramVersion.objects.filter(program=cast.changjiang).first()
    for bank, day, principal in [
        (cast.bank_x, "2026-01-31", "100000.01"),
        (cast.bank_x, "2026-01-02", "200000.10"),
        (cast.bank_y, "2026-07-15", "300000.00"),
        (cast.bank_x, "2025-12-31", "400000.00"),  # another year
    ]:
        LoanFactory(
            enterprise=cast.enterprise_b,
            bank=bank,
            program_version=version,
            disbursement_date=day,
            principal=Decimal(principal),
        )
    banks = [cast.bank_x.pk, cast.bank_y.pk]
    for year in (2025, 2026):
        counted = disbursed_by_month(cast.changjiang, year, banks)
        assert counted, year
        assert default_filters().disbursed_by_month(cast.changjiang, year, banks) == counted
    assert default_filters().disbursed_by_month(cast.changjiang, 2026, [cast.bank_y.pk]) == (
        disbursed_by_month(cast.changjiang, 2026, [cast.bank_y.pk])
    )
