"""The seven kinds of records a file can carry: headers, who may import them, how each row is checked and saved.

Idempotence: every kind has a natural key. A row whose key exists with the
same values is counted unchanged; with different values it is a row error
(never an overwrite). The one exception is an overdue event's empty 结清日期
being filled in, which is how a bank reports arrears cleared; it is counted
as updated and shown in the preview.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy

from applications import credit_code as codes
from applications.models import (
    Application,
    Enterprise,
    ProductType,
    ProgramListing,
    RegistrationPlace,
)
from kedaitong.audit import log_action
from kedaitong.roles import Role
from loans.importer import cells
from loans.importer.engine import ImportContext, Plan, RowError
from loans.importer.reader import Table
from loans.models import (
    Bank,
    BankAgreement,
    InterestSettlement,
    Loan,
    OverdueEvent,
    PostLoanReport,
    RecordUpload,
    Repayment,
)
from loans.rules import check_report_quarter
from subsidy.guards import frozen_loans, refusal

BANK_ROLES = (Role.BANK, Role.ADMIN)
GOVERNMENT_ROLES = (Role.BUREAU_STAFF, Role.ADMIN)
CHUNK = 900  # lookups by key list, under SQLite's variable limit


@dataclass(frozen=True)
class Kind:
    name: str
    label: Any
    headers: tuple[str, ...]
    optional: tuple[str, ...]
    roles: tuple[str, ...]
    example: tuple[Any, ...]
    notes: tuple[str, ...]
    validate: Callable[[Table, ImportContext], Plan]


class Rows:
    """Iterate the data rows as dicts by header, with the spreadsheet row number; collect errors per column."""

    def __init__(self, table: Table, context: ImportContext, plan: Plan) -> None:
        self.table, self.context, self.plan = table, context, plan
        self.index = {h.strip(): i for i, h in enumerate(table.header) if h.strip()}
        self.today = timezone.localdate()

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        total = len(self.table.rows)
        for i, raw in enumerate(self.table.rows):
            number = self.table.first_row_number + i
            self.context.tick(i + 1, total)
            if not any(c is not None and (not isinstance(c, str) or c.strip()) for c in raw):
                continue
            self.plan.rows += 1
            yield number, {h: (raw[j] if j < len(raw) else None) for h, j in self.index.items()}

    def error(self, row: int, column: str, message: str) -> None:
        self.plan.errors.append(RowError(row, column, message))

    def get(
        self, row: int, values: dict[str, Any], column: str, parse: Callable[..., Any], **kw: Any
    ) -> Any:
        """Parse one cell; on failure record the error and return None."""
        try:
            return parse(values.get(column), **kw)
        except ValueError as exc:
            self.error(row, column, str(exc))
            return None


def chunks(items: Iterable[Any], size: int | None = None) -> Iterator[list[Any]]:
    size = size or CHUNK
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_bank(rows: Rows, number: int, code: str | None, banks: dict[str, Bank]) -> Bank | None:
    if code is None:
        return None
    bank = banks.get(code)
    if bank is None:
        rows.error(number, "银行代码", f"银行代码“{code}”不存在")
        return None
    own = rows.context.bank
    if own is not None and bank.pk != own.pk:
        rows.error(number, "银行代码", f"“{code}”是其他银行的数据，本行只能导入本行的记录")
        return None
    return bank


def banks_by_code(codes_: Iterable[str]) -> dict[str, Bank]:
    return {b.code: b for b in Bank.objects.filter(code__in=set(codes_))}


def seen_twice(rows: Rows, seen: dict[Any, int], key: Any, number: int, column: str) -> bool:
    if key in seen:
        rows.error(number, column, f"与第{seen[key]}行重复（同一文件中同一记录出现两次）")
        return True
    seen[key] = number
    return False


# ── banks ────────────────────────────────────────────────────────────────────


def validate_banks(table: Table, context: ImportContext) -> Plan:
    plan = Plan()
    rows = Rows(table, context, plan)
    program = context.program
    existing = {b.code: b for b in Bank.objects.all()}
    agreements = {
        (a.bank_id, a.starts_on): a for a in BankAgreement.objects.filter(program=program)
    }
    seen: dict[Any, int] = {}
    new_banks: dict[str, str] = {}
    new_agreements: list[tuple[str, dt.date, dt.date, str]] = []
    for number, values in rows:
        code = rows.get(number, values, "银行代码", cells.text, max_length=30)
        name = rows.get(number, values, "银行名称", cells.text, max_length=100)
        starts = rows.get(number, values, "合作协议起始日", cells.date)
        ends = rows.get(number, values, "合作协议到期日", cells.date)
        agreement_no = (
            rows.get(number, values, "协议编号", cells.text, required=False, max_length=50) or ""
        )
        if code and not all(c.isascii() and (c.isalnum() or c in "-_") for c in code):
            rows.error(number, "银行代码", "银行代码只能由字母、数字、短横线和下划线组成")
            continue
        if starts and ends and ends <= starts:
            rows.error(number, "合作协议到期日", "到期日必须晚于起始日")
            continue
        if None in (code, name, starts, ends) or seen_twice(
            rows, seen, (code, starts), number, "银行代码"
        ):
            continue
        bank = existing.get(code)
        if bank is not None and bank.name != name:
            rows.error(
                number, "银行名称", f"银行代码“{code}”已登记为“{bank.name}”，与“{name}”不一致"
            )
            continue
        if code in new_banks and new_banks[code] != name:
            rows.error(
                number, "银行名称", f"同一银行代码在文件中有两个名称：“{new_banks[code]}”与“{name}”"
            )
            continue
        agreement = agreements.get((bank.pk, starts)) if bank else None
        if agreement is not None:
            if agreement.ends_on != ends:
                rows.error(
                    number,
                    "合作协议到期日",
                    f"该协议已登记，到期日为{agreement.ends_on:%Y-%m-%d}，与文件不一致",
                )
            else:
                plan.unchanged += 1
            continue
        if bank is None:
            new_banks[code] = name
        new_agreements.append((code, starts, ends, agreement_no))
        plan.created += 1

    def save(upload: RecordUpload | None) -> dict[str, list[int]]:
        created = [Bank.objects.create(code=c, name=n) for c, n in new_banks.items()]
        by_code = existing | {b.code: b for b in created}
        made = [
            BankAgreement.objects.create(
                bank=by_code[c], program=program, starts_on=s, ends_on=e, number=no
            )
            for c, s, e, no in new_agreements
        ]
        return {"banks": [b.pk for b in created], "agreements": [a.pk for a in made]}

    plan.saver = save
    return plan


# ── enterprises (the program's list) ─────────────────────────────────────────


def validate_enterprises(table: Table, context: ImportContext) -> Plan:
    plan = Plan()
    rows = Rows(table, context, plan)
    program = context.program
    places = {p.name: p for p in RegistrationPlace.objects.filter(program=program)}
    listed = {x.credit_code: x for x in ProgramListing.objects.filter(program=program)}
    seen: dict[Any, int] = {}
    new: list[ProgramListing] = []
    for number, values in rows:
        code = rows.get(number, values, "统一社会信用代码", cells.text, max_length=18)
        name = rows.get(number, values, "企业名称", cells.text, max_length=100)
        place_name = rows.get(
            number, values, "注册地", cells.text, required=bool(places), max_length=50
        )
        if code:
            code = code.upper()
            if problem := codes.validate(code):
                rows.error(number, "统一社会信用代码", problem)
                continue
        place = None
        if places and place_name:
            place = places.get(place_name)
            if place is None:
                rows.error(
                    number,
                    "注册地",
                    f"注册地“{place_name}”不在本计划范围内（可填：{'、'.join(places)}）",
                )
                continue
        if None in (code, name) or (places and place is None):
            continue
        if seen_twice(rows, seen, code, number, "统一社会信用代码"):
            continue
        current = listed.get(code)
        if current is not None:
            if current.name != name:
                rows.error(
                    number,
                    "企业名称",
                    f"该企业已在名单中，名称为“{current.name}”，与“{name}”不一致",
                )
            elif places and current.registration_place_id != place.pk:
                rows.error(number, "注册地", "该企业已在名单中，注册地与文件不一致")
            else:
                plan.unchanged += 1
            continue
        new.append(
            ProgramListing(
                program=program,
                credit_code=code,
                name=name,
                registration_place=place,
                listed_on=rows.today,
            )
        )
        plan.created += 1

    def save(upload: RecordUpload | None) -> dict[str, list[int]]:
        ProgramListing.objects.bulk_create(new, batch_size=1000)
        ids: list[int] = []
        for part in chunks(
            x.credit_code for x in new
        ):  # every one, whatever the size (the file's rows are its record)
            ids.extend(
                ProgramListing.objects.filter(program=program, credit_code__in=part).values_list(
                    "pk", flat=True
                )
            )
        return {"listings": ids}

    plan.saver = save
    return plan


# ── disbursements ────────────────────────────────────────────────────────────

# Each registration problem names its field (loans.rules.Problem); the upload reports it under that column
# (issue 18 item 8: the credit-state error concerns 申请编号, not 放款金额).
FIELD_COLUMNS = {
    "contract_no": "贷款合同编号",
    "bank": "银行代码",
    "credit_code": "统一社会信用代码",
    "contract_date": "合同签订日期",
    "disbursement_date": "放款日期",
    "maturity_date": "到期日期",
    "principal": "放款金额（元）",
    "annual_rate": "年利率（%）",
    "application": "申请编号",
}


def rule_column(problem: str) -> str:
    """The column a registration problem concerns; one without a field is the row's contract number."""
    return FIELD_COLUMNS.get(getattr(problem, "field", ""), "贷款合同编号")


def validate_disbursements(table: Table, context: ImportContext) -> Plan:
    from loans.services import RegistrationContext, registration_problems

    plan = Plan()
    rows = Rows(table, context, plan)
    program = context.program
    parsed = []
    for number, values in rows:
        row = {
            "contract_no": rows.get(number, values, "贷款合同编号", cells.text, max_length=60),
            "bank_code": rows.get(number, values, "银行代码", cells.text, max_length=30),
            "credit_code": rows.get(number, values, "统一社会信用代码", cells.text, max_length=18),
            "contract_date": rows.get(
                number, values, "合同签订日期", cells.date, not_after=rows.today
            ),
            "disbursement_date": rows.get(
                number, values, "放款日期", cells.date, not_after=rows.today
            ),
            "maturity_date": rows.get(number, values, "到期日期", cells.date),
            "principal": rows.get(number, values, "放款金额（元）", cells.amount),
            "annual_rate": rows.get(number, values, "年利率（%）", cells.rate),
            "product": rows.get(
                number, values, "产品类型", cells.text, required=False, max_length=30
            ),
            "purpose": rows.get(
                number, values, "贷款用途", cells.text, required=False, max_length=200
            ),
            "reference": rows.get(
                number, values, "申请编号", cells.text, required=False, max_length=30
            ),
        }
        parsed.append((number, row))
    banks = banks_by_code(r["bank_code"] for _, r in parsed if r["bank_code"])
    credit_codes = {r["credit_code"].upper() for _, r in parsed if r["credit_code"]}
    enterprises = {}
    listings = {}
    for part in chunks(credit_codes):
        enterprises.update(
            {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=part)}
        )
        listings.update(
            {
                x.credit_code: x
                for x in ProgramListing.objects.filter(program=program, credit_code__in=part)
            }
        )
    existing = {}
    for part in chunks({r["contract_no"] for _, r in parsed if r["contract_no"]}):
        for loan in Loan.objects.filter(contract_no__in=part).select_related("enterprise"):
            existing[(loan.bank_id, loan.contract_no)] = loan
    products = {p.name: p for p in ProductType.objects.all()} | {
        p.code: p for p in ProductType.objects.all()
    }
    registration = RegistrationContext(program)
    seen: dict[Any, int] = {}
    to_create: list[dict[str, Any]] = []
    for number, r in parsed:
        bank = check_bank(rows, number, r["bank_code"], banks)
        if r["credit_code"]:
            r["credit_code"] = r["credit_code"].upper()
            if problem := codes.validate(r["credit_code"]):
                rows.error(number, "统一社会信用代码", problem)
                continue
        if r["product"] and r["product"] not in products:
            rows.error(number, "产品类型", f"产品类型“{r['product']}”不在附件4的八类之中")
            continue
        if bank is None or None in (
            r["contract_no"],
            r["credit_code"],
            r["contract_date"],
            r["disbursement_date"],
            r["maturity_date"],
            r["principal"],
            r["annual_rate"],
        ):
            continue
        if seen_twice(rows, seen, (bank.pk, r["contract_no"]), number, "贷款合同编号"):
            continue
        loan = existing.get((bank.pk, r["contract_no"]))
        if loan is not None:
            differences = [
                label
                for label, old, new in (
                    ("统一社会信用代码", loan.enterprise.credit_code, r["credit_code"]),
                    ("合同签订日期", loan.contract_date, r["contract_date"]),
                    ("放款日期", loan.disbursement_date, r["disbursement_date"]),
                    ("到期日期", loan.maturity_date, r["maturity_date"]),
                    ("放款金额（元）", loan.principal, r["principal"]),
                    ("年利率（%）", loan.annual_rate, r["annual_rate"]),
                )
                if old != new
            ]
            if differences:
                rows.error(
                    number,
                    differences[0],
                    f"合同“{r['contract_no']}”已登记，{'、'.join(differences)}与文件不一致（不会覆盖）",
                )
            elif loan.program_version.program_id != program.pk:
                rows.error(number, "贷款合同编号", "该合同已登记在其他计划下")
            else:
                plan.unchanged += 1
            continue
        version = program.version_on(r["disbursement_date"])
        if version is None:
            rows.error(
                number, "放款日期", f"{r['disbursement_date']:%Y-%m-%d}不在本计划任何版本的施行期内"
            )
            continue
        enterprise = enterprises.get(r["credit_code"])
        if enterprise is None and r["credit_code"] not in listings:
            rows.error(number, "统一社会信用代码", "该企业未在系统中登记，也不在本计划的企业名单中")
            continue
        application = None
        if enterprise is not None:
            # The loan follows the enterprise's application at this bank whose credit was granted (Changjiang
            # 第八条 after publicity, Quzhou 二 the bank's own approval), named by 申请编号 or found.
            applications = Application.objects.filter(
                program_version__program=program, enterprise=enterprise, bank=bank
            ).select_related("enterprise")
            if r["reference"]:
                application = applications.filter(reference=r["reference"]).first()
                if application is None:
                    rows.error(number, "申请编号", f"找不到本行、本企业的申请“{r['reference']}”")
                    continue
            else:
                application = (
                    applications.filter(state=Application.State.CREDIT_GRANTED)
                    .order_by("-updated_at")
                    .first()
                )
                if application is None and version.needs_recommendation:
                    # Every loan of the version follows an application: the one already disbursed, so the
                    # row error names its loan.
                    application = (
                        applications.filter(state=Application.State.DISBURSED)
                        .order_by("-updated_at")
                        .first()
                    )
        problems, lpr = registration_problems(
            program_version=version,
            enterprise=enterprise,
            credit_code=r["credit_code"],
            bank=bank,
            contract_no=r["contract_no"],
            disbursement_date=r["disbursement_date"],
            maturity_date=r["maturity_date"],
            principal=r["principal"],
            annual_rate=r["annual_rate"],
            application=application,
            context=registration,
            contract_date=r["contract_date"],
        )
        for problem in problems:
            rows.error(number, rule_column(problem), problem)
        if problems:
            continue
        registration.add(
            credit_code=r["credit_code"],
            bank=bank,
            principal=r["principal"],
            start=r["disbursement_date"],
            end=r["maturity_date"],
            application=application,
            contract_no=r["contract_no"],
        )
        to_create.append(
            r
            | {
                "bank": bank,
                "version": version,
                "lpr": lpr,
                "application": application,
                "product_type": products.get(r["product"]) if r["product"] else None,
            }
        )
        plan.created += 1

    def save(upload: RecordUpload | None) -> dict[str, list[int]]:
        from loans.services import application_disbursement_take

        # The applications this file disburses are locked, in id order, before the first audit entry below (the
        # order `lifecycle.lock_program` gives): a clerk's step on one of them holds its row, then logs.
        list(
            Application.objects.select_for_update(no_key=True)
            .filter(pk__in={r["application"].pk for r in to_create if r["application"] is not None})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        missing = {r["credit_code"] for r in to_create if r["credit_code"] not in enterprises}
        for code in missing:
            listing = listings[code]
            enterprises[code] = Enterprise.objects.create(
                credit_code=code, name=listing.name, registration_place=listing.registration_place
            )
        loans = Loan.objects.bulk_create(
            [
                Loan(
                    program_version=r["version"],
                    enterprise=enterprises[r["credit_code"]],
                    bank=r["bank"],
                    application=r["application"],
                    contract_no=r["contract_no"],
                    contract_date=r["contract_date"],
                    disbursement_date=r["disbursement_date"],
                    maturity_date=r["maturity_date"],
                    principal=r["principal"],
                    annual_rate=r["annual_rate"],
                    lpr_at_pricing=r["lpr"],
                    product_type=r["product_type"],
                    purpose=r["purpose"] or "",
                    upload=upload,
                )
                for r in to_create
            ],
            batch_size=1000,
        )
        saved = Loan.objects.filter(upload=upload) if upload is not None else loans
        applications = {
            r["application"].pk: r["application"] for r in to_create if r["application"] is not None
        }
        for loan in saved:
            log_action(
                actor=context.actor,
                action="loans.loan.registered",
                obj=loan,
                data={
                    "principal": loan.principal,
                    "contract_no": loan.contract_no,
                    "upload": str(upload.public_id) if upload else "",
                },
            )
            if loan.application_id is not None:
                # Changjiang 第八条: the same step as a disbursement typed on the application's page.
                application_disbursement_take(
                    actor=context.actor, application=applications[loan.application_id], loan=loan
                )
        return {"enterprises": [enterprises[c].pk for c in missing]}

    plan.saver = save
    return plan


# ── records of existing loans (repayments, interest, overdue) ────────────────


def loans_for(rows: Rows, parsed: list[tuple[int, dict[str, Any]]]) -> dict[tuple[str, str], Loan]:
    """Loans named by (bank code, contract number) in the file, in one query per chunk."""
    contracts = {r["contract_no"] for _, r in parsed if r.get("contract_no")}
    found: dict[tuple[str, str], Loan] = {}
    for part in chunks(contracts):
        for loan in Loan.objects.filter(contract_no__in=part).select_related(
            "bank", "program_version"
        ):
            found[(loan.bank.code, loan.contract_no)] = loan
    return found


def resolve_loan(
    rows: Rows,
    number: int,
    r: dict[str, Any],
    loans: dict[tuple[str, str], Loan],
    banks: dict[str, Bank],
) -> Loan | None:
    bank = check_bank(rows, number, r.get("bank_code"), banks)
    if bank is None or not r.get("contract_no"):
        return None
    loan = loans.get((bank.code, r["contract_no"]))
    if loan is None:
        rows.error(
            number, "贷款合同编号", f"本行没有合同编号为“{r['contract_no']}”的贷款（请先导入放款）"
        )
        return None
    if loan.program_version.program_id != rows.context.program.pk:
        rows.error(number, "贷款合同编号", "该贷款不属于本计划")
        return None
    return loan


def existing_records(model: Any, loan_ids: Iterable[int], **narrow: Any) -> list[Any]:
    """The records of these loans; `narrow` (a date range of the file's keys) keeps a large history out of memory."""
    found = []
    for part in chunks(set(loan_ids)):
        found.extend(model.objects.filter(loan_id__in=part, **narrow))
    return found


def date_range(field: str, days: Iterable[Any]) -> dict[str, Any]:
    """`field` between the earliest and the latest of `days` (None when the file has none)."""
    known = [d for d in days if d is not None]
    return {f"{field}__range": (min(known), max(known))} if known else {}


def common_columns(rows: Rows, number: int, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "contract_no": rows.get(number, values, "贷款合同编号", cells.text, max_length=60),
        "bank_code": rows.get(number, values, "银行代码", cells.text, max_length=30),
    }


def validate_repayments(table: Table, context: ImportContext) -> Plan:
    plan = Plan()
    rows = Rows(table, context, plan)
    parsed = []
    for number, values in rows:
        r = common_columns(rows, number, values)
        r["repaid_on"] = rows.get(number, values, "还款日期", cells.date, not_after=rows.today)
        r["principal"] = rows.get(number, values, "归还本金（元）", cells.amount)
        parsed.append((number, r))
    loans = loans_for(rows, parsed)
    banks = banks_by_code(r["bank_code"] for _, r in parsed if r["bank_code"])
    loan_ids = [loan.pk for loan in loans.values()]
    existing = {(x.loan_id, x.repaid_on): x for x in existing_records(Repayment, loan_ids)}
    repaid: dict[int, Decimal] = defaultdict(Decimal)
    for x in existing.values():
        repaid[x.loan_id] += x.principal
    frozen = frozen_loans(loan_ids)
    seen: dict[Any, int] = {}
    new: list[Repayment] = []
    for number, r in parsed:
        loan = resolve_loan(rows, number, r, loans, banks)
        if loan is None or r["repaid_on"] is None or r["principal"] is None:
            continue
        if seen_twice(rows, seen, (loan.pk, r["repaid_on"]), number, "还款日期"):
            continue
        if r["repaid_on"] < loan.disbursement_date:
            rows.error(number, "还款日期", f"早于放款日期{loan.disbursement_date:%Y-%m-%d}")
            continue
        old = existing.get((loan.pk, r["repaid_on"]))
        if old is not None:
            if old.principal != r["principal"]:
                rows.error(
                    number,
                    "归还本金（元）",
                    f"该日已登记还款{old.principal:,.2f}元，与文件不一致（不会覆盖）",
                )
            else:
                plan.unchanged += 1
            continue
        if reason := refusal("repayment", frozen.get(loan.pk), r["repaid_on"]):
            rows.error(number, "还款日期", reason)
            continue
        if repaid[loan.pk] + r["principal"] > loan.principal:
            rows.error(
                number,
                "归还本金（元）",
                f"累计归还本金{repaid[loan.pk] + r['principal']:,.2f}元，超过放款金额{loan.principal:,.2f}元",
            )
            continue
        repaid[loan.pk] += r["principal"]
        new.append(
            Repayment(
                loan=loan,
                repaid_on=r["repaid_on"],
                principal=r["principal"],
                created_by=context.actor,
            )
        )
        plan.created += 1
    plan.saver = bulk_saver(Repayment, new, context)
    return plan


def validate_interest(table: Table, context: ImportContext) -> Plan:
    from loans.services import interest_facts, interest_problems

    plan = Plan()
    rows = Rows(table, context, plan)
    parsed = []
    for number, values in rows:
        r = common_columns(rows, number, values)
        r["settled_on"] = rows.get(number, values, "结息日期", cells.date, not_after=rows.today)
        r["period_start"] = rows.get(number, values, "计息起始日", cells.date)
        r["period_end"] = rows.get(number, values, "计息截止日", cells.date)
        r["amount"] = rows.get(number, values, "利息金额（元）", cells.amount)
        r["overdue"] = rows.get(number, values, "是否逾期利息", cells.yes_no)
        parsed.append((number, r))
    loans = loans_for(rows, parsed)
    banks = banks_by_code(r["bank_code"] for _, r in parsed if r["bank_code"])
    existing = {
        (x.loan_id, x.period_start, x.period_end, x.is_overdue_interest): x
        for x in existing_records(
            InterestSettlement,
            [loan.pk for loan in loans.values()],
            **date_range("period_start", (r["period_start"] for _, r in parsed)),
        )
    }
    facts = interest_facts([loan.pk for loan in loans.values()])
    frozen = frozen_loans(loan.pk for loan in loans.values())
    seen: dict[Any, int] = {}
    new: list[InterestSettlement] = []
    for number, r in parsed:
        loan = resolve_loan(rows, number, r, loans, banks)
        if loan is None or None in (
            r["settled_on"],
            r["period_start"],
            r["period_end"],
            r["amount"],
            r["overdue"],
        ):
            continue
        if r["period_end"] < r["period_start"]:
            rows.error(number, "计息截止日", "计息截止日早于计息起始日")
            continue
        if r["period_start"] < loan.disbursement_date:
            rows.error(number, "计息起始日", f"早于放款日期{loan.disbursement_date:%Y-%m-%d}")
            continue
        if r["settled_on"] < r["period_start"]:
            rows.error(number, "结息日期", "结息日期早于计息起始日")
            continue
        key = (loan.pk, r["period_start"], r["period_end"], r["overdue"])
        if seen_twice(rows, seen, key, number, "计息起始日"):
            continue
        old = existing.get(key)
        if old is not None:
            if old.amount != r["amount"] or old.settled_on != r["settled_on"]:
                rows.error(
                    number,
                    "利息金额（元）",
                    f"该计息期已登记结息{old.amount:,.2f}元（结息日期{old.settled_on:%Y-%m-%d}），与文件不一致（不会覆盖）",
                )
            else:
                plan.unchanged += 1
            continue
        if reason := refusal("interest", frozen.get(loan.pk), r["settled_on"]):
            rows.error(number, "结息日期", reason)
            continue
        problems = interest_problems(
            loan=loan,
            period_start=r["period_start"],
            period_end=r["period_end"],
            amount=r["amount"],
            overdue=r["overdue"],
            facts=facts[loan.pk],
        )
        for column, message in problems:
            rows.error(number, column, message)
        if problems:
            continue
        facts[loan.pk].periods[r["overdue"]].append(
            (r["period_start"], r["period_end"], f"本文件第{number}行")
        )
        new.append(
            InterestSettlement(
                loan=loan,
                settled_on=r["settled_on"],
                period_start=r["period_start"],
                period_end=r["period_end"],
                amount=r["amount"],
                is_overdue_interest=r["overdue"],
                created_by=context.actor,
            )
        )
        plan.created += 1
    plan.saver = bulk_saver(InterestSettlement, new, context)
    return plan


def validate_overdue(table: Table, context: ImportContext) -> Plan:
    plan = Plan()
    rows = Rows(table, context, plan)
    parsed = []
    for number, values in rows:
        r = common_columns(rows, number, values)
        r["started_on"] = rows.get(number, values, "逾期起始日", cells.date, not_after=rows.today)
        r["principal"] = rows.get(number, values, "逾期本金（元）", cells.amount, allow_zero=True)
        r["interest"] = rows.get(number, values, "逾期利息（元）", cells.amount, allow_zero=True)
        r["cleared_on"] = rows.get(
            number, values, "结清日期", cells.date, required=False, not_after=rows.today
        )
        parsed.append((number, r))
    loans = loans_for(rows, parsed)
    banks = banks_by_code(r["bank_code"] for _, r in parsed if r["bank_code"])
    existing = {
        (x.loan_id, x.started_on): x
        for x in existing_records(
            OverdueEvent,
            [loan.pk for loan in loans.values()],
            **date_range("started_on", (r["started_on"] for _, r in parsed)),
        )
    }
    frozen = frozen_loans(loan.pk for loan in loans.values())
    seen: dict[Any, int] = {}
    new: list[OverdueEvent] = []
    clear: list[tuple[OverdueEvent, dt.date]] = []
    for number, r in parsed:
        loan = resolve_loan(rows, number, r, loans, banks)
        if loan is None or None in (r["started_on"], r["principal"], r["interest"]):
            continue
        if r["principal"] == 0 and r["interest"] == 0:
            rows.error(number, "逾期本金（元）", "逾期本金和逾期利息不能都为零")
            continue
        if r["started_on"] < loan.disbursement_date:
            rows.error(number, "逾期起始日", f"早于放款日期{loan.disbursement_date:%Y-%m-%d}")
            continue
        if r["cleared_on"] is not None and r["cleared_on"] < r["started_on"]:
            rows.error(number, "结清日期", "结清日期早于逾期起始日")
            continue
        if seen_twice(rows, seen, (loan.pk, r["started_on"]), number, "逾期起始日"):
            continue
        old = existing.get((loan.pk, r["started_on"]))
        if old is not None:
            if old.overdue_principal != r["principal"] or old.overdue_interest != r["interest"]:
                rows.error(
                    number, "逾期本金（元）", "该逾期已登记，逾期本金或利息与文件不一致（不会覆盖）"
                )
            elif old.cleared_on == r["cleared_on"]:
                plan.unchanged += 1
            elif old.cleared_on is None:
                info = frozen.get(loan.pk)
                if (
                    info is not None
                    and r["cleared_on"] <= info.run.cutoff
                    and (reason := refusal("overdue", info, old.started_on))
                ):
                    rows.error(number, "结清日期", reason)
                    continue
                clear.append((old, r["cleared_on"]))
                plan.updated += 1
            else:
                rows.error(
                    number,
                    "结清日期",
                    f"该逾期已登记于{old.cleared_on:%Y-%m-%d}结清，与文件不一致（不会覆盖）",
                )
            continue
        if reason := refusal("overdue", frozen.get(loan.pk), r["started_on"]):
            rows.error(number, "逾期起始日", reason)
            continue
        new.append(
            OverdueEvent(
                loan=loan,
                started_on=r["started_on"],
                overdue_principal=r["principal"],
                overdue_interest=r["interest"],
                cleared_on=r["cleared_on"],
                created_by=context.actor,
            )
        )
        plan.created += 1
    creator = bulk_saver(OverdueEvent, new, context)

    def save(upload: RecordUpload | None) -> dict[str, list[int]]:
        result = creator(upload)
        for event, cleared_on in clear:
            OverdueEvent.objects.filter(pk=event.pk, cleared_on__isnull=True).update(
                cleared_on=cleared_on
            )
            log_action(
                actor=context.actor,
                action="loans.overdue.cleared",
                obj=event,
                data={"cleared_on": cleared_on},
            )
        return result | {"cleared": [e.pk for e, _ in clear]}

    plan.saver = save
    return plan


# ── post-loan reports (Changjiang 第十条) ─────────────────────────────────────

REPORT_STATUS = {
    "正常": PostLoanReport.Status.NORMAL,
    "关注": PostLoanReport.Status.WATCH,
    "有风险": PostLoanReport.Status.RISK,
}


def whole_number(value: Any, *, low: int, high: int) -> int:
    """A year or a quarter: a whole number (an Excel number or text) between `low` and `high`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("必填，不能为空")
    if isinstance(value, bool):
        raise ValueError(f"“{value}”不是整数")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"“{value!r}”不是整数")
        value = int(value)
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError(f"“{value}”不是整数")
        value = int(value)
    text = str(value).strip()
    if not text.isdigit() or len(text) > 4:
        raise ValueError(f"“{text[:20]}”不是整数")
    number = int(text)
    if not low <= number <= high:
        raise ValueError(f"应在{low}至{high}之间")
    return number


def report_status(value: Any) -> str:
    word = cells.text(value, max_length=10)
    if word not in REPORT_STATUS:
        raise ValueError(f"“{word}”应填“正常”“关注”或“有风险”")
    return REPORT_STATUS[word]


def validate_reports(table: Table, context: ImportContext) -> Plan:
    """Changjiang 第十条: the lending bank's report on each loan for a quarter of its term, once per quarter.

    The checks are those of the form (`loans.services.post_loan_report_file`): the bank's own
    loan, quarter 1–4, not a future quarter, within the term; a quarter already reported with
    the same text is unchanged, with other text a row error (never an overwrite).
    """
    plan = Plan()
    rows = Rows(table, context, plan)
    parsed = []
    for number, values in rows:
        r = common_columns(rows, number, values)
        r["year"] = rows.get(number, values, "年度", whole_number, low=2000, high=2100)
        r["quarter"] = rows.get(number, values, "季度", whole_number, low=1, high=4)
        r["status"] = rows.get(number, values, "评估结论", report_status)
        r["operations"] = rows.get(
            number, values, "企业经营及贷款资金使用情况", cells.text, max_length=5000
        )
        r["repayment"] = (
            rows.get(number, values, "还本付息情况", cells.text, required=False, max_length=5000)
            or ""
        )
        r["risks"] = (
            rows.get(
                number,
                values,
                "发现的风险及采取的措施",
                cells.text,
                required=False,
                max_length=5000,
            )
            or ""
        )
        parsed.append((number, r))
    loans = loans_for(rows, parsed)
    banks = banks_by_code(r["bank_code"] for _, r in parsed if r["bank_code"])
    existing = {
        (x.loan_id, x.year, x.quarter): x
        for x in existing_records(PostLoanReport, [loan.pk for loan in loans.values()])
    }
    seen: dict[Any, int] = {}
    new: list[PostLoanReport] = []
    for number, r in parsed:
        loan = resolve_loan(rows, number, r, loans, banks)
        if loan is None or None in (r["year"], r["quarter"], r["status"], r["operations"]):
            continue
        problem = check_report_quarter(
            year=r["year"],
            quarter=r["quarter"],
            today=rows.today,
            disbursed=loan.disbursement_date,
            maturity=loan.maturity_date,
        )
        if problem:
            rows.error(number, "季度", problem)
            continue
        key = (loan.pk, r["year"], r["quarter"])
        if seen_twice(rows, seen, key, number, "季度"):
            continue
        old = existing.get(key)
        if old is not None:
            if (old.status, old.operations, old.repayment, old.risks) != (
                r["status"],
                r["operations"],
                r["repayment"],
                r["risks"],
            ):
                rows.error(
                    number,
                    "评估结论",
                    f"{r['year']}年第{r['quarter']}季度的贷后报告已报送，与文件不一致（不会覆盖）",
                )
            else:
                plan.unchanged += 1
            continue
        new.append(
            PostLoanReport(
                loan=loan,
                year=r["year"],
                quarter=r["quarter"],
                status=r["status"],
                operations=r["operations"],
                repayment=r["repayment"],
                risks=r["risks"],
                filed_by=context.actor,
            )
        )
        plan.created += 1

    def save(upload: RecordUpload | None) -> dict[str, list[int]]:
        from loans.services import post_loan_reports_notify

        # bulk_create returns the ids on PostgreSQL and SQLite ≥ 3.35, as Django documents.
        PostLoanReport.objects.bulk_create(new, batch_size=2000)
        for report in new:
            log_action(
                actor=context.actor,
                action="loans.post_loan_report.filed",
                obj=report,
                data={
                    "loan": report.loan.contract_no,
                    "year": report.year,
                    "quarter": report.quarter,
                    "status": report.status,
                    "upload": str(upload.public_id) if upload else "",
                },
            )
        post_loan_reports_notify(new)
        return {"reports": [report.pk for report in new]}

    plan.saver = save
    return plan


def bulk_saver(
    model: Any, new: list[Any], context: ImportContext
) -> Callable[[RecordUpload | None], dict[str, list[int]]]:
    def save(upload: RecordUpload | None) -> dict[str, list[int]]:
        for record in new:
            record.upload = upload
        model.objects.bulk_create(new, batch_size=2000)
        return {}  # the records point to their upload

    return save


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "banks",
            gettext_lazy("Banks and agreements"),
            ("银行代码", "银行名称", "合作协议起始日", "合作协议到期日"),
            ("协议编号",),
            GOVERNMENT_ROLES,
            ("bank-icbc-xs", "中国工商银行西市区支行", "2025-01-01", "2027-12-31"),
            ("银行代码：字母、数字、短横线", "日期：Excel日期或“年-月-日”文本，如2026-03-15"),
            validate_banks,
        ),
        Kind(
            "enterprises",
            gettext_lazy("Program list of enterprises"),
            ("统一社会信用代码", "企业名称", "注册地"),
            (),
            GOVERNMENT_ROLES,
            ("91330800MA2XXXXXXX", "衢州某某科技有限公司", "市本级"),
            ("注册地：本计划的注册地名称之一（衢州：市本级、智造新城、智慧新城等）",),
            validate_enterprises,
        ),
        Kind(
            "disbursements",
            gettext_lazy("Disbursements"),
            (
                "贷款合同编号",
                "银行代码",
                "统一社会信用代码",
                "合同签订日期",
                "放款日期",
                "到期日期",
                "放款金额（元）",
                "年利率（%）",
            ),
            ("产品类型", "贷款用途", "申请编号"),
            BANK_ROLES,
            (
                "HT-2026-001",
                "本行银行代码",
                "91330800MA2XXXXXXX",
                "2025-12-28",
                "2026-01-05",
                "2027-01-04",
                "1,000,000.00",
                "3.0000",
            ),
            (
                "金额：元，最多两位小数，可带千分位",
                "年利率：百分数，如3.1表示3.1%",
                "合同签订日期：借款合同的签订日；利率按当日同期同档次LPR核定（衢州方案一(六)），不得晚于放款日期",
                "放款日期不能是将来的日期",
            ),
            validate_disbursements,
        ),
        Kind(
            "repayments",
            gettext_lazy("Repayments"),
            ("贷款合同编号", "银行代码", "还款日期", "归还本金（元）"),
            (),
            BANK_ROLES,
            ("HT-2026-001", "本行银行代码", "2026-07-05", "200,000.00"),
            ("同一贷款同一日只能有一条还款",),
            validate_repayments,
        ),
        Kind(
            "interest",
            gettext_lazy("Interest settlements"),
            (
                "贷款合同编号",
                "银行代码",
                "结息日期",
                "计息起始日",
                "计息截止日",
                "利息金额（元）",
                "是否逾期利息",
            ),
            (),
            BANK_ROLES,
            (
                "HT-2026-001",
                "本行银行代码",
                "2026-03-21",
                "2026-01-05",
                "2026-03-20",
                "7,250.00",
                "否",
            ),
            ("是否逾期利息：填“是”或“否”（逾期期间的利息不予贴息，衢州方案四）",),
            validate_interest,
        ),
        Kind(
            "overdue",
            gettext_lazy("Overdue events"),
            (
                "贷款合同编号",
                "银行代码",
                "逾期起始日",
                "逾期本金（元）",
                "逾期利息（元）",
                "结清日期",
            ),
            (),
            BANK_ROLES,
            ("HT-2026-001", "本行银行代码", "2026-08-05", "100,000.00", "0", ""),
            ("结清日期：尚未结清的留空；结清后再次导入同一行并填上结清日期",),
            validate_overdue,
        ),
        Kind(
            "reports",
            gettext_lazy("Post-loan management reports"),
            (
                "贷款合同编号",
                "银行代码",
                "年度",
                "季度",
                "评估结论",
                "企业经营及贷款资金使用情况",
            ),
            ("还本付息情况", "发现的风险及采取的措施"),
            (Role.BANK,),
            (
                "HT-2026-001",
                "本行银行代码",
                "2026",
                "1",
                "正常",
                "经营正常，贷款用于研发投入",
                "按期付息",
                "",
            ),
            (
                "评估结论：填“正常”“关注”或“有风险”（昌江细则第十条）",
                "每笔贷款每季度一份；季度须已开始且在贷款期限内",
            ),
            validate_reports,
        ),
    )
}
