"""Statistics by bank, review-stage durations from the audit trail, subsidy budgets, and the runs ledger."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kedaitong.audit import log_action
from kedaitong.models import AuditEntry
from loans.models import InterestSettlement, OverdueEvent, Repayment
from reports.dashboard import review_stage_days
from reports.statistics import bank_statistics

pytestmark = pytest.mark.django_db


def test_bank_statistics_for_a_period(cast):
    # loan_a (bank X) and loan_b (bank Y): 1,000,000 each, disbursed 2026-02-10.
    Repayment.objects.create(
        loan=cast.loan_a, repaid_on=dt.date(2026, 5, 1), principal=Decimal("200000.00")
    )
    Repayment.objects.create(
        loan=cast.loan_a, repaid_on=dt.date(2027, 1, 5), principal=Decimal("1.00")
    )  # after the period
    InterestSettlement.objects.create(
        loan=cast.loan_a,
        settled_on=dt.date(2026, 3, 20),
        period_start=dt.date(2026, 2, 10),
        period_end=dt.date(2026, 3, 20),
        amount=Decimal("3600.00"),
    )
    InterestSettlement.objects.create(
        loan=cast.loan_b,
        settled_on=dt.date(2026, 9, 20),
        period_start=dt.date(2026, 8, 21),
        period_end=dt.date(2026, 9, 20),
        amount=Decimal("450.50"),
        is_overdue_interest=True,
    )
    OverdueEvent.objects.create(
        loan=cast.loan_b, started_on=dt.date(2026, 8, 21), overdue_principal=Decimal("100000.00")
    )
    rows = {
        row[1]: row
        for row in bank_statistics(cast.bureau_staff, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    }
    x, y = rows["bank-x"], rows["bank-y"]
    assert x[3:] == [
        1,
        Decimal("1000000.00"),
        Decimal("200000.00"),
        Decimal("3600.00"),
        Decimal("0.00"),
        Decimal("800000.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]
    # bank Y: 132 days past due on 12-31, so the whole outstanding principal is non-performing.
    assert y[3:] == [
        1,
        Decimal("1000000.00"),
        Decimal("0.00"),
        Decimal("450.50"),
        Decimal("450.50"),
        Decimal("1000000.00"),
        Decimal("100000.00"),
        Decimal("1000000.00"),
    ]


def test_a_bank_sees_only_its_own_row(cast):
    rows = bank_statistics(cast.bank_x_user, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [row[1] for row in rows] == ["bank-x"]


def test_the_statistics_page_and_its_export_agree(client, cast):
    client.force_login(cast.bureau_staff)
    page = client.get("/reports/statistics/", {"date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert page.status_code == 200 and "2,000,000.00" in page.content.decode()
    response = client.post(
        "/reports/statistics/", {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    )
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws["A1"].value == "项目" and ws.cell(row=ws.max_row, column=1).value == "合计"
    assert Decimal(str(ws.cell(row=ws.max_row, column=5).value)) == Decimal("2000000.00")
    bad = client.get("/reports/statistics/", {"date_from": "2026-12-31", "date_to": "2026-01-01"})
    assert bad.status_code == 400 and "结束日期早于开始日期" in bad.content.decode()
    client.force_login(cast.applicant)
    assert client.get("/reports/statistics/").status_code == 403


def test_stage_durations_come_from_the_audit_trail(cast):
    from django.contrib.contenttypes.models import ContentType

    from applications.models import Application

    kind = ContentType.objects.get_for_model(Application)
    start = timezone.now() - dt.timedelta(days=30)
    histories = {
        cast.application_a: [
            (0, "submitted"),
            (1, "bureau_review"),
            (5, "group_review"),
            (9, "bank_review"),
        ],
        cast.application_b: [(0, "submitted"), (3, "bureau_review"), (4, "group_review")],
    }
    for application, steps in histories.items():
        for days, to_state in steps:
            AuditEntry.objects.create(
                at=start + dt.timedelta(days=days),
                action="applications.application.moved",
                to_state=to_state,
                content_type=kind,
                object_id=str(application.pk),
            )
    chart = review_stage_days(cast.bureau_staff)
    figures = dict(zip(chart.labels, chart.series[0][1], strict=True))
    assert figures == {
        "已提交": Decimal("2.0"),
        "科技局审核": Decimal("2.5"),
        "领导专班审议": Decimal("4.0"),
    }
    client_counts = dict(zip(chart.labels, chart.series[1][1], strict=True))
    assert client_counts["已提交"] == 2 and client_counts["领导专班审议"] == 1
    assert review_stage_days(cast.applicant).labels == [
        "已提交",
        "科技局审核",
        "领导专班审议",
    ]  # enterprise A sees its own
    assert log_action  # the services write these rows through log_action


def test_the_runs_ledger_and_the_subsidy_chart(client, cast):
    from reports.dashboard import subsidy_budgets
    from subsidy.models import SubsidyRun
    from tests.access import move_cast_to_quzhou

    move_cast_to_quzhou(cast)
    SubsidyRun.objects.create(
        program=cast.quzhou,
        year=2025,
        budget=Decimal("1000.00"),
        cutoff=dt.date(2025, 12, 31),
        computed_total=Decimal("1500.00"),
        total=Decimal("1000.00"),
        scaled=True,
    )
    cast.bureau_staff.refresh_from_db()
    chart = subsidy_budgets(cast.bureau_staff)
    assert chart.labels == ["2025"] and chart.rows == [
        ["2025", Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00")]
    ]
    client.force_login(cast.bureau_staff)
    ws = load_workbook(
        io.BytesIO(client.post("/reports/ledgers/subsidy-runs/export/", {}).content)
    ).active
    assert ws.cell(row=2, column=2).value == 2025
    assert ws.cell(row=2, column=8).value == "是"
