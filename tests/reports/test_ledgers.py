"""Ledger pages and their Excel exports: same filters, same figures, typed cells, scoped rows."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kedaitong.models import Job
from loans.models import InterestSettlement, OverdueEvent
from tests.factories import LoanFactory

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet(response):
    assert response["Content-Type"] == XLSX
    return load_workbook(io.BytesIO(response.content)).active


def test_the_loans_export_matches_the_page_and_the_database(client, cast):
    LoanFactory(
        bank=cast.bank_x,
        enterprise=cast.enterprise_a,
        principal=Decimal("1234567.89"),
        contract_no="=HACK()",
    )
    client.force_login(cast.bureau_staff)
    page = client.get("/reports/ledgers/loans/")
    assert page.status_code == 200
    assert "3,234,567.89" in page.content.decode()  # 1,000,000 × 2 + 1,234,567.89
    ws = sheet(client.post("/reports/ledgers/loans/export/", {}))
    header = [c.value for c in ws[1]]
    assert header[:3] == ["贷款合同编号", "银行代码", "银行名称"] and header[9] == "放款金额（元）"
    amounts = [ws.cell(row=r, column=10) for r in range(2, ws.max_row)]
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in amounts)
    assert sum(Decimal(str(c.value)) for c in amounts) == Decimal("3234567.89")
    assert ws.cell(row=ws.max_row, column=1).value == "合计"
    assert Decimal(str(ws.cell(row=ws.max_row, column=10).value)) == Decimal("3234567.89")
    assert isinstance(ws.cell(row=2, column=8).value, dt.datetime)  # a real date cell
    contract_cells = [ws.cell(row=r, column=1) for r in range(2, ws.max_row)]
    hacked = next(c for c in contract_cells if c.value == "=HACK()")
    assert hacked.data_type == "s"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref


def test_the_page_filters_apply_to_the_export(client, cast):
    client.force_login(cast.admin)
    ws = sheet(client.post("/reports/ledgers/loans/export/", {"bank": "bank-x"}))
    assert [ws.cell(row=r, column=2).value for r in range(2, ws.max_row)] == ["bank-x"]
    response = client.get(
        "/reports/ledgers/loans/", {"date_from": "2026-03-01", "date_to": "2026-01-01"}
    )
    assert "结束日期早于开始日期" in response.content.decode()


def test_a_bank_exports_only_its_own_rows(client, cast):
    InterestSettlement.objects.create(
        loan=cast.loan_a,
        settled_on=dt.date(2026, 3, 20),
        period_start=dt.date(2026, 2, 10),
        period_end=dt.date(2026, 3, 20),
        amount=Decimal("3600.00"),
    )
    InterestSettlement.objects.create(
        loan=cast.loan_b,
        settled_on=dt.date(2026, 3, 20),
        period_start=dt.date(2026, 2, 10),
        period_end=dt.date(2026, 3, 20),
        amount=Decimal("999.00"),
        is_overdue_interest=True,
    )
    client.force_login(cast.bank_x_user)
    ws = sheet(client.post("/reports/ledgers/interest/export/", {}))
    assert ws.max_row == 3  # header, one row, totals
    assert ws.cell(row=2, column=7).value == 3600 and ws.cell(row=2, column=8).value == "否"


def test_delinquency_ledger_derives_days_and_bucket(client, cast):
    OverdueEvent.objects.create(
        loan=cast.loan_a, started_on=dt.date(2020, 1, 1), overdue_principal=Decimal("10.00")
    )
    client.force_login(cast.bureau_staff)
    ws = sheet(client.post("/reports/ledgers/delinquency/export/", {}))
    assert ws.cell(row=2, column=11).value == "逾期180天以上"


def test_enterprises_have_no_ledgers_and_exports_need_post(client, cast):
    client.force_login(cast.applicant)
    assert client.get("/reports/ledgers/loans/").status_code == 403
    assert client.post("/reports/ledgers/loans/export/", {}).status_code == 403
    client.force_login(cast.bureau_staff)
    assert client.get("/reports/ledgers/loans/export/").status_code == 405
    assert client.get("/reports/ledgers/nope/").status_code == 404


def test_a_large_export_becomes_a_job_with_a_download(
    client, cast, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    client.force_login(cast.bureau_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/ledgers/loans/export/", {})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.public_id}/"
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.total == 2
    download = client.get(f"/jobs/{job.public_id}/download/")
    ws = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert ws.max_row == 4


def test_the_dashboard_shows_each_chart_with_its_numbers(client, cast):
    OverdueEvent.objects.create(
        loan=cast.loan_a, started_on=dt.date(2020, 1, 1), overdue_principal=Decimal("10.00")
    )
    client.force_login(cast.bureau_staff)
    response = client.get("/reports/dashboard/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="chart-buckets"' in body and "<canvas" in body
    assert response.context["npl_ratio"] == Decimal(
        "50.00"
    )  # loan_a (180+ days) is half of what is outstanding


def test_outstanding_principal_is_bucketed_after_repayments(cast):
    from loans.models import Repayment
    from reports.dashboard import delinquency

    Repayment.objects.create(
        loan=cast.loan_b, repaid_on=dt.date(2026, 3, 1), principal=Decimal("400000.00")
    )
    OverdueEvent.objects.create(
        loan=cast.loan_a, started_on=dt.date(2026, 4, 1), overdue_principal=Decimal("10.00")
    )
    chart, ratio = delinquency(cast.bureau_staff, on=dt.date(2026, 5, 1))
    outstanding = dict(zip(chart.labels, chart.series[0][1], strict=True))
    assert outstanding["正常"] == Decimal("600000.00")
    assert outstanding["逾期1–30天"] == Decimal("1000000.00")  # 30 days past due on 05-01
    assert ratio == Decimal("0.00")
    _, later = delinquency(cast.bureau_staff, on=dt.date(2026, 7, 15))
    assert later == (Decimal("1000000.00") / Decimal("1600000.00") * 100).quantize(Decimal("0.01"))


def test_applications_by_month_counts_in_shanghai_time(cast):
    from django.utils import timezone

    from applications.models import Application
    from reports.dashboard import applications_by_month

    # 2026-06-30 17:00 UTC is 2026-07-01 01:00 in Shanghai: a July application.
    Application.objects.filter(pk=cast.application_a.pk).update(
        submitted_at=dt.datetime(2026, 6, 30, 17, 0, tzinfo=dt.UTC)
    )
    Application.objects.filter(pk=cast.application_b.pk).update(
        submitted_at=dt.datetime(2026, 6, 30, 15, 0, tzinfo=dt.UTC)
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 7, 20))
        chart = applications_by_month(cast.bureau_staff)
    counts = dict(zip(chart.labels, chart.series[0][1], strict=True))
    assert (
        chart.labels[0] == "2025-08" and chart.labels[-1] == "2026-07" and len(chart.labels) == 12
    )
    assert {m: n for m, n in counts.items() if n} == {"2026-06": 1, "2026-07": 1}


def test_the_applications_ledger_shows_when_each_stage_was_reached(client, cast):
    from django.contrib.contenttypes.models import ContentType

    from applications.models import Application
    from kedaitong.models import AuditEntry

    kind = ContentType.objects.get_for_model(Application)
    for when, to_state in [
        (dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), "bureau_review"),
        (dt.datetime(2026, 3, 9, 17, tzinfo=dt.UTC), "group_review"),
    ]:
        AuditEntry.objects.create(
            at=when,
            action="applications.application.moved",
            to_state=to_state,
            content_type=kind,
            object_id=str(cast.application_a.pk),
        )
    client.force_login(cast.bureau_staff)
    ws = sheet(client.post("/reports/ledgers/applications/export/", {"bank": "bank-x"}))
    header = [c.value for c in ws[1]]
    row = {h: c.value for h, c in zip(header, ws[2], strict=True)}
    assert row["受理日期"].date() == dt.date(2026, 3, 1)
    assert row["科技局审核通过日期"].date() == dt.date(
        2026, 3, 10
    )  # 17:00 UTC is the next day in Shanghai
    assert row["专班推荐日期"] is None


def test_the_loans_export_has_principal_repaid_outstanding_and_days_overdue(client, cast):
    """Issue 18 item 11: what the bank and the bureau reconcile against, as of the day of the export."""
    import time_machine

    from loans.models import Repayment

    Repayment.objects.create(
        loan=cast.loan_a, repaid_on=dt.date(2026, 3, 10), principal=Decimal("250000.01")
    )
    Repayment.objects.create(  # after the export's day: not yet repaid on that day
        loan=cast.loan_a, repaid_on=dt.date(2026, 6, 1), principal=Decimal("1.00")
    )
    OverdueEvent.objects.create(
        loan=cast.loan_a, started_on=dt.date(2026, 4, 1), overdue_principal=Decimal("10.00")
    )
    OverdueEvent.objects.create(  # cleared: not counted
        loan=cast.loan_b,
        started_on=dt.date(2026, 3, 1),
        cleared_on=dt.date(2026, 3, 5),
        overdue_principal=Decimal("10.00"),
    )
    client.force_login(cast.bureau_staff)
    with time_machine.travel(dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        ws = sheet(client.post("/reports/ledgers/loans/export/", {}))
        page = client.get("/reports/ledgers/loans/").content.decode()
    header = [c.value for c in ws[1]]
    assert header[9:13] == ["放款金额（元）", "已还本金（元）", "未还本金（元）", "逾期天数"]
    rows = {
        r[0].value: {h: c.value for h, c in zip(header, r, strict=True)}
        for r in ws.iter_rows(min_row=2, max_row=ws.max_row - 1)
    }
    a, b = rows[cast.loan_a.contract_no], rows[cast.loan_b.contract_no]
    assert Decimal(str(a["已还本金（元）"])) == Decimal("250000.01")
    assert Decimal(str(a["未还本金（元）"])) == Decimal("749999.99")
    assert a["逾期天数"] == 30  # overdue since 2026-04-01, on 2026-05-01
    assert Decimal(str(b["已还本金（元）"])) == Decimal("0")
    assert Decimal(str(b["未还本金（元）"])) == Decimal("1000000.00")
    assert b["逾期天数"] == 0
    totals = {h: c.value for h, c in zip(header, ws[ws.max_row], strict=True)}
    assert Decimal(str(totals["已还本金（元）"])) == Decimal("250000.01")
    assert Decimal(str(totals["未还本金（元）"])) == Decimal("1749999.99")
    assert "已还本金（元）" in page and "749,999.99" in page and "1,749,999.99" in page


def test_a_loan_past_maturity_with_principal_outstanding_is_overdue_in_the_export(client, cast):
    """Changjiang 第九条 超过合同还款期限: overdue from the day after maturity while principal is outstanding."""
    import time_machine

    with time_machine.travel(dt.datetime(2027, 2, 19, 2, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(cast.bureau_staff)  # a session of the day
        ws = sheet(client.post("/reports/ledgers/loans/export/", {"bank": "bank-x"}))
    header = [c.value for c in ws[1]]
    row = {h: c.value for h, c in zip(header, ws[2], strict=True)}
    assert row["到期日期"].date() == dt.date(2027, 2, 9)
    assert (
        row["逾期天数"] == 9
    )  # overdue since 2027-02-10, counted as the dashboard counts (on − start)


def test_the_applications_export_names_the_bank(client, cast):
    client.force_login(cast.bureau_staff)
    ws = sheet(client.post("/reports/ledgers/applications/export/", {"bank": "bank-x"}))
    header = [c.value for c in ws[1]]
    assert header[4:6] == ["银行代码", "银行名称"]
    row = {h: c.value for h, c in zip(header, ws[2], strict=True)}
    assert row["银行名称"] == "X银行" and row["银行代码"] == "bank-x"
    assert row["状态"] == str(cast.application_a.get_state_display())
    assert Decimal(str(row["申请金额（元）"])) == cast.application_a.amount
    page = client.get("/reports/ledgers/applications/", {"bank": "bank-x"}).content.decode()
    assert "银行名称" in page and "X银行" in page
