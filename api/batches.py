"""The API's door to the one importer: a JSON batch becomes the same table an Excel upload is read into.

1. The body is read within its size limit (413) and parsed as JSON with every number
   kept exact (`Decimal`, never float); NaN and Infinity are refused (422).
2. Each row's fields are the upload's columns under English names (`FIELDS`); a
   field of the wrong JSON type, an unknown field or an empty row is a row error
   named by its column, as the upload would name it. `bank_code` may be left out:
   the token's bank fills it.
3. The rows go to `loans.importer.run_import` as a `Table` (row 1 is the batch's first
   row), which checks every row against the database and the earlier rows, and saves
   all or nothing, exactly as for a file; its row errors come back with the same
   Chinese messages and column names.
4. Under the Idempotency-Key: the same key with the same body gets the stored answer
   again; with another body, 409. A refused batch does not bind its key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from api.models import ApiBatch, ApiToken
from applications import lifecycle
from applications.models import Program
from loans.importer import context_for, run_import
from loans.importer.engine import ImportResult, RowError
from loans.importer.reader import Table


@dataclass(frozen=True)
class Field:
    name: str  # the JSON field
    column: str  # the upload's column, which row errors name
    kind: str  # for the schema: "string", "date", "amount", "rate", "boolean", "integer", "text"
    required: bool
    description: str = ""


COMMON = (
    Field("contract_no", "贷款合同编号", "string", True, "贷款合同编号（本行唯一）"),
    Field("bank_code", "银行代码", "string", False, "银行代码；省略时为令牌所属银行"),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    "disbursements": (
        *COMMON,
        Field("credit_code", "统一社会信用代码", "string", True, "借款企业的统一社会信用代码"),
        Field(
            "contract_date",
            "合同签订日期",
            "date",
            True,
            "YYYY-MM-DD，借款合同的签订日，不得晚于放款日期；利率按当日同期同档次LPR核定（衢州方案一(六)）",
        ),
        Field("disbursement_date", "放款日期", "date", True, "YYYY-MM-DD，不能是将来的日期"),
        Field("maturity_date", "到期日期", "date", True, "YYYY-MM-DD"),
        Field("principal", "放款金额（元）", "amount", True, "元，最多两位小数"),
        Field("annual_rate", "年利率（%）", "rate", True, "百分数，如3.1表示3.1%，最多四位小数"),
        Field("product_type", "产品类型", "string", False, "附件4的八类产品之一（名称或代码）"),
        Field("purpose", "贷款用途", "string", False, ""),
        Field("application_reference", "申请编号", "string", False, "昌江：本行本企业的申请编号"),
    ),
    "repayments": (
        *COMMON,
        Field("repaid_on", "还款日期", "date", True, "YYYY-MM-DD，不能是将来的日期"),
        Field("principal", "归还本金（元）", "amount", True, "元，最多两位小数"),
    ),
    "interest": (
        *COMMON,
        Field("settled_on", "结息日期", "date", True, "YYYY-MM-DD，不能是将来的日期"),
        Field("period_start", "计息起始日", "date", True, "YYYY-MM-DD"),
        Field("period_end", "计息截止日", "date", True, "YYYY-MM-DD"),
        Field("amount", "利息金额（元）", "amount", True, "元，最多两位小数"),
        Field(
            "overdue",
            "是否逾期利息",
            "boolean",
            True,
            "逾期期间的利息为true（不予贴息，衢州方案四）；也可填“是”“否”",
        ),
    ),
    "overdue": (
        *COMMON,
        Field("started_on", "逾期起始日", "date", True, "YYYY-MM-DD"),
        Field("overdue_principal", "逾期本金（元）", "amount", True, "元，可为0"),
        Field("overdue_interest", "逾期利息（元）", "amount", True, "元，可为0"),
        Field("cleared_on", "结清日期", "date", False, "尚未结清的省略或为null"),
    ),
    "reports": (
        *COMMON,
        Field("year", "年度", "integer", True, ""),
        Field("quarter", "季度", "integer", True, "1至4"),
        Field(
            "assessment", "评估结论", "string", True, "正常、关注或有风险（normal、watch、risk）"
        ),
        Field("operations", "企业经营及贷款资金使用情况", "text", True, ""),
        Field("repayment", "还本付息情况", "text", False, ""),
        Field("risks", "发现的风险及采取的措施", "text", False, ""),
    ),
}
ASSESSMENTS = {"normal": "正常", "watch": "关注", "risk": "有风险"}
MAX_TEXT = 5000  # the longest cell any kind takes (a report's text)


class BatchProblem(Exception):
    """The batch as a whole cannot be taken: `status` (413, 422) and a message in Chinese."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def max_rows() -> int:
    return int(getattr(settings, "API_BATCH_MAX_ROWS", 10_000))


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", 5 * 1024 * 1024))


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a batch, numbers as exact Decimals; 422 for anything else."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BatchProblem(422, "请求体须为UTF-8编码的JSON", "invalid_json") from None
    try:
        data = json.loads(
            text, parse_float=Decimal, parse_int=Decimal, parse_constant=_refuse_constant
        )
    except ValueError as exc:
        where = (
            f"（第{exc.lineno}行第{exc.colno}列）" if isinstance(exc, json.JSONDecodeError) else ""
        )
        raise BatchProblem(
            422, f"请求体不是有效的JSON{where}；不接受NaN和Infinity", "invalid_json"
        ) from None
    except RecursionError:
        raise BatchProblem(422, "请求体的JSON嵌套过深", "invalid_json") from None
    if not isinstance(data, dict):
        raise BatchProblem(422, '请求体须为JSON对象：{"rows": [...]}', "invalid_body")
    unknown = sorted(set(data) - {"rows"})
    if unknown:
        raise BatchProblem(422, f"请求体有未知字段：{'、'.join(unknown)[:200]}", "invalid_body")
    rows = data.get("rows")
    if not isinstance(rows, list):
        raise BatchProblem(422, "“rows”须为数组，每个元素是一行记录", "invalid_body")
    if not rows:
        raise BatchProblem(422, "“rows”为空：一批至少一行", "invalid_body")
    if len(rows) > max_rows():
        raise BatchProblem(
            413,
            f"每批最多{max_rows():,}行，本批{len(rows):,}行，请分批发送",
            "too_many_rows",
        )
    return data


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "对象"
    if isinstance(value, list):
        return "数组"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__


def _cell(field: Field, value: Any) -> tuple[Any, str | None]:
    """The cell the importer reads for one JSON value, or the door's own error for its column."""
    if value is None:
        return None, None
    if isinstance(value, (dict, list)):
        return (
            None,
            f"应为{'文本' if field.kind in ('string', 'text') else '文本或数字'}，不能是{_json_type(value)}",
        )
    if isinstance(value, bool):
        if field.kind == "boolean":
            return ("是" if value else "否"), None
        return None, "应为文本或数字，不能是true/false"
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return None, f"超过{MAX_TEXT}个字符"
        if field.name == "assessment":
            value = ASSESSMENTS.get(value.strip(), value)
        return value, None
    if isinstance(value, Decimal):
        if field.kind in ("date", "boolean"):
            return (
                None,
                f"应为{'YYYY-MM-DD格式的日期' if field.kind == 'date' else 'true或false'}，不能是数字",
            )
        # Exactly as typed: the importer refuses more than two decimals, zero, negatives, size.
        return (format(value, "f") if abs(value.adjusted()) < 40 else str(value)), None
    return None, f"不能是{_json_type(value)}"  # pragma: no cover - json gives no other types


def to_table(kind: str, rows: list[Any], bank_code: str) -> tuple[Table, list[RowError]]:
    """The batch as the importer's table (every column of the kind, row 1 first) and the door's own errors."""
    fields = FIELDS[kind]
    by_name = {f.name: f for f in fields}
    problems: list[RowError] = []
    table_rows: list[list[Any]] = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(RowError(number, "", f"每行须为JSON对象，不能是{_json_type(row)}"))
            table_rows.append([None] * len(fields))
            continue
        for name in sorted(set(row) - set(by_name)):
            problems.append(RowError(number, name[:60], f"未知字段“{name[:60]}”"))
        if not any(row.get(f.name) is not None for f in fields if f.name != "bank_code"):
            problems.append(RowError(number, "", "空行：没有任何字段"))
            table_rows.append([None] * len(fields))
            continue
        cells = []
        for f in fields:
            value, problem = _cell(f, row.get(f.name))
            if problem:
                problems.append(RowError(number, f.column, problem))
            if f.name == "bank_code" and value is None and problem is None:
                value = bank_code
            cells.append(value)
        table_rows.append(cells)
    return Table(header=[f.column for f in fields], rows=table_rows, first_row_number=1), problems


def field_of(kind: str, column: str) -> str | None:
    return next((f.name for f in FIELDS[kind] if f.column == column), None)


def result_body(result: ImportResult, *, program: Program, dry_run: bool) -> dict[str, Any]:
    upload = result.upload
    return {
        "id": str(upload.public_id) if upload is not None else None,
        "kind": result.kind,
        "program": program.code,
        "state": "saved" if result.saved else ("refused" if result.errors else "checked"),
        "dry_run": dry_run,
        "rows": result.rows,
        "created": result.created,
        "unchanged": result.unchanged,
        "updated": result.updated,
        "error_rows": result.error_rows,
        "errors": [
            {
                "row": e.row,
                "column": e.column,
                "field": field_of(result.kind, e.column),
                "message": e.message,
            }
            for e in result.errors
        ],
    }


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(kind: str, program: str, data: dict[str, Any]) -> str:
    """The request as its meaning: the same rows in other whitespace or key order are the same batch."""
    canonical = json.dumps(
        {"kind": kind, "program": program, "rows": data["rows"]},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def batch_submit(
    *,
    token: ApiToken,
    kind: str,
    program: Program,
    body: bytes,
    key: str,
    dry_run: bool = False,
) -> Answer:
    """One write batch through the importer (see the module's steps). Raises BatchProblem for the batch as a whole."""
    data = parse_body(body)
    actor = token.created_by
    context = context_for(kind=kind, program=program, actor=actor)
    context.via = token.label
    table, problems = to_table(kind, data["rows"], token.bank.code)
    if dry_run:
        result = run_import(
            kind=kind,
            data=body,
            filename=f"api-{kind}.json",
            context=context,
            commit=False,
            source="api",
            table=table,
            problems=problems,
        )
        status = 422 if result.errors else 200
        return Answer(status, result_body(result, program=program, dry_run=True))
    digest = fingerprint(kind, program.code, data)
    try:
        with transaction.atomic():
            # The importer takes this lock too: batches of one program queue here, so the
            # key is looked up after any batch before it has committed.
            lifecycle.lock_program(program.pk)
            stored = ApiBatch.objects.filter(bank=token.bank_id, key=key).first()
            if stored is not None:
                return _replay(stored, digest)
            result = run_import(
                kind=kind,
                data=body,
                filename=f"api-{kind}.json",
                context=context,
                commit=True,
                source="api",
                table=table,
                problems=problems,
            )
            if not result.saved:
                return Answer(422, result_body(result, program=program, dry_run=False))
            answer = Answer(201, result_body(result, program=program, dry_run=False))
            ApiBatch.objects.create(
                bank=token.bank,
                key=key,
                token=token,
                kind=kind,
                fingerprint=digest,
                upload=result.upload,
                status_code=answer.status,
                response=answer.body,
            )
            return answer
    except IntegrityError:
        # The same key was saved meanwhile by a batch of another program (another lock): answer as it did.
        stored = ApiBatch.objects.filter(bank=token.bank_id, key=key).first()
        if stored is None:
            raise
        return _replay(stored, digest)


class KeyReused(Exception):
    def __init__(self, stored: ApiBatch) -> None:
        super().__init__(stored.key)
        self.stored = stored


def _replay(stored: ApiBatch, digest: str) -> Answer:
    if stored.fingerprint != digest:
        raise KeyReused(stored)
    return Answer(stored.status_code, stored.response, replayed=True)
