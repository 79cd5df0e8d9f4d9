"""The one importer behind the web upload and `manage.py import_records`.

1. Read the file safely (`reader.read_table`) and check the exact headers. A batch
   sent to the API (`api/batches.py`) arrives as a `Table` already, with the same
   column names, and enters here.
2. Inside one transaction, with the program row locked: validate every row
   against the database and the earlier rows of the file (`kinds.*.validate`),
   collecting every problem with its row number and column.
3. Any problem, or a dry run: nothing is written (the transaction holds no
   writes). Otherwise every row is saved in that same transaction with the
   upload record (file, who, when, checksum) that the created rows point to.
   A process killed anywhere before the commit leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from applications import lifecycle
from applications.models import Program
from kedaitong.audit import log_action
from kedaitong.roles import Role
from loans.importer.reader import FileRefused, Table, read_table

if TYPE_CHECKING:
    from kedaitong.models import User
    from loans.models import Bank, RecordUpload

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row number (the header is row 1); 0 for the file as a whole
    column: str
    message: str

    def line(self) -> str:
        if self.row == 0:
            return f"文件：{self.message}"
        return f"第{self.row}行 [{self.column}]：{self.message}"

    def as_dict(self) -> dict[str, Any]:
        # A cell's text quoted in a message may carry control characters (a NUL, which
        # PostgreSQL's jsonb refuses): they are dropped from what is stored and shown.
        return {
            "row": self.row,
            "column": printable(self.column),
            "message": printable(self.message),
        }


def printable(text: str) -> str:
    return "".join(ch for ch in str(text) if ch.isprintable() or ch == " ")


@dataclass
class Plan:
    """What a valid file would do: `saver` writes it, given the upload record."""

    rows: int = 0
    created: int = 0
    unchanged: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    saver: Callable[[RecordUpload | None], dict[str, list[int]]] | None = None


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    saved: bool = False
    upload: RecordUpload | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


@dataclass
class ImportContext:
    """Who imports what: `bank` narrows the rows to one bank (a bank user's own)."""

    program: Program
    actor: User | None = None
    bank: Bank | None = None
    progress: Progress | None = None
    via: str = ""  # an API batch: the token's name, kept on the upload record

    def tick(self, done: int, total: int) -> None:
        if self.progress is not None and (done % 1000 == 0 or done == total):
            self.progress(done, total)


class ImportNotAllowed(PermissionError):
    pass


def kinds() -> dict[str, Any]:
    from loans.importer import kinds as k

    return k.KINDS


def context_for(
    *, kind: str, program: Program, actor: User | None, progress: Progress | None = None
) -> ImportContext:
    """The scope of an import by `actor` (None: the command line as the system, every bank).

    The program's kind names the record kinds it takes (`KindSpec.upload_kinds`: the enterprise list is a
    program-list kind's, Quzhou 一(一)).
    """
    from kedaitong import programs

    spec = kinds()[kind]
    if kind not in programs.spec(program).upload_kinds:
        raise ImportNotAllowed(f"{program.name}不接受{spec.label}")
    if actor is None:
        if Role.ADMIN not in spec.roles:  # post-loan reports are the lending bank's own (第十条)
            raise ImportNotAllowed(f"{spec.label}须以银行用户的名义导入（--user）")
        return ImportContext(program=program, progress=progress)
    role = actor.effective_role
    if role not in spec.roles:
        raise ImportNotAllowed(f"{actor}无权导入{spec.label}")
    if role == Role.BANK and not actor.bank_id:
        raise ImportNotAllowed(f"{actor}没有所属银行")
    if role == Role.BANK:
        return ImportContext(program=program, actor=actor, bank=actor.bank, progress=progress)
    if role != Role.ADMIN and actor.program_id != program.pk:
        raise ImportNotAllowed(f"{actor}只能导入本计划的数据")
    return ImportContext(program=program, actor=actor, progress=progress)


def check_headers(table: Table, spec: Any) -> list[RowError]:
    present = [h.strip() for h in table.header]
    missing = [h for h in spec.headers if h not in present]
    errors = []
    if missing:
        errors.append(
            RowError(1, "表头", f"缺少表头：{'、'.join(missing)}（表头须与模板完全一致）")
        )
    duplicated = sorted({h for h in present if h and present.count(h) > 1})
    if duplicated:
        errors.append(RowError(1, "表头", f"表头重复：{'、'.join(duplicated)}"))
    return errors


def run_import(
    *,
    kind: str,
    data: bytes,
    filename: str,
    context: ImportContext,
    commit: bool,
    source: str = "command",
    upload: RecordUpload | None = None,
    table: Table | None = None,
    problems: list[RowError] | None = None,
) -> ImportResult:
    """Check (and with `commit`, save) one file. Saving happens only when every row is valid.

    `table`: the rows already read (an API batch); `data` is then what is kept as the upload's file.
    `problems`: what the door found before the rows reached here (a JSON value of the wrong type);
    they refuse the batch like any row error, and the engine's own complaint about the same cell
    (empty, since the door left it out) is not repeated.
    """
    from loans.models import UploadedRecord

    spec = kinds()[kind]
    result = ImportResult(kind=kind)
    if table is None:
        try:
            table = read_table(data, filename)
        except FileRefused as exc:
            result.errors = [RowError(0, "", p) for p in exc.problems]
            return _finish(result, data, filename, context, commit, source, upload)
    result.rows = sum(1 for r in table.rows if any(c is not None for c in r))
    result.errors = check_headers(table, spec)
    if not result.errors and result.rows == 0:
        result.errors = [RowError(0, "", "文件中没有数据行（第一行为表头，数据从第二行开始）")]
    if result.errors:
        return _finish(result, data, filename, context, commit, source, upload)
    with transaction.atomic():
        lifecycle.lock_program(context.program.pk)
        plan = spec.validate(table, context)
        result.rows, result.created, result.unchanged, result.updated = (
            plan.rows,
            plan.created,
            plan.unchanged,
            plan.updated,
        )
        found = list(problems or [])
        named = {(e.row, e.column) for e in found}
        found += [e for e in plan.errors if (e.row, e.column) not in named]
        result.errors = sorted(found, key=lambda e: (e.row, e.column))
        if result.errors or not commit:
            return _finish(result, data, filename, context, commit, source, upload)
        try:
            with transaction.atomic():
                record = upload or _new_upload(kind, data, filename, context, source)
                created_ids = plan.saver(record) if plan.saver else {}
        except ValidationError as exc:
            # A guard refused the write itself (subsidy.guards: an audited run's inputs), which the row
            # checks should have caught first; nothing of this file is saved and the reason is shown.
            result.errors = [RowError(0, "", message) for message in exc.messages]
            return _finish(result, data, filename, context, commit, source, upload)
        UploadedRecord.objects.bulk_create(
            (
                UploadedRecord(upload=record, kind=name, object_id=pk)
                for name, ids in created_ids.items()
                for pk in ids
            ),
            batch_size=2000,
        )
        record.mark_saved()
        record.created_ids = {name: len(ids) for name, ids in created_ids.items() if ids}
        _counts(record, result)
        record.save()
        log_action(
            actor=context.actor,
            action="loans.upload.saved",
            obj=record,
            data={
                "kind": kind,
                "rows": result.rows,
                "created": result.created,
                "unchanged": result.unchanged,
                "updated": result.updated,
                "checksum": record.checksum,
                "file": record.original_name,
            },
        )
        result.saved, result.upload = True, record
    return result


def _finish(
    result: ImportResult,
    data: bytes,
    filename: str,
    context: ImportContext,
    commit: bool,
    source: str,
    upload: RecordUpload | None,
) -> ImportResult:
    """A check without saving: a refused or previewed web upload keeps its record; a dry run keeps nothing."""

    if upload is not None:
        if result.errors:
            upload.refuse()
        else:
            upload.pass_check()
        _counts(upload, result)
        upload.save()
        result.upload = upload
    elif commit and result.errors:
        # A refused command-line import is kept too (who tried what), in its own small transaction.
        with transaction.atomic():
            record = _new_upload(result.kind, data, filename, context, source)
            record.refuse()
            _counts(record, result)
            record.save()
            result.upload = record
    return result


def _counts(record: RecordUpload, result: ImportResult) -> None:
    record.row_count = result.rows
    record.created_count = result.created
    record.unchanged_count = result.unchanged
    record.updated_count = result.updated
    record.error_count = result.error_rows
    record.errors = [e.as_dict() for e in result.errors[:5000]]


def _new_upload(
    kind: str, data: bytes, filename: str, context: ImportContext, source: str
) -> RecordUpload:
    from kedaitong.uploads import display_name
    from loans.models import RecordUpload

    record = RecordUpload(
        kind=kind,
        program=context.program,
        bank=context.bank,
        source=source,
        original_name=display_name(filename),
        checksum=hashlib.sha256(data).hexdigest(),
        size=len(data),
        uploaded_by=context.actor,
        via=context.via,
    )
    extension = (
        "json" if source == "api" else "xlsx" if data.startswith(b"PK") else "csv"
    )  # an API batch is kept as the JSON it was sent as
    record.file.save(f"{kind}.{extension}", ContentFile(data), save=False)
    record.save()
    return record


def store_upload(*, kind: str, data: bytes, filename: str, context: ImportContext) -> RecordUpload:
    """Keep a web upload before it is checked (state `checking`)."""
    return _new_upload(kind, data, filename, context, "web")
