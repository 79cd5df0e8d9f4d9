"""Write batches as a bank's system sends them: the one importer, all or nothing, idempotent, the upload's messages."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import pytest

from api.models import ApiBatch
from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from loans.importer import context_for, run_import
from loans.models import InterestSettlement, Loan, PostLoanReport, RecordUpload, Repayment
from tests.api.helpers import Bank, make_token
from tests.factories import LoanFactory, UserFactory, version
from tests.loans.sheets import INTEREST, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(world) -> Bank:
    return Bank(make_token(world["clerk_x"]))


def disbursement(world, **kw):  # type: ignore[no-untyped-def]
    row = {
        "contract_no": "QZ-2026-001",
        "credit_code": world["enterprise"].credit_code,
        "contract_date": "2026-02-26",
        "disbursement_date": "2026-03-02",
        "maturity_date": "2027-03-01",
        "principal": "1,000,000.00",
        "annual_rate": "2.9",
    }
    return row | kw


def interest(**kw):  # type: ignore[no-untyped-def]
    row = {
        "contract_no": "QZ-1",
        "settled_on": "2025-03-21",
        "period_start": "2025-01-06",
        "period_end": "2025-03-20",
        "amount": "6000.00",
        "overdue": False,
    }
    return row | kw


def test_a_disbursement_batch_is_saved_once_and_the_same_key_answers_the_same(world, bank):
    rows = [disbursement(world), disbursement(world, contract_no="QZ-2026-002", principal=500000)]
    first = bank.send("disbursements", rows, key="2026-03-10-disb-1")
    assert first.status_code == 201, first.content.decode()
    body = first.json()
    assert body | {"id": None} == {
        "id": None,
        "kind": "disbursements",
        "program": "quzhou",
        "state": "saved",
        "dry_run": False,
        "rows": 2,
        "created": 2,
        "unchanged": 0,
        "updated": 0,
        "error_rows": 0,
        "errors": [],
    }
    loans = Loan.objects.filter(contract_no__startswith="QZ-2026").order_by("contract_no")
    assert [(x.contract_no, x.principal, x.bank.code) for x in loans] == [
        ("QZ-2026-001", Decimal("1000000.00"), "bank-x"),
        ("QZ-2026-002", Decimal("500000.00"), "bank-x"),
    ]
    upload = RecordUpload.objects.get(public_id=body["id"])
    assert (upload.source, upload.state, upload.uploaded_by) == ("api", "saved", world["clerk_x"])
    assert upload.via.startswith("API令牌“核心系统”") and upload.file.name.endswith(".json")
    assert set(loans.values_list("upload", flat=True)) == {upload.pk}
    # Every row the importer audits names the token, as does the call itself.
    registered = AuditEntry.objects.filter(action="loans.loan.registered")
    assert registered.count() == 2 and all(a.data["via"] == upload.via for a in registered)
    assert AuditEntry.objects.get(action="loans.upload.saved").data["via"] == upload.via
    call = AuditEntry.objects.get(action="api.call")
    assert call.data["idempotency_key"] == "2026-03-10-disb-1" and call.data["status"] == 201

    # The same key, the same rows (in another order of fields and other whitespace): the same answer.
    again = bank.send(
        "disbursements",
        None,
        key="2026-03-10-disb-1",
        raw=json.dumps({"rows": [dict(reversed(list(r.items()))) for r in rows]}, indent=2),
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == body
    assert Loan.objects.count() == 4 and RecordUpload.objects.count() == 1

    # The same key with other rows: 409, nothing saved.
    other = bank.send(
        "disbursements", [disbursement(world, contract_no="QZ-2026-003")], key="2026-03-10-disb-1"
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert "内容不同" in other.json()["detail"] and other.json()["batch"] == body["id"]
    assert not Loan.objects.filter(contract_no="QZ-2026-003").exists()

    # A new key with the same rows: the importer finds them recorded, nothing is duplicated.
    repeat = bank.send("disbursements", rows, key="2026-03-10-disb-2")
    assert repeat.status_code == 201
    assert (repeat.json()["created"], repeat.json()["unchanged"]) == (0, 2)
    assert Loan.objects.count() == 4
    assert ApiBatch.objects.count() == 2


def test_row_errors_are_the_uploads_own_messages_and_columns(world, bank):
    """The same bad rows sent as an .xlsx upload and as an API batch give the same (column, message) per row."""
    bad = [
        interest(),  # good
        interest(settled_on="2026-03-11"),  # tomorrow
        interest(period_start="2025-03-21", period_end="2025-06-20", amount="-5"),
        interest(period_start="2025-06-21", period_end="2025-09-20", amount="12.345"),
        interest(contract_no="NO-SUCH"),
        interest(contract_no="QZ-Y", bank_code="bank-y"),
        interest(),  # repeats row 1's key
        interest(period_start="2025-01-07", overdue="也许"),
        interest(period_start="2025/01/08"),
    ]
    answer = bank.send("interest", bad)
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "rows_invalid" and body["detail"] == "8行有错误，整批未保存"
    assert body["state"] == "refused" and body["created"] == 1  # would create: nothing saved
    api_errors = [(e["row"] + 1, e["column"], e["message"]) for e in body["errors"]]

    def cell(row, name):  # type: ignore[no-untyped-def]
        value = row.get(name)
        return {True: "是", False: "否"}.get(value, value) if name == "overdue" else value

    names = [
        "contract_no",
        "bank_code",
        "settled_on",
        "period_start",
        "period_end",
        "amount",
        "overdue",
    ]
    sheet = [[cell(r, n) if n != "bank_code" else r.get(n, "bank-x") for n in names] for r in bad]
    context = context_for(kind="interest", program=world["program"], actor=world["clerk_x"])
    upload = run_import(
        kind="interest",
        data=xlsx(INTEREST, sheet),
        filename="i.xlsx",
        context=context,
        commit=False,
    )
    file_errors = [(e.row, e.column, e.message.replace("第2行", "第1行")) for e in upload.errors]
    assert api_errors == file_errors
    assert {e["field"] for e in body["errors"]} == {
        "settled_on",
        "amount",
        "contract_no",
        "bank_code",
        "period_start",
        "overdue",
    }
    assert not InterestSettlement.objects.exists()
    # A refused batch is kept as the upload page keeps a refused file, and does not bind its key.
    refused = RecordUpload.objects.get(source="api")
    assert refused.state == "refused" and refused.error_count == 8
    fixed = bank.send("interest", [bad[0]])
    assert fixed.status_code == 201 and InterestSettlement.objects.count() == 1


@pytest.mark.slow
def test_a_10000_row_batch_is_saved_whole_and_sent_again_duplicates_nothing(world, bank):
    quzhou = version("quzhou")
    LoanFactory.reset_sequence()
    loans = [
        LoanFactory(
            program_version=quzhou,
            bank=world["bank_x"],
            enterprise=world["enterprise"],
            contract_no=f"BULK-{i:03d}",
            disbursement_date=dt.date(2025, 1, 2),
            maturity_date=dt.date(2027, 1, 1),
        )
        for i in range(100)
    ]
    start = dt.date(2025, 1, 2)
    rows = [
        {
            "contract_no": loan.contract_no,
            "settled_on": str(start + dt.timedelta(days=3 * p + 3)),
            "period_start": str(start + dt.timedelta(days=3 * p)),
            "period_end": str(start + dt.timedelta(days=3 * p + 2)),
            "amount": f"{100 + p}.25",
            "overdue": p % 25 == 0,
        }
        for loan in loans
        for p in range(100)
    ]
    assert len(rows) == 10_000
    began = time.perf_counter()
    answer = bank.send("interest", rows, key="bulk-1")
    seconds = time.perf_counter() - began
    assert answer.status_code == 201, answer.json()["errors"][:3]
    assert (answer.json()["rows"], answer.json()["created"]) == (10_000, 10_000)
    assert InterestSettlement.objects.count() == 10_000
    total = sum(Decimal(f"{100 + p}.25") for p in range(100)) * 100
    assert sum(InterestSettlement.objects.values_list("amount", flat=True)) == total
    assert InterestSettlement.objects.filter(is_overdue_interest=True).count() == 400
    assert seconds < 60, seconds
    again = bank.send("interest", rows, key="bulk-2")
    assert again.status_code == 201 and again.json()["unchanged"] == 10_000
    assert InterestSettlement.objects.count() == 10_000


def test_limits_of_a_batch(world, bank, settings):
    row = interest()
    too_many = bank.send("interest", [row] * 10_001)
    assert too_many.status_code == 413 and too_many.json()["code"] == "too_many_rows"
    assert "10,000" in too_many.json()["detail"]
    ten_mb = b'{"rows": [' + b'"' + b"x" * (10 * 1024 * 1024) + b'"]}'
    big = bank.send("interest", None, raw=ten_mb)
    assert big.status_code == 413 and big.json()["code"] == "body_too_large"
    assert "5 MB" in big.json()["detail"]
    settings.API_BATCH_MAX_ROWS = 2
    assert bank.send("interest", [row] * 3).status_code == 413
    no_key = bank.send("interest", [row], key=None)
    assert no_key.status_code == 400 and no_key.json()["detail"] == "缺少Idempotency-Key请求头"
    bad_key = bank.send("interest", [row], key="键")
    assert bad_key.status_code == 422 and bad_key.json()["code"] == "idempotency_key_invalid"
    unknown = bank.send("interest", [row], program="nowhere")
    assert unknown.status_code == 404 and "nowhere" in unknown.json()["detail"]
    assert not InterestSettlement.objects.exists() and not RecordUpload.objects.exists()


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"not json", "请求体不是有效的JSON"),
        (b'{"rows": [1.5e400, NaN]}', "不接受NaN和Infinity"),
        (b"[]", "请求体须为JSON对象"),
        (b'{"rows": {}}', "“rows”须为数组"),
        (b'{"rows": []}', "“rows”为空"),
        (b'{"rows": [], "extra": 1}', "未知字段：extra"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, ""),
    ],
)
def test_a_malformed_body_is_a_422_that_says_why(world, bank, raw, detail):
    answer = bank.send("interest", None, raw=raw)
    assert answer.status_code == 422
    assert detail in answer.json()["detail"]
    assert not RecordUpload.objects.exists()


def test_hostile_values_are_row_errors_naming_their_column(world, bank):
    rows = [
        interest(amount=Decimal("1E+400")),
        interest(amount="HUGE-INT"),
        interest(amount="99999999999999999.99"),
        interest(amount={"yuan": 1}),
        interest(settled_on=20250321),
        interest(contract_no=["QZ-1"]),
        interest(overdue="maybe"),
        interest(amount=True),
        interest(contract_no="x" * 6000),
        {"contract_no": "QZ-1", "surprise": 1},
        {},
        "a row",
    ]
    body = "{" + '"rows": ' + json.dumps(rows, default=str) + "}"
    # JSON numbers as they would come from a bank's system (not strings):
    body = body.replace('"1E+400"', "1E+400").replace('"HUGE-INT"', "9" * 5000)
    answer = bank.send("interest", None, raw=body)
    assert answer.status_code == 422
    errors = {(e["row"], e["column"]): e["message"] for e in answer.json()["errors"]}
    # The portal's one parser of amounts (kedaitong.money.parse_amount), as for a cell of a file.
    assert errors[(1, "利息金额（元）")] == (
        "“1E+400”是科学计数法，请填写完整的数字（最多14位整数、两位小数）"
    )
    assert errors[(2, "利息金额（元）")] == (
        "“999999999999999999999999999999…”不是有效的金额（请只填数字，可带千分位和两位小数）"
    )  # a 5,000-digit number is not echoed whole
    assert errors[(3, "利息金额（元）")] == (
        "金额“99999999999999999.99”超过14位整数（最大99,999,999,999,999.99元），请核对单位和位数"
    )
    assert errors[(4, "利息金额（元）")] == "应为文本或数字，不能是对象"
    assert errors[(5, "结息日期")] == "应为YYYY-MM-DD格式的日期，不能是数字"
    assert errors[(6, "贷款合同编号")] == "应为文本，不能是数组"
    assert errors[(7, "是否逾期利息")] == "“maybe”应填“是”或“否”"
    assert errors[(8, "利息金额（元）")] == "应为文本或数字，不能是true/false"
    assert errors[(9, "贷款合同编号")] == "超过5000个字符"
    assert errors[(10, "surprise")] == "未知字段“surprise”"
    assert errors[(11, "")] == "空行：没有任何字段"
    assert errors[(12, "")] == "每行须为JSON对象，不能是str"
    assert not InterestSettlement.objects.exists()


def test_another_banks_records_are_not_this_banks(world, bank):
    other = bank.send("interest", [interest(contract_no="QZ-Y", bank_code="bank-y")])
    assert other.status_code == 422
    assert (
        other.json()["errors"][0]["message"] == "“bank-y”是其他银行的数据，本行只能导入本行的记录"
    )
    loan_y = world["loan_y"]
    assert bank.get(f"/loans/{loan_y.public_id}").status_code == 404
    assert bank.get(f"/loans/{world['loan'].public_id}").status_code == 200
    bank_y = Bank(make_token(world["clerk_y"], name="Y系统"))
    saved = bank_y.send("interest", [interest(contract_no="QZ-Y")])
    assert saved.status_code == 201
    assert bank.get(f"/batches/{saved.json()['id']}").status_code == 404
    assert bank_y.get(f"/batches/{saved.json()['id']}").json()["created"] == 1
    # Keys are each bank's own: bank X may use the key bank Y used.
    assert bank.send("interest", [interest()], key="k-1").status_code == 201


def test_a_dry_run_checks_every_row_and_saves_nothing(world, bank):
    answer = bank.send("interest", [interest()], key=None, dry_run=True)
    assert answer.status_code == 200, answer.content.decode()
    assert answer.json() | {"errors": None} == {
        "id": None,
        "kind": "interest",
        "program": "quzhou",
        "state": "checked",
        "dry_run": True,
        "rows": 1,
        "created": 1,
        "unchanged": 0,
        "updated": 0,
        "error_rows": 0,
        "errors": None,
    }
    assert not InterestSettlement.objects.exists() and not RecordUpload.objects.exists()


def test_repayments_and_overdue_events_and_their_clearing(world, bank):
    paid = bank.send(
        "repayments", [{"contract_no": "QZ-1", "repaid_on": "2026-01-05", "principal": 200000}]
    )
    assert paid.status_code == 201
    assert Repayment.objects.get().principal == Decimal("200000.00")
    over = {
        "contract_no": "QZ-1",
        "started_on": "2026-02-05",
        "overdue_principal": "0",
        "overdue_interest": "350.5",
    }
    assert bank.send("overdue", [over], key="o-1").status_code == 201
    cleared = bank.send("overdue", [over | {"cleared_on": "2026-03-01"}], key="o-2")
    assert cleared.status_code == 201 and cleared.json()["updated"] == 1
    event = world["loan"].overdueevents.get()
    assert (event.overdue_interest, event.cleared_on) == (Decimal("350.50"), dt.date(2026, 3, 1))
    loan = bank.get(f"/loans/{world['loan'].public_id}").json()
    assert loan["repaid"] == "200000.00" and loan["outstanding"] == "800000.00"
    assert loan["overdue_events"] == [
        {
            "started_on": "2026-02-05",
            "overdue_principal": "0.00",
            "overdue_interest": "350.50",
            "cleared_on": "2026-03-01",
        }
    ]


def test_post_loan_reports_go_through_the_importer_and_notify_once_per_batch(
    world, bank, mailoutbox, django_capture_on_commit_callbacks
):
    """Changjiang 第十条: the lending bank's post-loan reports, in the program that has them (not Quzhou's)."""
    from review.models import Notification

    changjiang = version("changjiang")
    LoanFactory(
        program_version=changjiang,
        bank=world["bank_x"],
        enterprise=world["enterprise"],
        contract_no="CJ-1",
        disbursement_date=dt.date(2025, 1, 6),
        maturity_date=dt.date(2027, 1, 5),
    )
    staff = UserFactory(
        username="cj-staff",
        role=Role.BUREAU_STAFF,
        program=changjiang.program,
        email="s@example.cn",
    )
    quzhou_staff = UserFactory(
        username="qz-staff", role=Role.BUREAU_STAFF, program=world["program"]
    )
    report = {
        "contract_no": "CJ-1",
        "year": 2025,
        "quarter": 4,
        "assessment": "watch",
        "operations": "经营正常，订单下降",
        "risks": "应收账款增加，已加强催收",
    }
    # Quzhou's plan has no post-loan reports: its kind takes no such batch (KindSpec.upload_kinds).
    refused = bank.send("reports", [report | {"contract_no": "QZ-1"}], key="r-0")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert "贷后管理报告" in refused.json()["detail"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = bank.send(
            "reports",
            [report, report | {"quarter": 3, "assessment": "正常"}],
            key="r-1",
            program="changjiang",
        )
    assert answer.status_code == 201, answer.content
    # 第十条 通报: one notice for the batch, naming the report that needs attention, to Changjiang's bureau only.
    notice = Notification.objects.get(user=staff)
    assert "2" in notice.message and "X银行" in notice.message
    assert not Notification.objects.filter(user=quzhou_staff).exists()
    assert (
        len(mailoutbox) == 1
        and "CJ-1" in mailoutbox[0].body
        and "应收账款增加" in mailoutbox[0].body
    )
    assert list(
        PostLoanReport.objects.order_by("quarter").values_list("quarter", "status", "filed_by")
    ) == [
        (3, "normal", world["clerk_x"].pk),
        (4, "watch", world["clerk_x"].pk),
    ]
    assert AuditEntry.objects.filter(action="loans.post_loan_report.filed").count() == 2
    future = bank.send(
        "reports", [report | {"year": 2026, "quarter": 2}], key="r-2", program="changjiang"
    )
    assert future.json()["errors"][0] | {"row": 1} == {
        "row": 1,
        "column": "季度",
        "field": "quarter",
        "message": "不能报送将来季度的贷后管理情况",
    }
    changed = bank.send(
        "reports", [report | {"assessment": "risk"}], key="r-3", program="changjiang"
    )
    assert "不会覆盖" in changed.json()["errors"][0]["message"]
    assert PostLoanReport.objects.count() == 2
    assert Notification.objects.filter(user=staff).count() == 1
