"""The bank API, version 1 (django-ninja): /api/v1/, its OpenAPI schema at /api/v1/openapi.json, docs at /api/v1/docs.

Every call carries `Authorization: Bearer <token>` (a bank's API token, api/services.py).
Writes are batches through the one importer (api/batches.py); reads are the bank's own
records in the scopes of its pages. Refusals are typed and answered in Chinese:
401 no or dead token, 403 a read-only token writing, 404 not the bank's, 409 an
Idempotency-Key reused with another body, 413 a body or batch too large, 422 row
errors or a malformed request, 429 over the token's rate.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at run time.
import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, AuthorizationError, Throttled, ValidationError
from ninja.pagination import PageNumberPagination, paginate
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from pydantic import BeforeValidator

from api import batches, selectors
from api.models import ApiToken
from api.services import TokenInvalid, token_authenticate
from api.throttle import TokenRateThrottle
from kedaitong.audit import acting_via
from loans.importer import ImportNotAllowed

DESCRIPTION = """
科贷通平台的银行接口。银行的业务系统用本行的API令牌调用（令牌在平台“API令牌”页面创建，只显示一次）：`Authorization: Bearer kdt_…`。

* **写入**：放款、还款、结息、逾期和贷后报告，每次一批（最多10,000行），与Excel导入走同一个导入引擎：逐行检查，全部正确才保存，否则一行也不保存；同一记录再次发送不会重复登记。每批须带 `Idempotency-Key` 请求头：同一键同一内容再次发送得到同一答复；同一键不同内容为409。行错误的中文提示和列名与Excel导入相同。
* **读取**：本行待办的申请、贷款、贴息明细和风险补偿申请，分页（`page`、`page_size`），按日期筛选（`date_from`、`date_to`，YYYY-MM-DD）。
* **限制**：每个令牌的调用频率有上限（超出为429，`Retry-After` 给出等待秒数）；请求体最大5 MB。

金额为以元为单位、两位小数的字符串；日期为YYYY-MM-DD。每次调用都以令牌名称记入审计日志。说明与示例见项目文档 docs/api.md。
"""


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 as is (a clerk reading the answer with curl sees 放款金额, not \\u653e\\u6b3e)."""

    json_dumps_params = {"ensure_ascii": False}


class BankToken(HttpBearer):
    """`Authorization: Bearer kdt_<prefix>_<secret>`: a live token of a bank (api/services.token_authenticate)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        try:
            found = token_authenticate(token)
        except TokenInvalid as exc:
            request.api_auth_problem = str(exc)  # type: ignore[attr-defined]
            return None
        request.api_token = found  # type: ignore[attr-defined]
        return found


api = NinjaAPI(
    title="科贷通银行接口",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs_decorator=require_safe,  # the schema and its page: read-only, public, no token
    auth=BankToken(),
    throttle=[TokenRateThrottle()],
    renderer=ChineseJSONRenderer(),
)


# ── answers for refusals (the type decides the status, never the text) ───────


def _error(request: HttpRequest, status: int, detail: str, code: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    problem = getattr(request, "api_auth_problem", "") or (
        "缺少令牌：请在Authorization请求头中提供“Bearer 令牌”"
    )
    response = _error(request, 401, problem, "unauthorized")
    response["WWW-Authenticate"] = 'Bearer realm="kedaitong"'
    return response


@api.exception_handler(AuthorizationError)
def _forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return _error(request, 403, str(exc), "forbidden")


@api.exception_handler(ImportNotAllowed)
def _import_not_allowed(request: HttpRequest, exc: ImportNotAllowed) -> HttpResponse:
    return _error(request, 403, str(exc), "forbidden")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "未找到：该记录不存在或不属于本行", "not_found")


@api.exception_handler(selectors.ProgramNotFound)
def _program_not_found(request: HttpRequest, exc: selectors.ProgramNotFound) -> HttpResponse:
    return _error(request, 404, str(exc), "program_not_found")


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    wait = int(exc.wait) + 1 if exc.wait is not None else 60
    return _error(
        request,
        429,
        f"调用过于频繁：每个令牌最多{settings.API_THROTTLE_RATE.replace('/m', '次/分钟')}，"
        f"请{wait}秒后重试",
        "throttled",
    )


@api.exception_handler(batches.BatchProblem)
def _batch_problem(request: HttpRequest, exc: batches.BatchProblem) -> HttpResponse:
    return _error(request, exc.status, exc.message, exc.code)


@api.exception_handler(batches.KeyReused)
def _key_reused(request: HttpRequest, exc: batches.KeyReused) -> HttpResponse:
    stored = exc.stored
    return _error(
        request,
        409,
        f"Idempotency-Key“{stored.key}”已用于{stored.created_at:%Y-%m-%d %H:%M}保存的另一批"
        f"（{stored.kind}），内容不同；新的一批请用新的键",
        "idempotency_key_reused",
        batch=str(stored.upload.public_id) if stored.upload_id else None,
    )


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _body_too_large(request)


def _body_too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
    return _error(request, 413, f"请求体超过{limit:g} MB的上限，请分批发送", "body_too_large")


VALIDATION_MESSAGES = {
    "date_from_datetime_parsing": "应为YYYY-MM-DD格式的日期",
    "date_parsing": "应为YYYY-MM-DD格式的日期",
    "date_from_datetime_inexact": "应为YYYY-MM-DD格式的日期",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为true或false",
    "uuid_parsing": "不是有效的编号（UUID）",
    "missing": "必填",
    "string_too_long": "过长",
    "literal_error": "不是可选的值",
}


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = [
            str(part) for part in error.get("loc", ()) if part not in ("query", "path", "header")
        ]
        kind = error.get("type", "")
        context = error.get("ctx") or {}
        if kind in ("greater_than_equal", "less_than_equal"):
            bound = context.get("ge", context.get("le"))
            message = f"不能{'小于' if kind == 'greater_than_equal' else '大于'}{bound}"
        else:
            message = VALIDATION_MESSAGES.get(kind, str(error.get("msg", "无效")))
        errors.append({"field": ".".join(loc), "message": message})
    return _error(request, 422, "请求参数有误", "invalid_request", errors=errors)


# ── schemas ───────────────────────────────────────────────────────────────────


class ErrorOut(Schema):
    detail: str = Field(..., description="原因（中文）")
    code: str = Field(..., description="机器可读的类别")


class RowErrorOut(Schema):
    row: int = Field(..., description="批内行号，第一行为1；0表示整批")
    column: str = Field(..., description="与Excel导入模板相同的列名")
    field: str | None = Field(None, description="本接口的字段名")
    message: str = Field(..., description="与Excel导入相同的中文提示")


class BatchOut(Schema):
    id: str | None = Field(None, description="批次编号；预检（dry_run）没有编号")
    kind: str
    program: str
    state: str = Field(
        ..., description="saved（已保存）、refused（已拒绝，未保存）或checked（预检通过）"
    )
    dry_run: bool
    rows: int
    created: int = Field(
        ..., description="新增的记录数（预检或被拒时为本会新增的行数，实际未保存）"
    )
    unchanged: int = Field(..., description="已存在且相同的记录数（不会重复登记）")
    updated: int = Field(..., description="更新数（仅逾期结清日期的补填）")
    error_rows: int
    errors: list[RowErrorOut]


class BatchRefusedOut(BatchOut):
    detail: str
    code: str


class TokenOut(Schema):
    name: str
    prefix: str
    bank_code: str
    bank_name: str
    scope: str
    expires_on: dt.date
    throttle: str = Field(..., description="每个令牌的调用频率上限")
    max_batch_rows: int


def _places(places: int) -> Any:
    def text(value: Any) -> Any:
        return f"{value:.{places}f}" if isinstance(value, (Decimal, int)) else value

    return text


# Amounts go out as text in yuan with two decimals (never a float); rates with four.
Money = Annotated[str, BeforeValidator(_places(2))]
Rate = Annotated[str, BeforeValidator(_places(4))]


class EnterpriseOut(Schema):
    name: str
    credit_code: str


class ApplicationOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    reference: str
    program: str = Field(..., alias="program_version.program.code")
    enterprise: EnterpriseOut
    amount: Money = Field(..., description="申请金额（元）")
    term_months: int | None
    state: str
    state_label: str
    waiting_for: str = Field(..., description="decision（本行审批）或disbursement（授信后放款）")
    waiting_since: dt.date | None = Field(None, description="进入当前状态的日期")

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_waiting_for(obj: Any) -> str:
        return "disbursement" if obj.state == "credit_granted" else "decision"

    @staticmethod
    def resolve_waiting_since(obj: Any) -> dt.date | None:
        from django.utils import timezone

        return timezone.localdate(obj.entered) if obj.entered else None


class LoanOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    contract_no: str
    program: str = Field(..., alias="program_version.program.code")
    enterprise: EnterpriseOut
    disbursement_date: dt.date
    maturity_date: dt.date
    principal: Money = Field(..., description="放款金额（元）")
    annual_rate: Rate = Field(..., description="年利率（%）")
    repaid: Money = Field(..., description="已登记的归还本金（元）")
    outstanding: Money = Field(..., description="贷款余额 = 放款金额 − 已归还本金（元）")
    days_past_due: int
    bucket: str

    @staticmethod
    def resolve_repaid(obj: Any) -> Decimal:
        return obj.repaid or Decimal("0")

    @staticmethod
    def resolve_outstanding(obj: Any) -> Decimal:
        return obj.principal - (obj.repaid or Decimal("0"))


class RepaymentOut(Schema):
    repaid_on: dt.date
    principal: Money


class InterestOut(Schema):
    settled_on: dt.date
    period_start: dt.date
    period_end: dt.date
    amount: Money
    overdue: bool = Field(..., alias="is_overdue_interest")


class OverdueOut(Schema):
    started_on: dt.date
    overdue_principal: Money
    overdue_interest: Money
    cleared_on: dt.date | None


class ReportOut(Schema):
    year: int
    quarter: int
    assessment: str = Field(..., alias="status", description="normal、watch或risk")
    filed_at: dt.datetime


class LoanDetailOut(LoanOut):
    repayments: list[RepaymentOut]
    interest: list[InterestOut]
    overdue_events: list[OverdueOut]
    post_loan_reports: list[ReportOut]

    @staticmethod
    def resolve_repayments(obj: Any) -> Any:
        return obj.repayments.order_by("repaid_on")

    @staticmethod
    def resolve_interest(obj: Any) -> Any:
        return obj.interestsettlements.order_by("period_start", "is_overdue_interest")

    @staticmethod
    def resolve_overdue_events(obj: Any) -> Any:
        return obj.overdueevents.order_by("started_on")

    @staticmethod
    def resolve_post_loan_reports(obj: Any) -> Any:
        return obj.post_loan_reports.order_by("year", "quarter")


class SubsidyLineOut(Schema):
    program: str = Field(..., alias="run.program.code")
    year: int = Field(..., alias="run.year")
    run_state: str = Field(..., alias="run.state")
    contract_no: str
    enterprise_name: str
    disbursement_date: dt.date
    principal: Money
    annual_rate: Rate = Field(..., description="年利率（%）")
    lpr: Rate = Field(..., description="定价时同期限LPR（%）")
    settled_interest: Money = Field(..., description="已结算利息（元）")
    overdue_interest: Money = Field(..., description="其中逾期期间利息（元），不予贴息")
    eligible_interest: Money = Field(..., description="可贴息的利息（元）")
    share: Rate = Field(..., description="贴息比例（小数，如 0.3000）")
    computed: Money = Field(..., description="按比例计算的贴息（元）")
    amount: Money = Field(..., description="贴息（元）：超出年度预算时按预算同比例下降后")


class ClaimOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    reference: str
    program: str = Field(..., alias="program.code")
    contract_no: str = Field(..., alias="loan.contract_no")
    state: str
    state_label: str
    requested_amount: Money
    loss_principal: Money
    loss_interest: Money
    overdue_since: dt.date
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_amount: Money | None = Field(None, description="领导专班决定的补偿金额（元）")
    paid_amount: Money | None = Field(None, description="已拨付金额（元）")

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_decided_amount(obj: Any) -> Decimal | None:
        from compensation.selectors import live_decision

        decision = live_decision(obj)
        return decision.amount if decision is not None else None

    @staticmethod
    def resolve_paid_amount(obj: Any) -> Decimal | None:
        payment = obj.payment
        return payment.amount if payment is not None else None


class UploadOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    kind: str
    program: str = Field(..., alias="program.code")
    state: str
    via: str
    received_at: dt.datetime = Field(..., alias="uploaded_at")
    rows: int = Field(..., alias="row_count")
    created: int = Field(..., alias="created_count")
    unchanged: int = Field(..., alias="unchanged_count")
    updated: int = Field(..., alias="updated_count")
    error_rows: int = Field(..., alias="error_count")
    errors: list[RowErrorOut]

    @staticmethod
    def resolve_errors(obj: Any) -> list[dict[str, Any]]:
        return [
            e | {"field": batches.field_of(obj.kind, e.get("column", ""))}
            for e in (obj.errors or [])
        ]


class DateFilter(Schema):
    program: str | None = Field(None, description="计划代码，如changjiang、quzhou")
    date_from: dt.date | None = Field(None, description="起始日期（含），YYYY-MM-DD")
    date_to: dt.date | None = Field(None, description="截止日期（含），YYYY-MM-DD")


class LoanFilter(DateFilter):
    contract_no: str | None = Field(None, description="贷款合同编号")


class LineFilter(DateFilter):
    year: int | None = Field(None, ge=2000, le=2100, description="贴息年度")


PAGE = {"page_size": 100, "max_page_size": 1000}


# ── token ─────────────────────────────────────────────────────────────────────


def _token(request: HttpRequest) -> ApiToken:
    return request.auth  # type: ignore[attr-defined,no-any-return]


@api.get("/token", response=TokenOut, url_name="token", tags=["令牌"], summary="当前令牌")
def token_info(request: HttpRequest) -> dict[str, Any]:
    """The token this call used: its bank, scope, expiry and limits (to test the connection)."""
    token = _token(request)
    return {
        "name": token.name,
        "prefix": token.prefix,
        "bank_code": token.bank.code,
        "bank_name": token.bank.name,
        "scope": token.scope,
        "expires_on": token.expires_on,
        "throttle": settings.API_THROTTLE_RATE,
        "max_batch_rows": batches.max_rows(),
    }


# ── writes ────────────────────────────────────────────────────────────────────

KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
KIND_TITLES = {
    "disbursements": "放款",
    "repayments": "还款",
    "interest": "结息",
    "overdue": "逾期",
    "reports": "贷后报告（昌江细则第十条）",
}


def _row_schema(kind: str) -> dict[str, Any]:
    types = {
        "string": {"type": "string"},
        "text": {"type": "string", "maxLength": batches.MAX_TEXT},
        "date": {"type": "string", "format": "date"},
        "amount": {"anyOf": [{"type": "string"}, {"type": "number"}]},
        "rate": {"anyOf": [{"type": "string"}, {"type": "number"}]},
        "integer": {"type": "integer"},
        "boolean": {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["是", "否"]}]},
    }
    fields = batches.FIELDS[kind]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in fields if f.required],
        "properties": {
            f.name: types[f.kind]
            | {"description": f"{f.column}" + (f"：{f.description}" if f.description else "")}
            for f in fields
        },
    }


def _batch_body(kind: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["rows"],
                        "additionalProperties": False,
                        "properties": {
                            "rows": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 10_000,
                                "items": _row_schema(kind),
                            }
                        },
                    }
                }
            },
        },
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": True,
                "schema": {"type": "string", "maxLength": 100},
                "description": "本批的唯一键（1–100个可见ASCII字符）：同一键同一内容再次发送得到同一答复",
            }
        ],
    }


def _submit(request: HttpRequest, kind: str, program: str, dry_run: bool) -> Any:
    token = _token(request)
    if token.scope != ApiToken.Scope.WRITE:
        raise AuthorizationError(message="该令牌只读，不能写入；请使用读写令牌")
    # A program the bank is on (404 otherwise, as another bank's record); the batch works in it, as the
    # upload page does in the program the clerk has switched to (applications/scope.py).
    found = selectors.bank_program(token.created_by, program)
    selectors.work_in(token.created_by, found)
    key = request.headers.get("Idempotency-Key", "")
    if not dry_run and not KEY.match(key):
        raise batches.BatchProblem(
            400 if not key else 422,
            "缺少Idempotency-Key请求头" if not key else "Idempotency-Key须为1–100个可见ASCII字符",
            "idempotency_key_missing" if not key else "idempotency_key_invalid",
        )
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return _body_too_large(request)
    body = request.body  # RequestDataTooBig (413) past the limit without a Content-Length
    with acting_via(token.label):
        answer = batches.batch_submit(
            token=token, kind=kind, program=found, body=body, key=key, dry_run=dry_run
        )
    if answer.status == 422:
        answer.body |= {
            "detail": f"{answer.body['error_rows']}行有错误，整批未保存"
            if answer.body["error_rows"]
            else "本批有错误，未保存",
            "code": "rows_invalid",
        }
    response = api.create_response(request, answer.body, status=answer.status)
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _write(kind: str) -> None:
    title = KIND_TITLES[kind]

    def operation(
        request: HttpRequest,
        program: str = Query(..., description="计划代码，如changjiang、quzhou"),  # noqa: B008
        dry_run: bool = Query(False, description="只检查不保存（不需要Idempotency-Key）"),  # noqa: B008
    ) -> Any:
        return _submit(request, kind, program, dry_run)

    operation.__name__ = f"batch_{kind}"
    operation.__doc__ = (
        f"一批{title}记录，经与Excel导入相同的导入引擎：逐行检查，全部正确才保存（201），"
        "否则一行也不保存（422，列出每行的错误）。"
    )
    api.post(
        f"/batches/{kind}",
        response={
            200: BatchOut,
            201: BatchOut,
            400: ErrorOut,
            401: ErrorOut,
            403: ErrorOut,
            404: ErrorOut,
            409: ErrorOut,
            413: ErrorOut,
            422: BatchRefusedOut,
            429: ErrorOut,
        },
        url_name=f"batch-{kind}",
        tags=["写入"],
        summary=f"{title}（一批）",
        openapi_extra=_batch_body(kind),
    )(operation)


for _kind in batches.FIELDS:
    _write(_kind)


@api.get(
    "/batches/{batch_id}",
    response={200: UploadOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    url_name="batch-detail",
    tags=["写入"],
    summary="一批的结果",
)
def batch_detail(request: HttpRequest, batch_id: uuid.UUID) -> Any:
    """A batch this bank sent through the API, with its counts and row errors."""
    return get_object_or_404(
        selectors.bank_batches(request.auth.created_by).select_related("program"),  # type: ignore[attr-defined]
        public_id=batch_id,
    )


# ── reads ─────────────────────────────────────────────────────────────────────


def _clerk(request: HttpRequest) -> Any:
    return _token(request).created_by


@api.get(
    "/applications",
    response=list[ApplicationOut],
    url_name="applications",
    tags=["读取"],
    summary="待本行办理的申请",
)
@paginate(PageNumberPagination, **PAGE)
def applications(request: HttpRequest, filters: DateFilter = Query(...)) -> Any:  # noqa: B008
    """Applications recommended to this bank and waiting for its decision, or credit granted and waiting for its
    disbursement; `date_from`/`date_to` on the day each entered that state."""
    return selectors.waiting_applications(_clerk(request), **filters.dict())


@api.get("/loans", response=list[LoanOut], url_name="loans", tags=["读取"], summary="本行贷款")
@paginate(PageNumberPagination, **PAGE)
def loans(request: HttpRequest, filters: LoanFilter = Query(...)) -> Any:  # noqa: B008
    """This bank's loans; `date_from`/`date_to` on the disbursement date."""
    return selectors.bank_loans(_clerk(request), **filters.dict())


@api.get(
    "/loans/{loan_id}",
    response={200: LoanDetailOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    url_name="loan-detail",
    tags=["读取"],
    summary="一笔贷款及其记录",
)
def loan_detail(request: HttpRequest, loan_id: uuid.UUID) -> Any:
    """One loan of this bank with its repayments, interest settlements, overdue events and post-loan reports.
    Another bank's loan is a 404."""
    return get_object_or_404(selectors.bank_loans(_clerk(request)), public_id=loan_id)


@api.get(
    "/subsidy-lines",
    response=list[SubsidyLineOut],
    url_name="subsidy-lines",
    tags=["读取"],
    summary="本行贴息明细（衢州方案四）",
)
@paginate(PageNumberPagination, **PAGE)
def subsidy_lines(request: HttpRequest, filters: LineFilter = Query(...)) -> Any:  # noqa: B008
    """Lines of publicized subsidy runs for this bank's loans; `date_from`/`date_to` on the disbursement date."""
    return selectors.bank_subsidy_lines(_clerk(request), **filters.dict())


@api.get(
    "/compensation-claims",
    response=list[ClaimOut],
    url_name="compensation-claims",
    tags=["读取"],
    summary="本行风险补偿申请（昌江细则第十一条）",
)
@paginate(PageNumberPagination, **PAGE)
def compensation_claims(request: HttpRequest, filters: DateFilter = Query(...)) -> Any:  # noqa: B008
    """This bank's compensation claims; `date_from`/`date_to` on the day each was made."""
    return selectors.bank_claims(_clerk(request), **filters.dict())
