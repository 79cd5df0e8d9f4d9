"""Web upload (preview, confirm, background job), bank portal, loan page, post-loan reports, delinquency."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from applications.models import Application
from kedaitong.models import AuditEntry
from loans import services
from loans.models import (
    InterestSettlement,
    Loan,
    OverdueEvent,
    PostLoanReport,
    RecordUpload,
    Repayment,
)
from review.models import BlacklistEntry
from tests.clock import bureau
from tests.factories import ApplicationFactory, UserFactory
from tests.loans.sheets import INTEREST, xlsx

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def interest_file(cast, *, bad: bool) -> bytes:
    loan = cast.loan_a
    rows = [
        [loan.contract_no, "bank-x", "2026-03-21", "2026-02-10", "2026-03-20", "3,450.00", "否"],
        [
            loan.contract_no,
            "bank-x",
            "2026-06-21",
            "2026-03-21",
            "2026-06-20",
            "8,812.50" if not bad else "8,812.505",
            "否",
        ],
    ]
    return xlsx(INTEREST, rows)


def upload(client, cast, data, name="interest.xlsx"):
    return client.post(
        "/loans/uploads/new/",
        {"kind": "interest", "program": cast.changjiang.pk, "file": _named(data, name)},
    )


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_a_bank_uploads_sees_the_bad_row_fixes_it_and_confirms(cast):
    client = client_for(cast.bank_x_user)
    response = upload(client, cast, interest_file(cast, bad=True))
    assert response.status_code == 302
    first = RecordUpload.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert first.state == RecordUpload.State.REFUSED
    assert "两位小数" in page and "<td>3</td>" in page and not InterestSettlement.objects.exists()
    response = upload(client, cast, interest_file(cast, bad=False))
    second = RecordUpload.objects.exclude(pk=first.pk).get()
    assert second.state == RecordUpload.State.CHECKED and second.created_count == 2
    assert not InterestSettlement.objects.exists()  # preview saves nothing
    assert client.get(f"/loans/uploads/{second.public_id}/confirm/").status_code == 405
    response = client.post(f"/loans/uploads/{second.public_id}/confirm/")
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.state == RecordUpload.State.SAVED
    assert sorted(second.interestsettlements.values_list("amount", flat=True)) == [
        Decimal("3450.00"),
        Decimal("8812.50"),
    ]
    assert AuditEntry.objects.filter(action="loans.upload.saved", object_id=str(second.pk)).exists()
    assert (
        client.post(f"/loans/uploads/{second.public_id}/confirm/").status_code == 302
    )  # told, nothing doubled
    assert InterestSettlement.objects.count() == 2


def test_the_command_line_and_the_web_give_the_same_result(cast, tmp_path):
    data = interest_file(cast, bad=False)
    path = tmp_path / "interest.xlsx"
    path.write_bytes(data)
    call_command(
        "import_records", "interest", str(path), "--program", "changjiang", stdout=io.StringIO()
    )
    by_command = list(
        InterestSettlement.objects.order_by("period_start").values_list(
            "loan_id", "settled_on", "period_start", "period_end", "amount", "is_overdue_interest"
        )
    )
    InterestSettlement.objects.all().delete()
    client = client_for(cast.bank_x_user)
    upload(client, cast, data)
    client.post(f"/loans/uploads/{RecordUpload.objects.get(source='web').public_id}/confirm/")
    by_web = list(
        InterestSettlement.objects.order_by("period_start").values_list(
            "loan_id", "settled_on", "period_start", "period_end", "amount", "is_overdue_interest"
        )
    )
    assert by_web == by_command and len(by_web) == 2


def quzhou_disbursements(cast, *, other_bank: bool = False) -> bytes:
    """Two Quzhou disbursements of bank X to a listed enterprise (and, if asked, one of bank Y's)."""
    from applications.models import ProgramListing
    from loans.models import BankAgreement
    from tests.loans.sheets import DISBURSEMENTS

    for bank in (cast.bank_x, cast.bank_y):
        BankAgreement.objects.get_or_create(
            bank=bank,
            program=cast.quzhou,
            defaults={"starts_on": dt.date(2025, 1, 1), "ends_on": dt.date(2027, 12, 31)},
        )
    e = cast.enterprise_a
    ProgramListing.objects.get_or_create(
        program=cast.quzhou,
        credit_code=e.credit_code,
        defaults={"name": e.name, "listed_on": dt.date(2025, 1, 1)},
    )
    rows = [
        [
            "QZ-A1",
            "bank-x",
            e.credit_code,
            "2025-06-03",
            "2025-06-03",
            "2026-06-02",
            "1,200,000.00",
            "3.0",
        ],
        [
            "QZ-A2",
            "bank-x",
            e.credit_code,
            "2025-09-01",
            "2025-09-01",
            "2026-08-31",
            "800,000",
            "2.95",
        ],
    ]
    if other_bank:
        rows.append(
            [
                "QZ-Y1",
                "bank-y",
                e.credit_code,
                "2025-09-01",
                "2025-09-01",
                "2026-08-31",
                "800,000",
                "2.95",
            ]
        )
    return xlsx(DISBURSEMENTS, rows)


LOAN_FIELDS = (
    "contract_no",
    "bank_id",
    "enterprise_id",
    "program_version_id",
    "application_id",
    "disbursement_date",
    "maturity_date",
    "principal",
    "annual_rate",
    "lpr_at_pricing",
    "product_type_id",
    "purpose",
)


def test_the_command_line_and_a_bank_users_upload_give_the_same_disbursements(cast, tmp_path):
    data = quzhou_disbursements(cast)
    path = tmp_path / "disbursements.xlsx"
    path.write_bytes(data)
    call_command(
        "import_records",
        "disbursements",
        str(path),
        "--program",
        "quzhou",
        "--user",
        "bankx",
        stdout=io.StringIO(),
    )
    new = Loan.objects.filter(program_version__program=cast.quzhou).order_by("contract_no")
    by_command = list(new.values_list(*LOAN_FIELDS))
    command_upload = RecordUpload.objects.get(source="command")
    assert (command_upload.uploaded_by, command_upload.bank, command_upload.created_count) == (
        cast.bank_x_user,
        cast.bank_x,
        2,
    )
    new.delete()
    client = client_for(cast.bank_x_user)
    client.post("/program/switch/", {"program": "quzhou"})  # bank X lends in Changjiang too
    response = client.post(
        "/loans/uploads/new/",
        {
            "kind": "disbursements",
            "program": cast.quzhou.pk,
            "file": _named(data, "disbursements.xlsx"),
        },
    )
    web = RecordUpload.objects.get(source="web")
    assert response.status_code == 302 and web.state == RecordUpload.State.CHECKED, web.errors
    client.post(f"/loans/uploads/{web.public_id}/confirm/")
    web.refresh_from_db()
    by_web = list(new.values_list(*LOAN_FIELDS))
    assert web.state == RecordUpload.State.SAVED and (web.created_count, web.bank) == (
        2,
        cast.bank_x,
    )
    assert by_web == by_command and [x[0] for x in by_web] == ["QZ-A1", "QZ-A2"]
    assert by_web[0][7:10] == (Decimal("1200000.00"), Decimal("3.0000"), Decimal("3.0000"))


def test_the_command_line_and_a_bank_users_upload_refuse_another_banks_row_alike(cast, tmp_path):
    from django.core.management.base import CommandError

    from loans.importer.engine import RowError

    data = quzhou_disbursements(cast, other_bank=True)
    path = tmp_path / "disbursements.xlsx"
    path.write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_records",
            "disbursements",
            str(path),
            "--program",
            "quzhou",
            "--user",
            "bankx",
            stderr=err,
        )
    client = client_for(cast.bank_x_user)
    client.post("/program/switch/", {"program": "quzhou"})  # bank X lends in Changjiang too
    client.post(
        "/loans/uploads/new/",
        {
            "kind": "disbursements",
            "program": cast.quzhou.pk,
            "file": _named(data, "disbursements.xlsx"),
        },
    )
    web = RecordUpload.objects.get(source="web")
    assert web.state == RecordUpload.State.REFUSED
    lines = [RowError(**e).line() for e in web.errors]
    assert (
        lines
        == err.getvalue().splitlines()
        == ["第4行 [银行代码]：“bank-y”是其他银行的数据，本行只能导入本行的记录"]
    )
    assert not Loan.objects.filter(program_version__program=cast.quzhou).exists()


def test_the_upload_page_lists_the_other_rows_a_file_created(cast):
    from tests.loans.sheets import BANKS

    client = client_for(cast.admin)
    client.post(
        "/loans/uploads/new/",
        {
            "kind": "banks",
            "program": cast.changjiang.pk,
            "file": _named(
                xlsx(BANKS, [["bank-z", "Z银行", "2026-01-01", "2028-12-31"]]), "b.xlsx"
            ),
        },
    )
    record = RecordUpload.objects.get()
    client.post(f"/loans/uploads/{record.public_id}/confirm/")
    page = client.get(f"/loans/uploads/{record.public_id}/").content.decode()
    assert (
        "本文件新建的其他记录" in page
        and "<li>合作银行：1</li>" in page
        and "<li>合作协议：1</li>" in page
    )


def test_the_command_line_and_the_web_refuse_a_bad_file_with_the_same_lines(cast, tmp_path):
    from django.core.management.base import CommandError

    from loans.importer.engine import RowError

    data = interest_file(cast, bad=True)
    path = tmp_path / "interest.xlsx"
    path.write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_records",
            "interest",
            str(path),
            "--program",
            "changjiang",
            "--user",
            "bankx",
            stderr=err,
        )
    upload(client_for(cast.bank_x_user), cast, data)
    web = RecordUpload.objects.get(source="web")
    assert web.state == RecordUpload.State.REFUSED
    assert [RowError(**e).line() for e in web.errors] == err.getvalue().splitlines()
    assert len(web.errors) == 1 and web.errors[0]["row"] == 3
    assert not InterestSettlement.objects.exists()


def test_confirming_is_for_the_uploader_only(cast):
    upload(client_for(cast.bank_x_user), cast, interest_file(cast, bad=False))
    record = RecordUpload.objects.get()
    colleague = UserFactory(username="bankx2", role="bank", bank=cast.bank_x)
    assert (
        client_for(colleague).post(f"/loans/uploads/{record.public_id}/confirm/").status_code == 403
    )
    assert (
        client_for(cast.auditor).post(f"/loans/uploads/{record.public_id}/confirm/").status_code
        == 403
    )
    assert (
        client_for(cast.bank_y_user).post(f"/loans/uploads/{record.public_id}/confirm/").status_code
        == 404
    )
    assert client_for(cast.auditor).post("/loans/uploads/new/", {}).status_code == 403
    record.refresh_from_db()
    assert record.state == RecordUpload.State.CHECKED


def test_a_large_upload_is_checked_and_saved_by_background_jobs(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 10)
    client = client_for(cast.bank_x_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, cast, interest_file(cast, bad=False))
    record = RecordUpload.objects.get()
    assert (
        record.job is not None
        and record.job.state == "done"
        and record.state == RecordUpload.State.CHECKED
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/loans/uploads/{record.public_id}/confirm/")
    record.refresh_from_db()
    assert record.state == RecordUpload.State.SAVED and InterestSettlement.objects.count() == 2


def test_an_upload_whose_job_gave_up_says_so_instead_of_refreshing(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    from kedaitong.models import Job

    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 10)
    client = client_for(cast.bank_x_user)
    with django_capture_on_commit_callbacks(execute=False):
        upload(client, cast, interest_file(cast, bad=False))
    record = RecordUpload.objects.get()
    RecordUpload.objects.filter(pk=record.pk).update(state=RecordUpload.State.SAVING)
    page = client.get(f"/loans/uploads/{record.public_id}/").content.decode()
    assert 'http-equiv="refresh"' in page
    Job.objects.filter(pk=record.job_id).update(state=Job.State.FAILED)
    page = client.get(f"/loans/uploads/{record.public_id}/").content.decode()
    assert 'http-equiv="refresh"' not in page and 'role="alert"' in page


def test_the_bank_portal_lists_recommended_applications_read_only(cast):
    shown = ApplicationFactory(
        enterprise=cast.enterprise_a,
        bank=cast.bank_x,
        state=Application.State.PUBLICITY,
        reference="REC-1",
    )
    ApplicationFactory(
        enterprise=cast.enterprise_a,
        bank=cast.bank_x,
        state=Application.State.BUREAU_REVIEW,
        reference="NOT-YET",
    )
    ApplicationFactory(
        enterprise=cast.enterprise_b,
        bank=cast.bank_y,
        state=Application.State.BANK_REVIEW,
        reference="OTHER-BANK",
    )
    page = client_for(cast.bank_x_user).get("/").content.decode()
    recommended = page.split('id="recommended"')[1].split("</section>")[0]
    assert "REC-1" in recommended and f"/applications/{shown.public_id}/" in recommended
    assert "NOT-YET" not in recommended and "OTHER-BANK" not in page


def test_the_loan_page_shows_derived_figures_and_records(cast):
    loan = cast.loan_a
    loan.repayments.create(repaid_on=dt.date(2026, 3, 1), principal=Decimal("250000.00"))
    OverdueEvent.objects.create(
        loan=loan,
        started_on=dt.date.today() - dt.timedelta(days=40),
        overdue_principal=Decimal("1000"),
    )
    page = client_for(cast.bank_x_user).get(f"/loans/{loan.public_id}/").content.decode()
    assert "750,000.00" in page and ">40<" in page


# 20:00 UTC on 31 March: the bureau (Asia/Shanghai) is already at 1 April, the date it files on.
@pytest.mark.time_machine(bureau(2026, 4, 1, 4, 0))
def test_post_loan_reports_are_filed_by_the_lending_bank_once_per_quarter(cast):
    loan = cast.loan_a
    url = f"/loans/{loan.public_id}/reports/new/"
    data = {
        "year": 2026,
        "quarter": 1,
        "status": "watch",
        "operations": "经营正常，资金用于研发",
        "risks": "订单下滑",
    }
    assert client_for(cast.bank_x_user).get(url).status_code == 200
    assert client_for(cast.auditor).post(url, data).status_code == 403
    assert client_for(cast.bureau_staff).post(url, data).status_code == 403
    assert client_for(cast.bank_y_user).post(url, data).status_code == 404
    assert client_for(cast.bank_x_user).post(url, data).status_code == 302
    again = client_for(cast.bank_x_user).post(url, data)
    assert again.status_code == 400 and "已报送" in again.content.decode()
    assert PostLoanReport.objects.get().status == "watch"
    overview = (
        client_for(cast.bureau_staff).get("/loans/reports/?year=2026&quarter=1").content.decode()
    )
    assert (
        "订单下滑" in overview and cast.loan_b.contract_no in overview
    )  # worrying, and the loan without a report
    export = client_for(cast.bureau_staff).get("/loans/reports/export.xlsx?year=2026&quarter=1")
    assert export.status_code == 200 and export.content.startswith(b"PK")
    wb = load_workbook(io.BytesIO(export.content))
    assert wb.sheetnames == ["2026年第1季度贷后报告", "未报送"]
    report = PostLoanReport.objects.get()
    filed = [[c.value for c in row] for row in wb["2026年第1季度贷后报告"].iter_rows()]
    assert filed[0] == [
        "贷款合同编号",
        "银行",
        "企业",
        "放款金额（元）",
        "评价",
        "经营及资金使用情况",
        "还本付息情况",
        "风险及措施",
        "报送人",
        "报送日期",
    ]
    assert filed[1][:8] == [
        loan.contract_no,
        "X银行",
        "甲科技有限公司",
        1000000,
        "关注",
        "经营正常，资金用于研发",
        None,
        "订单下滑",
    ]
    assert filed[1][8] == str(cast.bank_x_user) and filed[1][9].date() == dt.date(2026, 4, 1)
    assert timezone.localdate(report.filed_at) == dt.date(
        2026, 4, 1
    )  # the bureau's date, not UTC's
    assert filed[2][0] == "合计" and filed[2][3] == 1000000 and len(filed) == 3
    missing = [[c.value for c in row] for row in wb["未报送"].iter_rows()]
    assert missing[0] == ["贷款合同编号", "银行", "企业", "放款金额（元）", "放款日期", "到期日期"]
    other = cast.loan_b
    assert [r[:4] for r in missing[1:-1]] == [
        [other.contract_no, "Y银行", "乙科技有限公司", 1000000]
    ]
    assert (
        missing[1][4].date() == other.disbursement_date
        and missing[1][5].date() == other.maturity_date
    )
    assert missing[-1][0] == "合计" and missing[-1][3] == 1000000


def test_refresh_delinquency_buckets_compensation_and_blacklist(cast):
    loan = cast.loan_a  # Changjiang
    today = dt.date(2026, 12, 1)
    OverdueEvent.objects.create(
        loan=loan, started_on=dt.date(2026, 10, 20), overdue_principal=Decimal("1000")
    )
    call_command("refresh_delinquency", "--on", today.isoformat(), stdout=io.StringIO())
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.bucket, loan.compensation_eligible) == (42, "31-90", True)
    assert not BlacklistEntry.objects.exists()
    later = dt.date(
        2027, 4, 21
    )  # 2026-10-20 + 6 months = 2027-04-20: more than six months the next day
    call_command("refresh_delinquency", "--on", later.isoformat(), stdout=io.StringIO())
    call_command("refresh_delinquency", "--on", later.isoformat(), stdout=io.StringIO())
    entry = BlacklistEntry.objects.get()
    assert entry.status == "proposed" and entry.loan == loan and entry.reason == "overdue"
    Loan.objects.filter(pk=loan.pk).update(days_past_due=0)
    OverdueEvent.objects.update(cleared_on=dt.date(2027, 4, 22))
    call_command("refresh_delinquency", "--on", "2027-04-23", stdout=io.StringIO())
    loan.refresh_from_db()
    # the bank's arrears are cleared, but the loan matured on 2027-02-09 with its principal unpaid:
    # overdue from 2027-02-10 (issue 16 item 1), 2027-04-23 − 2027-02-10 = 72 days
    assert (loan.days_past_due, loan.bucket, loan.compensation_eligible) == (72, "31-90", True)
    Repayment.objects.create(loan=loan, repaid_on=dt.date(2027, 2, 9), principal=loan.principal)
    call_command("refresh_delinquency", "--on", "2027-04-23", stdout=io.StringIO())
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.bucket, loan.compensation_eligible) == (0, "current", False)


def test_cancelling_a_checked_upload(cast):
    upload(client_for(cast.bank_x_user), cast, interest_file(cast, bad=False))
    record = RecordUpload.objects.get()
    url = f"/loans/uploads/{record.public_id}/cancel/"
    assert client_for(cast.bank_x_user).get(url).status_code == 405
    assert client_for(cast.auditor).post(url).status_code == 403
    assert client_for(cast.bank_y_user).post(url).status_code == 404
    assert client_for(cast.bank_x_user).post(url).status_code == 302
    record.refresh_from_db()
    assert record.state == RecordUpload.State.CANCELLED
    assert (
        client_for(cast.bank_x_user).post(f"/loans/uploads/{record.public_id}/confirm/").status_code
        == 302
    )
    assert not InterestSettlement.objects.exists()


def test_a_save_that_fails_unexpectedly_saves_nothing_and_does_not_hang(cast, monkeypatch):
    import dataclasses

    from loans.importer.kinds import KINDS

    upload(client_for(cast.bank_x_user), cast, interest_file(cast, bad=False))
    record = RecordUpload.objects.get()

    def broken(table, context):
        raise RuntimeError("disk full")

    monkeypatch.setitem(KINDS, "interest", dataclasses.replace(KINDS["interest"], validate=broken))
    services.upload_confirm(actor=cast.bank_x_user, upload=record)
    record.refresh_from_db()
    assert record.state == RecordUpload.State.FAILED and "disk full" in record.errors[0]["message"]
    assert not InterestSettlement.objects.exists()
    assert AuditEntry.objects.filter(action="loans.upload.failed").count() == 1


class Killed(BaseException):
    """The process dies mid-request (SIGKILL): no `except Exception` runs, only the transaction ends."""


def test_a_save_killed_midway_leaves_the_upload_checked_to_confirm_again(cast, monkeypatch):
    """Issue 20's scale-out run kills an instance mid-request: an upload being saved in the request then
    stayed "being saved" for ever and could never be confirmed. The save and its state now share one
    transaction."""
    upload(client_for(cast.bank_x_user), cast, interest_file(cast, bad=False))
    record = RecordUpload.objects.get()
    real = services.upload_process

    def dies(**kwargs):  # type: ignore[no-untyped-def]
        real(**kwargs)
        raise Killed

    monkeypatch.setattr(services, "upload_process", dies)
    with pytest.raises(Killed):
        services.upload_confirm(actor=cast.bank_x_user, upload=record)
    record.refresh_from_db()
    assert record.state == RecordUpload.State.CHECKED
    assert not InterestSettlement.objects.exists()
    monkeypatch.setattr(services, "upload_process", real)
    assert services.upload_confirm(actor=cast.bank_x_user, upload=record).state == "saved"
    assert InterestSettlement.objects.count() == 2


def test_a_check_killed_midway_leaves_no_upload_being_checked(cast, monkeypatch):
    def dies(**kwargs):  # type: ignore[no-untyped-def]
        raise Killed

    monkeypatch.setattr(services, "upload_process", dies)
    with pytest.raises(Killed):
        services.upload_receive(
            actor=cast.bank_x_user,
            kind="interest",
            program=cast.changjiang,
            data=interest_file(cast, bad=False),
            filename="interest.xlsx",
        )
    assert not RecordUpload.objects.exists()


def test_a_check_that_fails_unexpectedly_marks_the_upload_failed_with_the_reason(cast, monkeypatch):
    """Issue 16 item 12: `1e30` in a repayments row once raised a decimal signal in the check and the
    upload stayed "being checked" for ever. Any unexpected error in the check (here a stand-in for that
    bug) now fails the upload, with the reason, and the page answers."""
    import dataclasses
    from decimal import InvalidOperation

    from loans.importer.kinds import KINDS

    def broken(table, context):  # type: ignore[no-untyped-def]
        raise InvalidOperation("[<class 'decimal.InvalidOperation'>]")

    monkeypatch.setitem(KINDS, "interest", dataclasses.replace(KINDS["interest"], validate=broken))
    client = client_for(cast.bank_x_user)
    response = upload(client, cast, interest_file(cast, bad=False))
    record = RecordUpload.objects.get()
    assert record.state == RecordUpload.State.FAILED
    assert "InvalidOperation" in record.errors[0]["message"]
    page = client.get(reverse("loans:upload-detail", args=[record.public_id]))
    assert page.status_code == 200
    assert "处理时发生意外错误" in page.content.decode()
    assert response.status_code == 302
    assert not InterestSettlement.objects.exists()


def test_a_database_error_while_saving_leaves_the_upload_to_the_jobs_next_attempt(
    cast, monkeypatch
):
    """Issue 20 (the scale-out run): a deadlock while a job saves an upload must not mark the upload failed; the
    job is queued again (kedaitong.jobs) and its next attempt saves it. A file's own error still fails it."""
    from django.db import OperationalError

    from loans import services, tasks

    record = RecordUpload.objects.create(
        kind="interest",
        program=cast.changjiang,
        bank=cast.bank_x,
        file="imports/big.xlsx",
        original_name="big.xlsx",
        checksum="0" * 64,
        uploaded_by=cast.bank_x_user,
        state=RecordUpload.State.SAVING,
    )

    def deadlocked(**kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(services, "upload_process", deadlocked)
    with pytest.raises(OperationalError):
        tasks.process_upload(record, commit=True)
    record.refresh_from_db()
    assert record.state == RecordUpload.State.SAVING

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("a bad cell")

    monkeypatch.setattr(services, "upload_process", broken)
    with pytest.raises(ValueError, match="a bad cell"):
        tasks.process_upload(record, commit=True)
    record.refresh_from_db()
    assert record.state == RecordUpload.State.FAILED
