"""The importer: every row checked, all or nothing, idempotent, scoped to the bank, and the bad-input list of issue 5."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from applications.models import Application, Enterprise, ProgramListing
from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from loans.importer import ImportNotAllowed, context_for, run_import, template_bytes
from loans.importer.reader import FileRefused, read_table
from loans.models import (
    Bank,
    BankAgreement,
    InterestSettlement,
    Loan,
    OverdueEvent,
    RecordUpload,
    Repayment,
)
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    LoanFactory,
    UserFactory,
    granted_after_publicity,
    version,
)
from tests.loans import sheets
from tests.loans.sheets import DISBURSEMENTS, INTEREST, OVERDUE, REPAYMENTS, csv_bytes, xlsx

pytestmark = pytest.mark.django_db
HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"


@pytest.fixture
def world(db):
    """Quzhou: bank X (agreement in force) with one loan to a listed enterprise; bank Y with another."""
    quzhou = version("quzhou")
    bank_x, bank_y = (
        BankFactory(code="bank-x", name="X银行"),
        BankFactory(code="bank-y", name="Y银行"),
    )
    for bank in (bank_x, bank_y):
        BankAgreement.objects.create(
            bank=bank,
            program=quzhou.program,
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2026, 12, 31),
        )
    enterprise = EnterpriseFactory(name="衢州甲科技有限公司")
    ProgramListing.objects.create(
        program=quzhou.program,
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        listed_on=dt.date(2024, 1, 1),
    )
    loan = LoanFactory(
        program_version=quzhou,
        bank=bank_x,
        enterprise=enterprise,
        contract_no="QZ-1",
        disbursement_date=dt.date(2025, 1, 6),
        maturity_date=dt.date(2026, 1, 5),
        annual_rate=Decimal("3.0"),
    )
    LoanFactory(
        program_version=quzhou,
        bank=bank_y,
        enterprise=enterprise,
        contract_no="QZ-Y",
        disbursement_date=dt.date(2025, 1, 6),
        maturity_date=dt.date(2026, 1, 5),
        annual_rate=Decimal("3.0"),
    )
    bank_user = UserFactory(username="bankx", role=Role.BANK, bank=bank_x)
    return {
        "program": quzhou.program,
        "bank_x": bank_x,
        "bank_y": bank_y,
        "enterprise": enterprise,
        "loan": loan,
        "bank_user": bank_user,
    }


def run(world, kind, data, *, filename="f.xlsx", user="bank_user", commit=True):
    actor = world[user] if user else None
    context = context_for(kind=kind, program=world["program"], actor=actor)
    return run_import(kind=kind, data=data, filename=filename, context=context, commit=commit)


def interest_row(**kw):
    row = {
        "c": "QZ-1",
        "b": "bank-x",
        "s": dt.date(2025, 3, 21),
        "p0": dt.date(2025, 1, 6),
        "p1": dt.date(2025, 3, 20),
        "a": 6150,  # within 1,000,000 × 3% × 74 days ÷ 360 = 6,166.67
        "o": "否",
    }
    row.update(kw)
    return [row["c"], row["b"], row["s"], row["p0"], row["p1"], row["a"], row["o"]]


def test_an_interest_file_is_saved_once_and_again_changes_nothing(world):
    data = xlsx(
        INTEREST,
        [
            interest_row(),
            interest_row(s="2025-06-21", p0="2025-03-21", p1="2025-06-20", a="7,412.50", o="否"),
        ],
    )
    first = run(world, "interest", data)
    assert first.saved and (first.created, first.unchanged) == (2, 0)
    amounts = sorted(InterestSettlement.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("6150.00"), Decimal("7412.50")]
    upload = first.upload
    assert (
        upload.state == RecordUpload.State.SAVED
        and len(upload.checksum) == 64
        and upload.uploaded_by == world["bank_user"]
    )
    assert set(upload.interestsettlements.values_list("pk", flat=True)) == set(
        InterestSettlement.objects.values_list("pk", flat=True)
    )
    assert AuditEntry.objects.filter(action="loans.upload.saved").count() == 1
    second = run(world, "interest", data)
    assert second.saved and (second.created, second.unchanged) == (0, 2)
    assert InterestSettlement.objects.count() == 2


def test_a_changed_value_under_an_existing_key_is_a_row_error_never_an_overwrite(world):
    run(world, "interest", xlsx(INTEREST, [interest_row()]))
    result = run(
        world,
        "interest",
        xlsx(
            INTEREST,
            [interest_row(), interest_row(a="6150.01"), interest_row(p1="2025-03-19", a="6,000")],
        ),
    )
    assert not result.saved
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "计息起始日"),  # row 3 repeats row 2's key
        (4, "计息起始日"),  # row 4's period overlaps the one already recorded (issue 16 item 3)
    ]
    assert "重叠" in result.errors[1].message
    result = run(world, "interest", xlsx(INTEREST, [interest_row(a="6150.01")]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "利息金额（元）")]
    assert "不会覆盖" in result.errors[0].message
    assert InterestSettlement.objects.get().amount == Decimal("6150.00")


def test_every_bad_row_is_reported_and_nothing_is_saved(world):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    rows = [
        interest_row(),  # 2: good
        interest_row(s=tomorrow),  # 3: future settlement date
        interest_row(p0="2025-03-21", p1="2025-06-20", a=-5),  # 4: negative
        interest_row(p0="2025-06-21", p1="2025-09-20", a=0),  # 5: zero
        interest_row(p0="2025-09-21", p1="2025-12-20", a="12.345"),  # 6: three decimals
        interest_row(c="NO-SUCH"),  # 7: unknown contract
        interest_row(c="QZ-Y", b="bank-y"),  # 8: another bank's row
        interest_row(),  # 9: same key as row 2
        interest_row(p0="2025-01-07", o="也许"),  # 10: not 是/否
        interest_row(p0="2025/01/08"),  # 11: not a date format we accept
    ]
    result = run(world, "interest", xlsx(INTEREST, rows))
    got = {(e.row, e.column) for e in result.errors}
    assert got == {
        (3, "结息日期"),
        (4, "利息金额（元）"),
        (5, "利息金额（元）"),
        (6, "利息金额（元）"),
        (7, "贷款合同编号"),
        (8, "银行代码"),
        (9, "计息起始日"),
        (10, "是否逾期利息"),
        (11, "计息起始日"),
    }
    messages = {e.row: e.message for e in result.errors}
    assert (
        "将来" in messages[3]
        and "两位小数" in messages[6]
        and "其他银行" in messages[8]
        and "第2行" in messages[9]
    )
    assert not result.saved and not InterestSettlement.objects.exists()


def test_an_administrator_imports_any_bank_and_a_bank_only_its_own(world):
    data = xlsx(INTEREST, [interest_row(c="QZ-Y", b="bank-y")])
    assert not run(world, "interest", data).saved  # bank X's user
    world["admin"] = UserFactory(username="root", role=Role.ADMIN)
    assert run(world, "interest", data, user="admin").saved


def test_a_bank_user_cannot_import_banks_or_the_list(world):
    with pytest.raises(ImportNotAllowed):
        context_for(kind="banks", program=world["program"], actor=world["bank_user"])
    staff = UserFactory(
        username="cj-staff", role=Role.BUREAU_STAFF, program=version("changjiang").program
    )
    with pytest.raises(ImportNotAllowed):  # another program's bureau
        context_for(kind="enterprises", program=world["program"], actor=staff)


def test_csv_in_gbk_and_utf8_with_thousands_separators(world):
    rows = [interest_row(s="2025-03-21", p0="2025-01-06", p1="2025-03-20", a="1,234.50")]
    for encoding in ("gbk", "utf-8-sig"):
        InterestSettlement.objects.all().delete()
        result = run(
            world, "interest", csv_bytes(INTEREST, rows, encoding=encoding), filename="f.csv"
        )
        assert result.saved, result.errors
        assert InterestSettlement.objects.get().amount == Decimal("1234.50")


def test_missing_headers_are_named_and_extra_columns_allowed(world):
    result = run(
        world,
        "interest",
        xlsx(INTEREST[:4] + ["备注"], [["QZ-1", "bank-x", "2025-03-21", "2025-01-06", "x"]]),
    )
    assert result.errors[0].row == 1
    assert "计息截止日、利息金额（元）、是否逾期利息" in result.errors[0].message
    extra = xlsx([*INTEREST, "备注"], [[*interest_row(), "第一季度"]])
    assert run(world, "interest", extra).saved


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "f.xlsx", "文件为空"),
        (xlsx(INTEREST, []), "f.xlsx", "没有数据行"),
        (b"%PDF-1.4 not a sheet", "records.xlsx", "不是Excel"),
        (b"%PDF-1.4 not a sheet", "records.pdf", "只接受"),
        (b"\x00\x01\x02binary", "f.csv", "二进制"),
        (xlsx(INTEREST, [interest_row()], merge="A1:B1"), "f.xlsx", "合并单元格（A1:B1）"),
    ],
    ids=["empty", "headers-only", "renamed-pdf", "pdf", "binary-csv", "merged-header"],
)
def test_whole_file_refusals(world, data, filename, reason):
    result = run(world, "interest", data, filename=filename)
    assert not result.saved and result.errors[0].row == 0 and reason in result.errors[0].message


def test_a_sheet_with_formulas_is_refused_naming_the_cells(world):
    rows = [interest_row(a="=1000+250")]
    result = run(world, "interest", xlsx(INTEREST, rows))
    assert "公式" in result.errors[0].message and "F2" in result.errors[0].message


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("zip-bomb.xlsx", "压缩"),
        ("entity-bomb.xlsx", "实体"),
        ("external-entity.xlsx", "实体"),
        ("formula-no-cache.xlsx", "公式"),
        ("many-entries.xlsx", "部件"),
        ("16384-columns.xlsx", "列"),
        ("not-a-zip.xlsx", "不是Excel"),
        ("truncated.xlsx", ""),
        ("html-as.xlsx", "不是Excel"),
    ],
)
def test_hostile_spreadsheets_are_refused_before_parsing(name, reason):
    index = dict(
        (eval(n), stored)
        for stored, n in (
            line.split("\t", 1) for line in (HOSTILE / "INDEX.tsv").read_text().splitlines()
        )  # noqa: S307
    )
    with pytest.raises(FileRefused) as excinfo:
        read_table((HOSTILE / index[name]).read_bytes(), name)
    assert reason in excinfo.value.problems[0]


def test_more_rows_than_the_maximum_are_refused(world, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [
        interest_row(p0=dt.date(2025, 1, 6) + dt.timedelta(days=i), p1=dt.date(2025, 3, 20))
        for i in range(4)
    ]
    result = run(world, "interest", xlsx(INTEREST, rows))
    assert "上限" in result.errors[0].message and not InterestSettlement.objects.exists()
    assert (
        "上限"
        in run(world, "interest", csv_bytes(INTEREST, rows), filename="f.csv").errors[0].message
    )


def test_dates_typed_as_excel_dates_or_text(world):
    data = xlsx(
        INTEREST,
        [interest_row(s=dt.datetime(2025, 3, 21), p0="2025-01-06", p1=dt.date(2025, 3, 20))],
    )
    assert run(world, "interest", data).saved


# ── disbursements ──


def disbursement(world, **kw):
    row = {
        "c": "QZ-NEW",
        "b": "bank-x",
        "code": world["enterprise"].credit_code,
        "d": dt.date(2025, 6, 3),
        "m": dt.date(2026, 6, 2),
        "p": "1,000,000.00",
        "r": "3.0",
    }
    row.update(kw)
    signed = row.get("s", row["d"])
    return [row["c"], row["b"], row["code"], signed, row["d"], row["m"], row["p"], row["r"]]


def test_disbursements_open_loans_priced_against_the_lpr(world):
    result = run(world, "disbursements", xlsx(DISBURSEMENTS, [disbursement(world)]))
    assert result.saved, result.errors
    loan = Loan.objects.get(contract_no="QZ-NEW")
    assert (
        loan.lpr_at_pricing == Decimal("3.0000")
        and loan.upload == result.upload
        and loan.principal == Decimal("1000000.00")
    )
    assert AuditEntry.objects.filter(
        action="loans.loan.registered", object_id=str(loan.pk)
    ).exists()
    again = run(world, "disbursements", xlsx(DISBURSEMENTS, [disbursement(world)]))
    assert again.saved and again.unchanged == 1
    changed = run(
        world, "disbursements", xlsx(DISBURSEMENTS, [disbursement(world, p="1000000.01")])
    )
    assert changed.errors[0].column == "放款金额（元）"


def test_an_above_lpr_rate_is_a_row_error(world):
    result = run(world, "disbursements", xlsx(DISBURSEMENTS, [disbursement(world, r="3.05")]))
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "年利率（%）")
    ] and "LPR" in result.errors[0].message


def test_a_cap_broken_only_in_a_later_year_by_rows_of_the_same_file(world):
    """Quzhou 一(五): two loans each under the cap, together over it in 2026 only."""
    Loan.objects.all().delete()
    rows = [
        disbursement(world, c="A", d=dt.date(2025, 7, 1), m=dt.date(2026, 6, 30), p="4,000,000"),
        disbursement(world, c="B", d=dt.date(2025, 12, 1), m=dt.date(2026, 11, 30), p="4,000,000"),
    ]
    result = run(world, "disbursements", xlsx(DISBURSEMENTS, rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "放款金额（元）")]
    assert "2026年" in result.errors[0].message and "2025年" not in result.errors[0].message
    assert not Loan.objects.exists()


def test_a_listed_enterprise_without_a_record_is_created_from_the_list(world):
    code = "91330800MA0000001X"
    from applications.credit_code import check_character

    code = code[:17] + check_character(code[:17])
    ProgramListing.objects.create(
        program=world["program"],
        credit_code=code,
        name="名单内新企业",
        listed_on=dt.date(2025, 1, 1),
    )
    result = run(world, "disbursements", xlsx(DISBURSEMENTS, [disbursement(world, code=code)]))
    assert result.saved, result.errors
    assert Enterprise.objects.get(credit_code=code).name == "名单内新企业"
    unknown = code[:16] + ("1" if code[16] != "1" else "2")
    unknown += check_character(unknown)
    result = run(
        world, "disbursements", xlsx(DISBURSEMENTS, [disbursement(world, c="X2", code=unknown)])
    )
    assert "不在本计划的企业名单" in result.errors[0].message


def test_changjiang_disbursement_follows_the_granted_application(world):
    changjiang = version("changjiang")
    bank = world["bank_x"]
    enterprise = world["enterprise"]
    application = ApplicationFactory(
        enterprise=enterprise, bank=bank, state=Application.State.CREDIT_GRANTED
    )
    world["program"] = changjiang.program
    row = disbursement(world, c="CJ-9", d=dt.date(2025, 11, 3), m=dt.date(2026, 11, 2), r="3.6")
    result = run(world, "disbursements", xlsx(DISBURSEMENTS, [row]))
    assert (
        "尚未" in result.errors[0].message
    )  # credit not publicized: no granted amount yet (第八条)
    granted_after_publicity(application, Decimal("1000000.00"))
    result = run(world, "disbursements", xlsx(DISBURSEMENTS, [row]))
    assert result.saved, result.errors
    assert Loan.objects.get(contract_no="CJ-9").application == application


# ── repayments, overdue, banks, enterprises ──


def test_repayments_cannot_exceed_the_principal(world):
    rows = [
        ["QZ-1", "bank-x", "2025-06-01", "600,000"],
        ["QZ-1", "bank-x", "2025-07-01", "400,000.01"],
    ]
    result = run(world, "repayments", xlsx(REPAYMENTS, rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "归还本金（元）")]
    rows[1][3] = "400,000.00"
    assert run(world, "repayments", xlsx(REPAYMENTS, rows)).saved
    assert Repayment.objects.count() == 2


def test_an_overdue_event_is_recorded_then_cleared_by_the_same_row_with_a_date(world):
    first = run(
        world, "overdue", xlsx(OVERDUE, [["QZ-1", "bank-x", "2025-08-05", "100,000", "0", None]])
    )
    assert first.saved and OverdueEvent.objects.get().cleared_on is None
    cleared = run(
        world,
        "overdue",
        xlsx(OVERDUE, [["QZ-1", "bank-x", "2025-08-05", "100,000", "0", "2025-09-01"]]),
    )
    assert cleared.saved and cleared.updated == 1
    assert OverdueEvent.objects.get().cleared_on == dt.date(2025, 9, 1)
    moved = run(
        world,
        "overdue",
        xlsx(OVERDUE, [["QZ-1", "bank-x", "2025-08-05", "100,000", "0", "2025-09-02"]]),
    )
    assert moved.errors[0].column == "结清日期"
    both_zero = run(
        world, "overdue", xlsx(OVERDUE, [["QZ-1", "bank-x", "2025-10-05", "0", "0", None]])
    )
    assert "都为零" in both_zero.errors[0].message


def test_banks_and_agreements(world):
    world["admin"] = UserFactory(username="root", role=Role.ADMIN)
    rows = [
        ["bank-new", "新银行衢州分行", "2025-01-01", "2027-12-31"],
        ["bank-x", "X银行", "2024-01-01", "2026-12-31"],
    ]
    result = run(world, "banks", xlsx(sheets.BANKS, rows), user="admin")
    assert result.saved and (result.created, result.unchanged) == (1, 1)
    assert BankAgreement.objects.get(bank__code="bank-new").ends_on == dt.date(2027, 12, 31)
    renamed = run(
        world,
        "banks",
        xlsx(sheets.BANKS, [["bank-new", "改名银行", "2025-01-01", "2027-12-31"]]),
        user="admin",
    )
    assert (
        renamed.errors[0].column == "银行名称"
        and Bank.objects.get(code="bank-new").name == "新银行衢州分行"
    )


def test_the_program_list(world):
    staff = UserFactory(username="qz-staff", role=Role.BUREAU_STAFF, program=world["program"])
    world["staff"] = staff
    good = world["enterprise"].credit_code
    rows = [
        [good, world["enterprise"].name, ""],
        ["91330800MA00000000", "坏代码", "市本级"],
        ["", "无代码", "外地"],
    ]
    result = run(world, "enterprises", xlsx(sheets.ENTERPRISES, rows), user="staff")
    assert {(e.row, e.column) for e in result.errors} == {
        (2, "注册地"),
        (3, "统一社会信用代码"),
        (4, "统一社会信用代码"),
        (4, "注册地"),
    }


def test_the_command_line_prints_one_line_per_bad_row_and_exits_non_zero(world, tmp_path):
    path = tmp_path / "interest.xlsx"
    path.write_bytes(xlsx(INTEREST, [interest_row(), interest_row(c="NO-SUCH")]))
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_records", "interest", str(path), "--program", "quzhou", stderr=err)
    assert excinfo.value.returncode == 1
    assert err.getvalue().splitlines() == [
        "第3行 [贷款合同编号]：本行没有合同编号为“NO-SUCH”的贷款（请先导入放款）"
    ]
    assert not InterestSettlement.objects.exists()
    assert RecordUpload.objects.get().state == RecordUpload.State.REFUSED  # the attempt is kept
    path.write_bytes(xlsx(INTEREST, [interest_row()]))
    out = io.StringIO()
    call_command(
        "import_records", "interest", str(path), "--program", "quzhou", "--dry-run", stdout=out
    )
    assert "未保存" in out.getvalue() and not InterestSettlement.objects.exists()
    call_command(
        "import_records",
        "interest",
        str(path),
        "--program",
        "quzhou",
        "--user",
        "bankx",
        stdout=out,
    )
    assert InterestSettlement.objects.get().created_by == world["bank_user"]


@pytest.mark.parametrize(
    "kind", ["banks", "enterprises", "disbursements", "repayments", "interest", "overdue"]
)
def test_each_template_has_the_exact_headers(kind, tmp_path):
    from loans.importer.kinds import KINDS

    table = read_table(template_bytes(kind), "t.xlsx")
    assert table.header == [*KINDS[kind].headers, *KINDS[kind].optional] and table.rows == []
    call_command(
        "import_records", kind, "--template", str(tmp_path / "t.xlsx"), stdout=io.StringIO()
    )
    assert (tmp_path / "t.xlsx").stat().st_size > 0


# ── every upload keeps the rows it created (issue 5, 7) ──


def test_a_large_list_import_records_every_listing_it_created(world, monkeypatch):
    """More rows than one lookup chunk (shrunk to 7 here; 900 in production): every listing is linked to the upload."""
    from applications.credit_code import check_character
    from loans.importer import kinds
    from loans.models import UploadedRecord

    monkeypatch.setattr(kinds, "CHUNK", 7)
    staff = UserFactory(username="qz-staff2", role=Role.BUREAU_STAFF, program=world["program"])
    world["staff"] = staff
    codes = []
    for n in range(25):
        body = f"91330800MA{n:07d}"
        codes.append(body + check_character(body))
    from applications.models import RegistrationPlace

    place = RegistrationPlace.objects.filter(program=world["program"]).first()
    rows = [[code, f"名单企业{i}", place.name if place else ""] for i, code in enumerate(codes)]
    result = run(world, "enterprises", xlsx(sheets.ENTERPRISES, rows), user="staff")
    assert result.saved, result.errors
    listed = set(ProgramListing.objects.filter(credit_code__in=codes).values_list("pk", flat=True))
    assert len(listed) == 25
    linked = set(
        UploadedRecord.objects.filter(upload=result.upload, kind="listings").values_list(
            "object_id", flat=True
        )
    )
    assert linked == listed
    assert RecordUpload.objects.get(pk=result.upload.pk).created_ids == {"listings": 25}
    again = run(world, "enterprises", xlsx(sheets.ENTERPRISES, rows), user="staff")
    assert (
        again.saved
        and again.unchanged == 25
        and not UploadedRecord.objects.filter(upload=again.upload).exists()
    )


def test_banks_enterprises_and_cleared_events_are_linked_to_their_upload(world):
    from applications.credit_code import check_character
    from loans.models import UploadedRecord

    world["admin"] = UserFactory(username="root2", role=Role.ADMIN)
    banks = run(
        world,
        "banks",
        xlsx(sheets.BANKS, [["bank-new", "新银行", "2025-01-01", "2027-12-31"]]),
        user="admin",
    )
    bank = Bank.objects.get(code="bank-new")
    assert set(
        UploadedRecord.objects.filter(upload=banks.upload).values_list("kind", "object_id")
    ) == {("banks", bank.pk), ("agreements", BankAgreement.objects.get(bank=bank).pk)}
    body = "91330800MA0000077"
    code = body + check_character(body)
    ProgramListing.objects.create(
        program=world["program"],
        credit_code=code,
        name="名单内企业乙",
        listed_on=dt.date(2025, 1, 1),
    )
    made = run(
        world, "disbursements", xlsx(DISBURSEMENTS, [disbursement(world, c="QZ-E", code=code)])
    )
    assert made.saved, made.errors
    assert list(
        UploadedRecord.objects.filter(upload=made.upload).values_list("kind", "object_id")
    ) == [("enterprises", Enterprise.objects.get(credit_code=code).pk)]
    run(world, "overdue", xlsx(OVERDUE, [["QZ-1", "bank-x", "2025-08-05", "100,000", "0", None]]))
    cleared = run(
        world,
        "overdue",
        xlsx(OVERDUE, [["QZ-1", "bank-x", "2025-08-05", "100,000", "0", "2025-09-01"]]),
    )
    assert list(
        UploadedRecord.objects.filter(upload=cleared.upload).values_list("kind", "object_id")
    ) == [("cleared", OverdueEvent.objects.get().pk)]


@pytest.mark.django_db
def test_templates_are_named_and_filled_in_chinese(cast, client):
    """Issue 18 item 7: 放款模板.xlsx, not disbursements-template.xlsx (an ASCII name only as the fallback of
    a client that reads no UTF-8 name), and no English in any template's cells (no bank-code placeholder)."""
    import re
    from urllib.parse import quote

    from openpyxl import load_workbook

    from loans.importer.kinds import KINDS

    client.force_login(cast.admin)
    for kind, spec in KINDS.items():
        response = client.get(f"/loans/uploads/templates/{kind}.xlsx")
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            f"attachment; filename=\"{kind}-template.xlsx\"; filename*=UTF-8''"
            + quote(f"{spec.label}模板.xlsx")
        )
        book = load_workbook(io.BytesIO(response.content))
        cells = [
            str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v
        ]
        # Latin only where it belongs: Excel, LPR, and codes with a digit or a hyphen (bank-icbc-xs,
        # the credit code 91330800MA2XXXXXXX, HT-2026-001).
        words = {
            w
            for c in cells
            for w in re.findall(r"[A-Za-z]{3,}", re.sub(r"[\w]*[\d-][\w-]*", " ", c))
        } - {"Excel", "LPR"}
        assert not words, (kind, words)
        if kind == "reports":
            assert any("HT-2026-001，本行银行代码" in c for c in cells)  # the example row
    client.force_login(cast.bank_x_user)
    page = client.get("/loans/uploads/").content.decode()
    assert "放款模板（Excel）" in page and "-template.xlsx" not in page
