"""Every file of the hostile corpus is refused with a reason, quickly and in bounded memory, on both upload paths.

The corpus (tests/data/hostile/, written by tests/data/make_hostile.py) holds
renamed executables, HTML and SVG with script, zip, entity and decompression
bombs, 16,384-column sheets and CSVs, formula sheets and hostile file names.
Each file goes through

- the evidence gate (`check_upload`: PDF, JPEG or PNG by content), and
- the bank-records importer (`loans.importer`, the engine of the web upload and
  `manage.py import_records`), which is where a spreadsheet is really opened.

Time and memory are measured in a forked child (wall clock, and the growth of
its resident set from `ru_maxrss`, which counts what C and Rust readers allocate
and tracemalloc does not see), under an address-space limit as a safety net.
"""

from __future__ import annotations

import ast
import os
import pickle
import resource
import signal
import time
import tracemalloc
from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kedaitong.fields import UploadTo
from kedaitong.models import AuditEntry
from kedaitong.uploads import EvidenceFileField, check_upload, display_name
from loans.importer import context_for, run_import
from loans.importer.engine import check_headers, kinds
from loans.importer.reader import FileRefused, read_table
from loans.models import InterestSettlement, Loan, OverdueEvent, RecordUpload, Repayment

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
INDEX = [
    (HOSTILE / stored, ast.literal_eval(name))
    for stored, name in (
        line.split("\t", 1)
        for line in (HOSTILE / "INDEX.tsv").read_text(encoding="utf-8").splitlines()
    )
]


class EvidenceForm(forms.Form):
    note = forms.CharField()
    evidence = EvidenceFileField()


def test_the_corpus_has_at_least_fifty_files():
    assert len(INDEX) >= 50
    assert all(path.exists() for path, _ in INDEX)


@pytest.mark.parametrize(("path", "name"), INDEX, ids=[p.name for p, _ in INDEX])
def test_each_hostile_file_is_refused_with_a_reason_in_time_and_memory(path, name):
    upload = SimpleUploadedFile(name.replace("\x00", ""), path.read_bytes())
    tracemalloc.start()
    # CPU seconds, not wall time: on a machine shared with other test runs (xdist, CI) the
    # wall clock measures the load; a hostile file's cost is the work it makes us do.
    started = time.process_time()
    with pytest.raises(ValidationError) as excinfo:
        check_upload(upload)
    elapsed = time.process_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert excinfo.value.code in {"bad_type", "bad_image", "empty", "too_large"}
    assert str(excinfo.value.messages[0])
    assert elapsed < 5
    assert peak < 200 * 1024 * 1024


def test_a_form_refuses_the_file_and_keeps_what_was_typed():
    path, name = next((p, n) for p, n in INDEX if n == "logo.svg")
    form = EvidenceForm(
        data={"note": "情况说明"}, files={"evidence": SimpleUploadedFile(name, path.read_bytes())}
    )
    assert not form.is_valid()
    assert "evidence" in form.errors and form["note"].value() == "情况说明"


@pytest.mark.parametrize("name", [n for _, n in INDEX])
def test_hostile_names_never_reach_the_disk(name):
    stored = UploadTo("evidence")(None, name)
    assert (
        stored.startswith("evidence/")
        and ".." not in stored
        and "\n" not in stored
        and "<" not in stored
    )
    shown = display_name(name)
    assert "/" not in shown and len(shown) <= 200 and all(ch >= " " for ch in shown)


# --- measured in a child process ---------------------------------------------------------------------

MB = 1024 * 1024
SECONDS, MEMORY = 5, 200 * MB


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def in_child(fn, *args):
    """Run fn(*args) in a forked child: (its picklable result, CPU seconds, bytes its resident set grew by).

    CPU seconds rather than wall time: the wall clock of a loaded machine measures the load.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            room = (
                _status_kb("VmSize") * 1024 + 2 * MEMORY
            )  # an allocation far past the budget fails here
            resource.setrlimit(resource.RLIMIT_AS, (room, room))
            signal.alarm(30)
            before = _status_kb("VmRSS") * 1024
            started = time.process_time()
            outcome = fn(*args)
            elapsed = time.process_time() - started
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
            payload = pickle.dumps((outcome, elapsed, grown))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
            payload = pickle.dumps((("crashed", repr(exc)[:500]), 0.0, 0))
        with os.fdopen(write_end, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as source:
        payload = source.read()
    os.waitpid(pid, 0)
    return pickle.loads(payload)  # noqa: S301 - our own child's bytes


def through_the_gate(data: bytes, name: str) -> tuple[str, str]:
    try:
        check_upload(SimpleUploadedFile(name.replace("\x00", ""), data))
    except ValidationError as exc:
        return str(exc.code), str(exc.messages[0])
    return "accepted", ""


def through_the_reader(data: bytes, name: str) -> tuple[str, list[str]]:
    """What the importer does before it touches the database: read the table, check the header."""
    try:
        table = read_table(data, name)
    except FileRefused as exc:
        return "refused", exc.problems
    return "read", [e.message for e in check_headers(table, kinds()["interest"])]


def test_the_child_measures_what_it_allocates():
    _, _, small = in_child(len, b"x")
    (_, size), _, grown = in_child(lambda: ("ok", len(bytearray(300 * MB))))
    assert size == 300 * MB and small < 50 * MB
    assert grown >= 250 * MB  # C allocations, which tracemalloc would not see in the parent
    (outcome, _), _, _ = in_child(lambda: bytearray(600 * MB))
    assert outcome == "crashed"  # past the address-space limit


@pytest.mark.parametrize(("path", "name"), INDEX, ids=[p.name for p in (p for p, _ in INDEX)])
def test_the_evidence_gate_refuses_each_file_within_5_s_and_200_mb_measured_in_a_child(path, name):
    (code, message), elapsed, grown = in_child(through_the_gate, path.read_bytes(), name)
    assert code in {"bad_type", "bad_image", "empty", "too_large"}, (name, code, message)
    assert message
    assert elapsed < SECONDS and grown < MEMORY, (name, elapsed, grown // MB)


@pytest.mark.parametrize(("path", "name"), INDEX, ids=[p.name for p in (p for p, _ in INDEX)])
def test_the_importer_refuses_each_file_with_a_reason_and_saves_nothing(path, name, cast):
    data = path.read_bytes()
    (outcome, problems), elapsed, grown = in_child(through_the_reader, data, name)
    assert outcome in {"refused", "read"}, (name, outcome, problems)
    assert elapsed < SECONDS and grown < MEMORY, (name, elapsed, grown // MB)
    # The real engine, as a bank clerk's upload: refused, with the reason, and nothing saved.
    context = context_for(kind="interest", program=cast.changjiang, actor=cast.bank_x_user)
    records = (
        Loan.objects.count(),
        Repayment.objects.count(),
        InterestSettlement.objects.count(),
        OverdueEvent.objects.count(),
    )
    started = time.process_time()  # CPU seconds, as in_child counts them
    result = run_import(
        kind="interest", data=data, filename=name, context=context, commit=True, source="web"
    )
    assert time.process_time() - started < SECONDS
    assert not result.saved and result.errors and all(e.message for e in result.errors), name
    if outcome == "refused":
        assert [
            e.message for e in result.errors
        ] == problems  # the reader's reason is what the clerk reads
    assert records == (
        Loan.objects.count(),
        Repayment.objects.count(),
        InterestSettlement.objects.count(),
        OverdueEvent.objects.count(),
    )
    assert not AuditEntry.objects.filter(action="loans.upload.saved").exists()
    upload = (
        RecordUpload.objects.get()
    )  # kept as a refused attempt (who tried what), pointing at nothing
    assert (
        upload.state == RecordUpload.State.REFUSED
        and not upload.created_ids
        and upload.saved_at is None
    )
    assert upload.original_name == display_name(name)
    assert upload.file.name.startswith("imports/") and upload.file.name.rsplit("/", 1)[
        1
    ].startswith("interest")
    assert (
        ".." not in upload.file.name
        and "\x00" not in upload.file.name
        and len(upload.file.name) < 120
    )


def test_the_corpus_holds_fifty_inputs_for_the_importer_and_the_hostile_names():
    tables = [name for _, name in INDEX if name.lower().endswith((".xlsx", ".csv"))]
    assert len(tables) >= 30
    names = [name for _, name in INDEX]
    assert any(".." in n and "/" in n for n in names) and any(
        "\\" in n for n in names
    )  # path traversal, both separators
    assert any("\x00" in n for n in names) and any(len(n) > 255 for n in names)
    assert any("\u202e" in n for n in names) and any(
        "\u2066" in n for n in names
    )  # right-to-left override, isolate
    assert len(INDEX) >= 75


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.parametrize("name", [n for _, n in INDEX if any(ch in n for ch in BIDI)])
def test_a_right_to_left_override_cannot_disguise_the_extension(name):
    """invoice\u202excod.exe.csv shows as invoice…exe.docx; the name shown and sent keeps no direction controls."""
    assert not any(ch in display_name(name) for ch in BIDI)


@pytest.mark.django_db
def test_hostile_names_through_the_web_upload_of_bank_records(client, cast):
    client.force_login(cast.bank_x_user)
    for name in [
        "../../../etc/cron.d/x.csv",
        "..\\..\\windows\\x.csv",
        "invoice\u202excod.exe.csv",
        "c" * 300 + ".csv",
    ]:
        upload = SimpleUploadedFile(name, "贷款合同编号\r\n".encode())
        response = client.post(
            "/loans/uploads/new/",
            {"kind": "interest", "program": cast.changjiang.pk, "file": upload},
        )
        assert response.status_code == 302, name
        record = RecordUpload.objects.order_by("-pk").first()
        assert (
            "/" not in record.original_name
            and "\\" not in record.original_name
            and len(record.original_name) <= 200
        )
        assert not any(ch in record.original_name for ch in BIDI)
        assert (
            record.file.name.startswith("imports/")
            and ".." not in record.file.name
            and "cron" not in record.file.name
        )


@pytest.mark.django_db
def test_hostile_names_through_the_web_upload_of_evidence(client, cast):
    from applications.models import Qualification

    client.force_login(cast.applicant)
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    for i, name in enumerate(
        [
            "../../../etc/passwd.pdf",
            "..\\..\\boot.ini.pdf",
            "cert\u202efdp.exe.pdf",
            "d" * 300 + ".pdf",
        ]
    ):
        response = client.post(
            "/enterprise/qualifications/",
            {
                "kind": "high_tech",
                "number": f"GR{i}",
                "valid_until": "2027-12-31",
                "evidence": SimpleUploadedFile(name, pdf),
            },
        )
        assert response.status_code == 302, name
        q = Qualification.objects.get(number=f"GR{i}")
        assert (
            "/" not in q.evidence_name
            and "\\" not in q.evidence_name
            and len(q.evidence_name) <= 200
        )
        assert not any(ch in q.evidence_name for ch in BIDI)
        assert q.evidence.name.startswith("qualifications/")
        assert (
            ".." not in q.evidence.name
            and q.evidence.name.endswith(".pdf")
            and "passwd" not in q.evidence.name
        )


# --- issue 16: amounts, NUL bytes, and the LPR upload through the same reader -----------------------


def _stored(name: str) -> bytes:
    return next(path for path, n in INDEX if n == name).read_bytes()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "reasons"),
    [
        ("huge-amounts.csv", ["科学计数法", "超过14位整数", "不是有效的金额", "不是有效的金额"]),
        ("huge-amounts.xlsx", ["超过14位整数"]),
    ],
)
def test_amounts_too_large_are_row_errors_in_chinese_not_a_500(cast, name, reasons):
    """`1e30` in an amount cell once raised a decimal signal (a 500, the upload left "being checked")."""
    context = context_for(kind="interest", program=cast.changjiang, actor=cast.bank_x_user)
    result = run_import(
        kind="interest", data=_stored(name), filename=name, context=context, commit=True
    )
    amount_errors = [e.message for e in result.errors if e.column == "利息金额（元）"]
    assert len(amount_errors) == len(reasons)
    assert all(r in m for r, m in zip(reasons, amount_errors, strict=True)), amount_errors
    assert not result.saved and not InterestSettlement.objects.exists()


@pytest.mark.django_db
def test_huge_amounts_through_the_web_upload_leave_a_refused_upload_with_its_rows(client, cast):
    client.force_login(cast.bank_x_user)
    response = client.post(
        "/loans/uploads/new/",
        {
            "kind": "interest",
            "program": cast.changjiang.pk,
            "file": SimpleUploadedFile("huge-amounts.csv", _stored("huge-amounts.csv")),
        },
    )
    assert response.status_code == 302
    upload = RecordUpload.objects.get()
    assert upload.state == RecordUpload.State.REFUSED  # not "being checked" for ever
    page = client.get(response["Location"])
    assert page.status_code == 200 and "超过14位整数" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["nul-after-64k.csv", "nul-in-cell.xlsx"])
def test_a_nul_byte_anywhere_in_a_table_never_reaches_the_database(cast, name):
    """PostgreSQL refuses NUL in text (a 500); the reader or the cell refuses it with a reason."""
    context = context_for(kind="interest", program=cast.changjiang, actor=cast.bank_x_user)
    result = run_import(
        kind="interest", data=_stored(name), filename=name, context=context, commit=True
    )
    assert not result.saved and result.errors
    assert any("空字符" in e.message or "无法读取" in e.message for e in result.errors), [
        e.message for e in result.errors
    ][:3]
    upload = RecordUpload.objects.get()
    assert all("\x00" not in e["message"] for e in upload.errors)


def through_the_lpr_import(data: bytes, name: str) -> tuple[str, list[str]]:
    """The LPR upload's reading step (issue 16 item 13): the importer's reader, not a reader of its own."""
    import io

    from subsidy.lpr_import import LPRImportError, read_rows

    try:
        rows = read_rows(io.BytesIO(data), name)
    except LPRImportError as exc:
        return "refused", exc.problems
    return "read", [str(len(rows))]


@pytest.mark.parametrize(("path", "name"), INDEX, ids=[p.name for p in (p for p, _ in INDEX)])
def test_the_lpr_upload_refuses_each_file_with_the_readers_reason_in_time_and_memory(
    path, name, db
):
    import io

    from subsidy.lpr_import import LPRImportError, import_lpr
    from subsidy.models import LPRRate
    from tests.factories import UserFactory

    data = path.read_bytes()
    (outcome, problems), elapsed, grown = in_child(through_the_lpr_import, data, name)
    assert outcome in {"refused", "read"}, (name, outcome, problems)
    assert elapsed < SECONDS and grown < MEMORY, (name, elapsed, grown // MB)
    before = LPRRate.objects.count()
    admin = UserFactory(username="lpr-admin", role="admin")
    with pytest.raises(LPRImportError) as excinfo:
        import_lpr(actor=admin, upload=io.BytesIO(data), filename=name)
    assert excinfo.value.problems and all(excinfo.value.problems)
    if outcome == "refused":
        assert (
            excinfo.value.problems == problems
        )  # the reader's words, as the bank upload gives them
    assert LPRRate.objects.count() == before


@pytest.mark.django_db
def test_the_lpr_upload_refuses_a_zip_bomb_and_a_doctype_as_the_bank_upload_does(client):
    from tests.factories import UserFactory

    admin = UserFactory(username="lpr-admin", role="admin")
    client.force_login(admin)
    for name, reason in (("zip-bomb.xlsx", "压缩"), ("entity-bomb.xlsx", "DOCTYPE")):
        response = client.post(
            "/subsidy/lpr/import/", {"file": SimpleUploadedFile(name, _stored(name))}
        )
        assert response.status_code == 400 and reason in response.content.decode(), name


# --- issue 16: files that read well but would bend the money ------------------------------------------


@pytest.fixture
def quzhou_loan(db):  # type: ignore[no-untyped-def]
    """A Quzhou loan of 1,000,000 yuan at 3.00% (2025-03-01 to 2026-03-01) at bank Q, and its clerk."""
    import datetime as dt
    from decimal import Decimal

    from applications.models import ProgramVersion
    from kedaitong.roles import Role
    from tests.factories import BankAgreementFactory, BankFactory, LoanFactory, UserFactory

    version = ProgramVersion.objects.get(program__code="quzhou", code="2023")
    bank = BankFactory(code="bank-q", name="Q银行")
    BankAgreementFactory(
        bank=bank,
        program=version.program,
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    loan = LoanFactory(
        program_version=version,
        bank=bank,
        contract_no="QZ-H-1",
        disbursement_date=dt.date(2025, 3, 1),
        maturity_date=dt.date(2026, 3, 1),
        principal=Decimal("1000000.00"),
        annual_rate=Decimal("3.0000"),
        lpr_at_pricing=Decimal("3.1000"),
    )
    return loan, UserFactory(username="q-clerk", role=Role.BANK, bank=bank)


def _upload_interest(client, loan, clerk, rows):  # type: ignore[no-untyped-def]
    from tests.loans.sheets import INTEREST, csv_bytes

    client.force_login(clerk)
    response = client.post(
        "/loans/uploads/new/",
        {
            "kind": "interest",
            "program": loan.program_version.program_id,
            "file": SimpleUploadedFile("结息.csv", csv_bytes(INTEREST, rows)),
        },
    )
    assert response.status_code == 302
    return RecordUpload.objects.order_by("-pk").first()


def test_an_implausible_interest_file_is_refused_row_by_row(client, quzhou_loan):
    """A 900,000 quarter on 1,000,000 at 3% (at most 7,659.17), and two overlapping periods."""
    loan, clerk = quzhou_loan
    upload = _upload_interest(
        client,
        loan,
        clerk,
        [
            ["QZ-H-1", "bank-q", "2025-12-21", "2025-09-21", "2025-12-20", "900,000.00", "否"],
            ["QZ-H-1", "bank-q", "2025-06-21", "2025-03-21", "2025-06-20", "7,000.00", "否"],
            ["QZ-H-1", "bank-q", "2025-07-21", "2025-06-01", "2025-07-20", "2,000.00", "否"],
        ],
    )
    assert upload.state == RecordUpload.State.REFUSED
    assert [(e["row"], e["column"]) for e in upload.errors] == [
        (2, "利息金额（元）"),
        (4, "计息起始日"),
    ]
    assert "7,659.17" in upload.errors[0]["message"] and "重叠" in upload.errors[1]["message"]
    assert not InterestSettlement.objects.exists()


def test_an_upload_after_the_audit_cannot_reach_the_audited_inputs(client, quzhou_loan):
    """The freeze was a pre_save signal the upload's bulk_create never sent."""
    import datetime as dt
    from decimal import Decimal

    from subsidy.services import run_audit, run_commit
    from tests.factories import UserFactory

    loan, clerk = quzhou_loan
    InterestSettlement.objects.create(
        loan=loan,
        settled_on=dt.date(2025, 6, 21),
        period_start=dt.date(2025, 3, 21),
        period_end=dt.date(2025, 6, 20),
        amount=Decimal("7000.00"),
    )
    program = loan.program_version.program
    staff = UserFactory(username="qz-staff", role="bureau_staff", program=program)
    auditor = UserFactory(username="qz-auditor", role="auditor", program=program)
    run = run_commit(actor=staff, program=program, year=2025, budget="100000")
    run_audit(
        actor=auditor,
        run=run,
        opinion=SimpleUploadedFile("o.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    )
    upload = _upload_interest(
        client,
        loan,
        clerk,
        [["QZ-H-1", "bank-q", "2025-09-21", "2025-06-21", "2025-09-20", "7,000.00", "否"]],
    )
    assert upload.state == RecordUpload.State.REFUSED
    assert "已进入2025年贴息批次" in upload.errors[0]["message"]
    assert InterestSettlement.objects.count() == 1
