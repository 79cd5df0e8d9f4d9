"""Operations on loans. Views, imports and the review workflow call these, never the ORM directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applications import lifecycle
from applications.models import (
    Application,
    Enterprise,
    ProductType,
    Program,
    ProgramListing,
    ProgramVersion,
)
from kedaitong import programs
from kedaitong.annualized import annualized_by_year
from kedaitong.audit import log_action
from kedaitong.db import MoneySum
from kedaitong.errors import NotAllowed, Refused
from kedaitong.models import User
from kedaitong.money import format_yuan
from kedaitong.roles import Role
from loans import rules
from loans.models import (
    Bank,
    InterestSettlement,
    Loan,
    LoanDocument,
    MaturityReminder,
    PostLoanReport,
    RecordUpload,
)

# The LPR table is the subsidy app's (四(一) reads it most); registration reads it for every loan's pricing.
from subsidy.models import LPRMissing, lpr_on


class LoanRefused(Refused):
    """A loan breaks a registration rule; `problems` lists every reason, in Chinese."""


class RegistrationContext:
    """Facts shared by the rows of one import: the program's annualized totals and the loans earlier in the file.

    The caps of Quzhou 一(四) and 一(五) count loans of the same file that are
    not saved yet, so a file cannot break a cap by splitting it over rows.
    """

    def __init__(self, program: Program) -> None:
        self.program = program
        self._program_totals: dict[int, Decimal] | None = None
        self.pending: list[
            tuple[str, int, str, Decimal, dt.date, dt.date]
        ] = []  # credit code, bank, bank name, ...
        self.disbursed: dict[
            int, str
        ] = {}  # application id → contract number of a loan earlier in the file

    def program_totals(self) -> dict[int, Decimal]:
        if self._program_totals is None:
            self._program_totals = rules.annualized_totals(
                Loan.objects.filter(program_version__program=self.program).values_list(
                    "principal", "disbursement_date", "maturity_date"
                )
            )
        return self._program_totals

    def add(
        self,
        *,
        credit_code: str,
        bank: Bank,
        principal: Decimal,
        start: dt.date,
        end: dt.date,
        application: Application | None = None,
        contract_no: str = "",
    ) -> None:
        if application is not None:
            self.disbursed[application.pk] = contract_no
        totals = self.program_totals()
        for year, amount in annualized_by_year(principal, start, end).items():
            totals[year] = totals.get(year, Decimal("0")) + amount
        self.pending.append((credit_code, bank.pk, bank.name, principal, start, end))


def registration_problems(
    *,
    program_version: ProgramVersion,
    enterprise: Enterprise | None,
    credit_code: str,
    bank: Bank,
    contract_no: str,
    disbursement_date: dt.date,
    maturity_date: dt.date,
    principal: Decimal,
    annual_rate: Decimal,
    application: Application | None = None,
    context: RegistrationContext | None = None,
    contract_date: dt.date | None = None,
) -> tuple[list[str], Decimal | None]:
    """Every rule a new loan breaks (in Chinese), and the LPR in force at pricing.

    Pricing is the signing of the contract (Quzhou 一(六) 同期同档次): the LPR is
    the one in force on `contract_date` (the disbursement date when not given).
    `enterprise` may be None for a listed enterprise without a record yet (the
    importer creates it from the listing); `credit_code` names it either way.
    """
    version = program_version
    program = version.program
    problems: list[str] = []  # each a rules.Problem naming its field (the importer's column)
    contract_date = contract_date or disbursement_date
    if contract_date > disbursement_date:
        problems.append(
            rules.Problem(
                f"合同签订日期{contract_date:%Y-%m-%d}晚于放款日期{disbursement_date:%Y-%m-%d}，请核对",
                "contract_date",
            )
        )
    if maturity_date <= disbursement_date:
        problems.append(rules.Problem("到期日期必须晚于放款日期", "maturity_date"))
    if principal <= 0:
        problems.append(rules.Problem("放款金额必须大于零", "principal"))
    if Loan.objects.filter(bank=bank, contract_no=contract_no).exists():
        problems.append(rules.Problem(f"贷款合同编号“{contract_no}”在本行已存在", "contract_no"))
    # Every kind's bars (Changjiang 第九条 blacklist in any program, Quzhou 六 fraud records in its own).
    for bar in programs.bars(enterprise=enterprise, bank=bank, program=program):
        problems.append(rules.Problem(bar.message, "bank" if bar.on_bank else "credit_code"))
    lpr = None
    if maturity_date > disbursement_date:
        try:
            lpr = lpr_on(
                contract_date,
                rules.term_months(disbursement_date, maturity_date),
                long_tier_above_months=version.lpr_long_tier_above_months,
            )
        except LPRMissing as exc:
            if version.rate_capped_by_lpr:
                problems.append(rules.Problem(str(exc), "annual_rate"))
    if problems:
        return problems, lpr
    if problem := rules.on("principal", rules.check_max_amount(principal, version.max_amount)):
        problems.append(problem)
    kind_rules = programs.spec(program).registration_problems
    if kind_rules is not None:
        problems += kind_rules(
            version=version,
            enterprise=enterprise,
            credit_code=credit_code,
            bank=bank,
            disbursement_date=disbursement_date,
            maturity_date=maturity_date,
            principal=principal,
            annual_rate=annual_rate,
            lpr=lpr,
            application=application,
            context=context,
            contract_date=contract_date,
        )
    return problems, lpr


@transaction.atomic
def loan_register(
    *,
    actor: User | None,
    program_version: ProgramVersion,
    enterprise: Enterprise,
    bank: Bank,
    contract_no: str,
    disbursement_date: dt.date,
    maturity_date: dt.date,
    principal: Decimal,
    annual_rate: Decimal,
    application: Application | None = None,
    product_type: ProductType | None = None,
    purpose: str = "",
    request: HttpRequest | None = None,
    contract_date: dt.date | None = None,
) -> Loan:
    """Open a loan at disbursement, priced against the LPR in force on the contract's signing date.

    `contract_date` (Quzhou 一(六) 同期同档次) defaults to the disbursement date
    for callers that do not know it, so the keyword interface stays as it was.

    The registration rules of each program (Quzhou 一(二)–(六), Changjiang
    第一条, 第六条(二), 第八条, 第九条) are checked here and raise `LoanRefused`
    listing every problem. The program row is locked so that two banks
    registering at once cannot both pass the all-banks cap.
    """
    lifecycle.lock_program(program_version.program_id)
    if application is not None:
        # Locked before the entry below takes the audit chain's lock (`lifecycle.lock_program` gives the order):
        # the application then takes its `disburse` step.
        lifecycle.lock(application)
    problems, lpr = registration_problems(
        program_version=program_version,
        enterprise=enterprise,
        credit_code=enterprise.credit_code,
        bank=bank,
        contract_no=contract_no,
        disbursement_date=disbursement_date,
        maturity_date=maturity_date,
        principal=principal,
        annual_rate=annual_rate,
        application=application,
        contract_date=contract_date,
    )
    if problems:
        raise LoanRefused(problems)
    loan = Loan.objects.create(
        program_version=program_version,
        enterprise=enterprise,
        bank=bank,
        application=application,
        contract_no=contract_no,
        contract_date=contract_date or disbursement_date,
        disbursement_date=disbursement_date,
        maturity_date=maturity_date,
        principal=principal,
        annual_rate=annual_rate,
        lpr_at_pricing=lpr,
        product_type=product_type,
        purpose=purpose,
    )
    log_action(
        actor=actor,
        action="loans.loan.registered",
        obj=loan,
        data={"principal": principal, "contract_no": contract_no},
    )
    if application is not None:
        application_disbursement_take(
            actor=actor, application=application, loan=loan, request=request
        )
    return loan


def application_disbursement_take(
    *, actor: User | None, application: Application, loan: Loan, request: HttpRequest | None = None
) -> Application:
    """The loan of a granted credit has opened, so the application is disbursed (Changjiang 第八条, Quzhou 二).

    The one step after a disbursement, whether the bank typed it on the application's page
    (`application_disburse`), on the one-loan form, or imported it (`import_records disbursements`): the
    application is locked, must have its credit granted with this loan as its only one, and takes the
    `disburse` step of its kind's workflow (applications.lifecycle: audit row, notifications).
    The caller holds the transaction and has checked who may act.
    """
    lifecycle.lock(application)
    application.refresh_from_db()  # the state under the lock (the caller's copy follows the transition)
    locked = application
    others = list(
        Loan.objects.filter(application=locked)
        .exclude(pk=loan.pk)
        .values_list("contract_no", flat=True)
    )
    if problem := rules.check_not_disbursed(others):
        raise LoanRefused([problem])
    if not (lifecycle.possible(locked, "disburse") and can_proceed(locked.disburse)):
        raise LoanRefused([f"该申请当前为“{locked.get_state_display()}”，尚未取得授信，不能放款"])
    lifecycle.step(
        locked,
        "disburse",
        actor=actor,
        check_role=False,
        request=request,
        data={
            "loan": loan.pk,
            "contract_no": loan.contract_no,
            "principal": str(loan.principal),
            "upload": str(loan.upload.public_id) if loan.upload is not None else "",
        },
    )
    return locked


def loan_disbursement_report(
    *,
    actor: User,
    program: Program,
    credit_code: str,
    contract_no: str,
    disbursement_date: dt.date,
    maturity_date: dt.date,
    principal: Decimal,
    annual_rate: Decimal,
    product_type: ProductType | None = None,
    purpose: str = "",
    contract_date: dt.date | None = None,
) -> Loan:
    """Quzhou 二: a bank that approved a loan on its own reports one disbursement (the web form's one-row import).

    The version in force on the disbursement date applies; an enterprise on the program's list without a record
    yet is created from the listing, only once every registration rule has passed.
    """
    from applications import credit_code as codes

    bank = actor.bank
    if bank is None:
        raise LoanRefused(["只有合作银行可以登记放款"])
    credit_code = credit_code.strip().upper()
    if problem := codes.validate(credit_code):
        raise LoanRefused([problem])
    if disbursement_date > timezone.localdate():
        raise LoanRefused(["放款日期不能是将来的日期"])
    if contract_date is not None and contract_date > timezone.localdate():
        raise LoanRefused(["合同签订日期不能是将来的日期"])
    with transaction.atomic():
        lifecycle.lock_program(program.pk)
        version = program.version_on(disbursement_date)
        if version is None:
            raise LoanRefused([f"{disbursement_date:%Y-%m-%d}不在本计划任何版本的施行期内"])
        if version.needs_recommendation:
            raise LoanRefused(["本计划的贷款须经推荐和授信，请在申请页面办理放款"])
        enterprise = Enterprise.objects.filter(credit_code=credit_code).first()
        if enterprise is None:
            listing = ProgramListing.objects.filter(
                program=program, credit_code=credit_code
            ).first()
            if listing is None:
                raise LoanRefused(["该企业未在系统中登记，也不在本计划的企业名单中"])
            problems, _lpr = registration_problems(
                program_version=version,
                enterprise=None,
                credit_code=credit_code,
                bank=bank,
                contract_no=contract_no,
                disbursement_date=disbursement_date,
                maturity_date=maturity_date,
                principal=principal,
                annual_rate=annual_rate,
                contract_date=contract_date,
            )
            if problems:
                raise LoanRefused(problems)
            enterprise = Enterprise.objects.create(
                credit_code=credit_code,
                name=listing.name,
                registration_place=listing.registration_place,
            )
        # The enterprise's application at this bank whose credit waits for its loan (二), if it applied here.
        application = (
            Application.objects.filter(
                program_version__program=program,
                enterprise=enterprise,
                bank=bank,
                state=Application.State.CREDIT_GRANTED,
            )
            .order_by("-updated_at")
            .first()
        )
        return loan_register(
            actor=actor,
            program_version=version,
            enterprise=enterprise,
            bank=bank,
            contract_no=contract_no,
            disbursement_date=disbursement_date,
            maturity_date=maturity_date,
            principal=principal,
            annual_rate=annual_rate,
            application=application,
            product_type=product_type,
            purpose=purpose,
            contract_date=contract_date,
        )


@transaction.atomic
def application_disburse(
    *,
    actor: User,
    application: Application,
    contract_no: str,
    disbursement_date: dt.date,
    maturity_date: dt.date,
    principal: Decimal,
    annual_rate: Decimal,
    voucher: UploadedFile | None = None,
    seen_state: str | None = None,
    request: HttpRequest | None = None,
    contract_date: dt.date | None = None,
) -> Loan:
    """The bank disburses the credit it granted: the loan opens, linked to the application, which is disbursed.

    Changjiang 第八条: after publicity granted the credit. Quzhou 二: after the bank's 同意放贷意见书; the bank
    issues the disbursement voucher (放款凭证) and reports 附件1 and the voucher to the city bureau, so the voucher
    given here is filed with the loan and the report is made at once (`application_report`).
    """
    # The program's row before the application's (`lifecycle.lock_program`): a disbursements file holds its program
    # and then locks the applications it disburses, and the other order deadlocked with such a file.
    lifecycle.lock_program(application.program_version.program_id)
    application = lifecycle.lock(application, seen_state)
    if not lifecycle.possible(application, "disburse"):
        raise lifecycle.StepRefused(
            _("This step is not possible while the application is “%(state)s”.")
            % {"state": application.get_state_display()}
        )
    if not lifecycle.permitted(application, "disburse", actor):
        raise lifecycle.StepNotAllowed()
    granted = granted_credit(application)
    if granted is not None and principal > granted:
        raise LoanRefused(
            [
                _("The principal exceeds the credit granted (%(amount)s yuan, %(source)s).")
                % {
                    "amount": format_yuan(granted),
                    "source": programs.cite(application, "granted_credit"),
                }
            ]
        )
    if application.bank is None:
        raise LoanRefused([_("The application names no bank.")])
    loan = loan_register(
        actor=actor,
        program_version=application.program_version,
        enterprise=application.enterprise,
        bank=application.bank,
        contract_no=contract_no,
        disbursement_date=disbursement_date,
        maturity_date=maturity_date,
        principal=principal,
        annual_rate=annual_rate,
        application=application,
        product_type=application.product_type,
        purpose=application.purpose,
        request=request,
        contract_date=contract_date,
    )  # loan_register takes the `disburse` step, the same one an imported disbursement takes
    if voucher is not None:
        application.refresh_from_db()
        application_report(actor=actor, application=application, voucher=voucher, request=request)
    return loan


def granted_credit(application: Application) -> Decimal | None:
    """The credit the bank granted, as the application's kind defines it; None before."""
    hook = programs.spec(application).granted_credit
    return hook(application) if hook is not None else None


@transaction.atomic
def application_report(
    *,
    actor: User,
    application: Application,
    voucher: UploadedFile | None = None,
    note: str = "",
    seen_state: str | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """Quzhou 二: the lending bank reports 附件1 (kept at submission) and the disbursement voucher to the city bureau.

    The voucher is filed with the loan (kept, never replaced; the latest counts). After the bureau asked for a
    correction the bank says what it corrected (`note`) and reports again.
    """
    application = lifecycle.lock(application, seen_state)
    if not lifecycle.possible(application, "report"):
        raise lifecycle.StepRefused(
            _("This step is not possible while the application is “%(state)s”.")
            % {"state": application.get_state_display()}
        )
    if not lifecycle.permitted(application, "report", actor):
        raise lifecycle.StepNotAllowed()
    note = note.strip()
    if application.state == Application.State.CORRECTION_REQUESTED and not note:
        raise LoanRefused([_("Say what was corrected before reporting again.")])
    loan = Loan.objects.filter(application=application).first()
    if loan is None:
        raise LoanRefused([_("The application has no loan yet.")])
    if voucher is not None:
        loan_document_file(
            actor=actor, loan=loan, kind=LoanDocument.Kind.DISBURSEMENT_VOUCHER, upload=voucher
        )
    if not LoanDocument.objects.filter(
        loan=loan, kind=LoanDocument.Kind.DISBURSEMENT_VOUCHER
    ).exists():
        raise LoanRefused(
            [_("Attach the disbursement voucher (放款凭证) to the report (Quzhou 二).")]
        )
    lifecycle.step(
        application,
        "report",
        actor=actor,
        comment=note,
        data={"loan": loan.contract_no},
        request=request,
    )
    return application


# ── interest settlements: one set of checks for the upload and the form (issue 16 item 3) ──────────


@dataclass
class InterestFacts:
    """What the plausibility checks of one loan's interest rows read: its repayments and the periods
    already settled (per kind: False ordinary, True overdue-period), each with where it is recorded."""

    repayments: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    periods: dict[bool, list[tuple[dt.date, dt.date, str]]] = field(
        default_factory=lambda: {False: [], True: []}
    )


def interest_facts(loan_ids: list[int]) -> dict[int, InterestFacts]:
    """The facts of many loans in a few queries (the importer calls this once per file)."""
    from loans.models import InterestSettlement, Repayment

    facts: dict[int, InterestFacts] = {pk: InterestFacts() for pk in loan_ids}
    ids = list(facts)
    for start in range(0, len(ids), 900):
        part = ids[start : start + 900]
        for loan_id, day, amount in Repayment.objects.filter(loan_id__in=part).values_list(
            "loan_id", "repaid_on", "principal"
        ):
            facts[loan_id].repayments.append((day, amount))
        for loan_id, first, last, overdue, settled in InterestSettlement.objects.filter(
            loan_id__in=part
        ).values_list("loan_id", "period_start", "period_end", "is_overdue_interest", "settled_on"):
            facts[loan_id].periods[overdue].append(
                (first, last, f"已登记的结息（{settled:%Y-%m-%d}结息）")
            )
    return facts


def interest_problems(
    *,
    loan: Loan,
    period_start: dt.date,
    period_end: dt.date,
    amount: Decimal,
    overdue: bool,
    facts: InterestFacts,
) -> list[tuple[str, str]]:
    """Every reason a new interest row is implausible, as (column of the template, message in Chinese).

    The period lies within the loan's life, overlaps no other period of the same
    kind, and the amount is at most outstanding principal × rate × days ÷ 360
    (`loans.rules.interest_bound`). The upload and the web form both call this.
    """
    found: list[tuple[str, str]] = []
    if problem := rules.check_interest_period(
        start=period_start,
        end=period_end,
        disbursement=loan.disbursement_date,
        maturity=loan.maturity_date,
        overdue=overdue,
    ):
        column = "计息起始日" if period_start < loan.disbursement_date else "计息截止日"
        found.append((column, problem))
    if problem := rules.check_interest_overlap(
        period_start, period_end, facts.periods[overdue], overdue=overdue
    ):
        found.append(("计息起始日", problem))
    if problem := rules.check_interest_amount(
        amount,
        principal=loan.principal,
        repayments=facts.repayments,
        annual_rate=loan.annual_rate,
        start=period_start,
        end=period_end,
        overdue=overdue,
    ):
        found.append(("利息金额（元）", problem))
    return found


class RecordRefused(Refused):
    """A bank record typed on a form breaks a rule; `problems` are (form field or "", message in Chinese)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__([message for _field, message in problems])
        self.field_problems = problems
        self.problems = problems  # type: ignore[assignment]


INTEREST_FIELDS = {
    "结息日期": "settled_on",
    "计息起始日": "period_start",
    "计息截止日": "period_end",
    "利息金额（元）": "amount",
}


def interest_settlement_record(
    *,
    actor: User,
    loan: Loan,
    settled_on: dt.date,
    period_start: dt.date,
    period_end: dt.date,
    amount: Decimal,
    is_overdue_interest: bool,
    request: HttpRequest | None = None,
) -> InterestSettlement:
    """One interest settlement typed by the lending bank: the upload's checks, row for row.

    Refused (`RecordRefused`, every problem at once): a date in the future, a period
    out of order, the same period already recorded, a settlement an audited subsidy
    run was computed from (`subsidy.guards`), and an implausible row
    (`interest_problems`: outside the loan's life, overlapping, above the bound).
    """
    from subsidy.guards import frozen_loans, refusal

    if actor.bank_id is None or actor.bank_id != loan.bank_id:
        raise RecordRefused([("", "只有放款银行可以登记该贷款的结息")])
    problems: list[tuple[str, str]] = []
    if settled_on > timezone.localdate():
        problems.append(("settled_on", f"{settled_on:%Y-%m-%d}是将来的日期"))
    if period_end < period_start:
        problems.append(("period_end", "计息截止日早于计息起始日"))
    elif settled_on < period_start:
        problems.append(("settled_on", "结息日期早于计息起始日"))
    if problems:
        raise RecordRefused(problems)
    with transaction.atomic():
        Loan.objects.select_for_update(no_key=True).filter(pk=loan.pk).first()
        same = InterestSettlement.objects.filter(
            loan=loan,
            period_start=period_start,
            period_end=period_end,
            is_overdue_interest=is_overdue_interest,
        ).first()
        if same is not None:
            raise RecordRefused(
                [
                    (
                        "period_start",
                        f"该计息期已登记结息{same.amount:,.2f}元（结息日期{same.settled_on:%Y-%m-%d}）",
                    )
                ]
            )
        if reason := refusal("interest", frozen_loans([loan.pk]).get(loan.pk), settled_on):
            raise RecordRefused([("settled_on", reason)])
        found = interest_problems(
            loan=loan,
            period_start=period_start,
            period_end=period_end,
            amount=amount,
            overdue=is_overdue_interest,
            facts=interest_facts([loan.pk])[loan.pk],
        )
        if found:
            raise RecordRefused([(INTEREST_FIELDS.get(c, ""), m) for c, m in found])
        settlement = InterestSettlement.objects.create(
            loan=loan,
            settled_on=settled_on,
            period_start=period_start,
            period_end=period_end,
            amount=amount,
            is_overdue_interest=is_overdue_interest,
            created_by=actor,
        )
        log_action(
            actor=actor,
            action="loans.interest.recorded",
            obj=settlement,
            request=request,
            data={
                "loan": loan.contract_no,
                "period": f"{period_start:%Y-%m-%d}..{period_end:%Y-%m-%d}",
                "amount": str(amount),
                "overdue_interest": is_overdue_interest,
            },
        )
    return settlement


# ── uploads of bank records (web) ─────────────────────────────────────────────

INLINE_MAX_BYTES = (
    256 * 1024
)  # smaller files are checked and saved during the request; larger ones by a job


class UploadError(Refused):
    pass


class UploadNotAllowed(UploadError, NotAllowed):
    pass


def upload_receive(
    *, actor: User, kind: str, program: Program, data: bytes, filename: str
) -> RecordUpload:
    """Keep the file, then check every row: at once for a small file, in a background job for a large one."""
    from kedaitong.jobs import job_enqueue
    from loans import tasks
    from loans.importer import context_for, store_upload

    context = context_for(kind=kind, program=program, actor=actor)
    inline = len(data) <= INLINE_MAX_BYTES
    # A small file is kept and checked in one transaction: a process killed midway leaves no upload
    # "being checked" for ever, and the clerk, whose request failed, sends the file again.
    with transaction.atomic():
        if inline:
            # The program's row (the check takes it, run_import) before the receipt's audit entry below, in the order
            # `lifecycle.lock_program` gives: taken the other way round, a save of the same program, which holds the
            # row and then logs, deadlocked with this receipt on PostgreSQL (the scale-out run of 2026-12-05).
            lifecycle.lock_program(program.pk)
        upload = store_upload(kind=kind, data=data, filename=filename, context=context)
        log_action(
            actor=actor,
            action="loans.upload.received",
            obj=upload,
            data={"kind": kind, "checksum": upload.checksum, "file": upload.original_name},
        )
        if not inline:
            upload.job = job_enqueue(
                owner=actor,
                task=tasks.import_upload,
                params={"upload": upload.pk, "commit": False},
                title=f"检查{upload.get_kind_display()}：{upload.original_name}",
            )
            upload.save(update_fields=["job"])
            return upload
        try:
            with transaction.atomic():
                upload_process(upload=upload, commit=False)
        except (
            Exception
        ) as exc:  # a bug or an unforeseen value: the upload says so instead of a 500
            upload_fail(upload=upload, exc=exc)
    upload.refresh_from_db()
    return upload


def upload_fail(*, upload: RecordUpload, exc: BaseException) -> None:
    """An unexpected error while checking or saving: nothing was saved; the upload is failed, with the reason.

    Without this an upload stayed "being checked" for ever. The error is logged
    in full for the administrator; the uploader sees its type and text.
    """
    import logging

    logging.getLogger("kedaitong.uploads").error(
        "upload %s failed", upload.public_id, exc_info=(type(exc), exc, exc.__traceback__)
    )
    from loans.importer.engine import printable

    reason = printable(
        f"处理时发生意外错误，文件未保存（{type(exc).__name__}：{exc}）；请联系系统管理员"
    )
    RecordUpload.objects.filter(pk=upload.pk).exclude(state=RecordUpload.State.SAVED).update(
        state=RecordUpload.State.FAILED,
        errors=[{"row": 0, "column": "", "message": reason[:500]}],
        error_count=0,
    )
    log_action(
        actor=None,
        action="loans.upload.failed",
        obj=upload,
        data={"error": reason[:500]},
    )


def upload_process(
    *, upload: RecordUpload, commit: bool, progress: Callable[[int, int], None] | None = None
) -> None:
    """Check every row of a kept upload; with `commit`, save them all in one transaction (else the preview)."""
    from loans.importer import context_for, run_import

    context = context_for(kind=upload.kind, program=upload.program, actor=upload.uploaded_by)
    context.progress = progress
    run_import(
        kind=upload.kind,
        data=_read(upload),
        filename=upload.original_name,
        context=context,
        commit=commit,
        source=upload.source,
        upload=upload,
    )


def upload_confirm(*, actor: User, upload: RecordUpload) -> RecordUpload:
    """Save a checked upload: every row is checked again against today's records, then all are saved or none."""
    from kedaitong.jobs import job_enqueue
    from loans import tasks

    if upload.uploaded_by_id != actor.pk:
        raise UploadNotAllowed("只有上传人可以确认保存")

    def take() -> None:
        taken = RecordUpload.objects.filter(pk=upload.pk, state=RecordUpload.State.CHECKED).update(
            state=RecordUpload.State.SAVING
        )
        if taken != 1:
            raise UploadError("该文件当前不能保存（可能已保存、已被拒绝或正在处理）")

    if upload.size > INLINE_MAX_BYTES:
        with transaction.atomic():
            take()
            job = job_enqueue(
                owner=actor,
                task=tasks.import_upload,
                params={"upload": upload.pk, "commit": True},
                title=f"保存{upload.get_kind_display()}：{upload.original_name}",
            )
            RecordUpload.objects.filter(pk=upload.pk).update(job=job)
    else:
        # Taken and saved in one transaction: a process killed midway leaves the upload checked, to be
        # confirmed again, never "being saved" for ever (the scale-out run kills an instance mid-request).
        try:
            with transaction.atomic():
                take()
                upload.refresh_from_db()
                upload_process(upload=upload, commit=True)
        except UploadError:
            raise
        except Exception as exc:
            # Nothing was saved (one transaction); the upload must not stay "being saved" for ever.
            upload_fail(upload=upload, exc=exc)
    upload.refresh_from_db()
    return upload


def upload_cancel(*, actor: User, upload: RecordUpload) -> None:
    if upload.uploaded_by_id != actor.pk:
        raise UploadNotAllowed("只有上传人可以撤销")
    if (
        RecordUpload.objects.filter(
            pk=upload.pk,
            state__in=[
                RecordUpload.State.CHECKED,
                RecordUpload.State.REFUSED,
                RecordUpload.State.FAILED,
            ],
        ).update(state=RecordUpload.State.CANCELLED)
        != 1
    ):
        raise UploadError("该文件当前不能撤销")
    log_action(actor=actor, action="loans.upload.cancelled", obj=upload)


def _read(upload: RecordUpload) -> bytes:
    with upload.file.open("rb") as f:
        return f.read()


# ── delinquency ──────────────────────────────────────────────────────────────


def delinquency_refresh(*, on: dt.date) -> dict[str, int]:
    """Store each loan's days past due and bucket on `on`; propose blacklist entries past six months.

    A loan's overdue periods are the bank's overdue events and, derived, the time
    past its maturity with principal outstanding (`loans.delinquency.past_maturity`):
    a loan matured unpaid is overdue from the next day even when the bank reported
    nothing. Only loans that may be overdue (an event, or matured unpaid) or that
    have a stored non-current state are looked at. Each loan is updated with a
    conditional update, so a second run the same day changes nothing.
    """
    from loans.delinquency import bucket_for, days_past_due, overdue_more_than_months
    from loans.selectors import overdue_candidates, overdue_spans_of

    loans = list(
        Loan.objects.filter(
            Q(pk__in=overdue_candidates(on).values("pk"))
            | ~Q(days_past_due=0, compensation_eligible=False)
        ).select_related("program_version__program", "enterprise", "bank")
    )
    spans_of = overdue_spans_of(loans, on)
    counts = {"loans": len(loans), "changed": 0, "eligible": 0, "proposed": 0}
    for loan in loans:
        spans = spans_of[loan.pk]
        days = days_past_due(spans, on)
        bucket = bucket_for(days)
        pool = loan.program_version.risk_compensation  # the version runs a risk compensation pool
        eligible = pool and overdue_more_than_months(spans, on, 1)
        counts["eligible"] += eligible
        changed = (
            Loan.objects.filter(pk=loan.pk)
            .exclude(days_past_due=days, bucket=bucket, compensation_eligible=eligible)
            .update(
                days_past_due=days,
                bucket=bucket,
                compensation_eligible=eligible,
                delinquency_as_of=on,
            )
        )
        if changed and (loan.bucket != bucket or loan.compensation_eligible != eligible):
            counts["changed"] += 1
            log_action(
                actor=None,
                action="loans.loan.delinquency_changed",
                obj=loan,
                from_state=loan.bucket,
                to_state=bucket,
                data={"days_past_due": days, "compensation_eligible": eligible, "on": on},
            )
        # A kind that keeps a blacklist proposes an entry past six months (Changjiang 第九条; review.services).
        long_overdue = programs.spec(loan.program_version).long_overdue
        if long_overdue is not None and overdue_more_than_months(spans, on, 6):
            with transaction.atomic():
                if long_overdue(loan=loan, days=days, on=on, spans=spans):
                    counts["proposed"] += 1
    return counts


def overdue_details(loan: Loan, spans: list[Any], on: dt.date, days: int) -> str:
    """Why the proposal was made, in the bureau's words: since when, how long, and whether the loan is
    past its maturity unpaid (derived) or reported overdue by the bank."""
    from loans.delinquency import overdue_since

    since = overdue_since(spans, on)
    derived = any(s.derived and s.started_on == since for s in spans)
    cause = (
        f"到期日{loan.maturity_date:%Y-%m-%d}后本金未还清"
        if derived
        else f"银行报送自{since:%Y-%m-%d}起逾期"
    )
    return (
        f"贷款{loan.contract_no}（{loan.bank}）{cause}，截至{on:%Y-%m-%d}逾期{days}天，"
        "超过合同还款期限6个月未归还"
    )


# ── maturity reminders (Changjiang 第十条 到期提示催收) ─────────────────────────


def maturity_reminders_send(*, on: dt.date, days: int) -> list[MaturityReminder]:
    """Changjiang 第十条 (合作银行…做好贷款到期的提示催收): remind each lending bank of its loans that mature soon.

    1. Loans with principal outstanding (principal − recorded repayments > 0) whose maturity falls from `on` to
       `on` + `days` (both included) and that have no reminder for that maturity yet: a run missed on some day
       is caught up by the next one, as long as the loan has not matured.
    2. Per loan, in its own transaction: the `MaturityReminder` row (unique per loan and maturity, so a second
       run or two at once remind nobody twice), an audit row, and the bank's users told (inbox, e-mail on
       commit).
    Returns the reminders written.
    """
    from django.db import IntegrityError

    from kedaitong.notifications import notify_users

    if days < 0:
        raise ValueError("days must be 0 or more")
    candidates = (
        Loan.objects.filter(maturity_date__gte=on, maturity_date__lte=on + dt.timedelta(days=days))
        .exclude(
            pk__in=MaturityReminder.objects.filter(maturity_date=F("loan__maturity_date")).values(
                "loan"
            )
        )
        .annotate(repaid=MoneySum("repayments__principal"))
        .select_related("bank", "enterprise", "application", "program_version")
        .order_by("maturity_date", "bank__code", "contract_no")
    )
    sent = []
    for loan in candidates:
        outstanding = loan.principal - (loan.repaid or Decimal("0.00"))
        if outstanding <= 0:
            continue
        try:
            with transaction.atomic():
                reminder = MaturityReminder.objects.create(
                    loan=loan,
                    maturity_date=loan.maturity_date,
                    outstanding=outstanding,
                    days_before=(loan.maturity_date - on).days,
                    sent_on=on,
                )
                log_action(
                    actor=None,
                    action="loans.loan.maturity_reminded",
                    obj=loan,
                    data={
                        "maturity_date": loan.maturity_date,
                        "outstanding": outstanding,
                        "on": on,
                    },
                )
                message = gettext(
                    "Maturity notice (第十条): loan %(contract)s of %(enterprise)s matures on %(date)s "
                    "with %(amount)s yuan of principal outstanding; remind the borrower and collect."
                ) % {
                    "contract": loan.contract_no,
                    "enterprise": loan.enterprise.name,
                    "date": loan.maturity_date.isoformat(),
                    "amount": format_yuan(outstanding),
                }
                notify_users(
                    list(User.objects.filter(is_active=True, role=Role.BANK, bank=loan.bank_id)),
                    message=message,
                    application=loan.application,
                )
        except IntegrityError:
            continue  # another run reminded this maturity meanwhile
        sent.append(reminder)
    return sent


# ── post-loan reports (Changjiang 第十条) ─────────────────────────────────────


class ReportRefused(Refused):
    pass


class ReportNotAllowed(ReportRefused, NotAllowed):
    pass


def post_loan_report_file(
    *,
    actor: User,
    loan: Loan,
    year: int,
    quarter: int,
    status: str,
    operations: str,
    repayment: str = "",
    risks: str = "",
) -> PostLoanReport:
    """Changjiang 第十条: the lending bank reports its post-loan management of one loan for one quarter."""
    from loans.rules import check_report_quarter

    if actor.bank_id != loan.bank_id:
        raise ReportNotAllowed("只有放款银行可以报送贷后管理情况")
    problem = check_report_quarter(
        year=year,
        quarter=quarter,
        today=timezone.localdate(),
        disbursed=loan.disbursement_date,
        maturity=loan.maturity_date,
    )
    if problem:
        raise ReportRefused(problem)
    with transaction.atomic():
        Loan.objects.select_for_update(no_key=True).get(pk=loan.pk)
        if PostLoanReport.objects.filter(loan=loan, year=year, quarter=quarter).exists():
            raise ReportRefused(f"{year}年第{quarter}季度的贷后报告已报送")
        report = PostLoanReport.objects.create(
            loan=loan,
            year=year,
            quarter=quarter,
            status=status,
            operations=operations,
            repayment=repayment,
            risks=risks,
            filed_by=actor,
        )
        log_action(
            actor=actor,
            action="loans.post_loan_report.filed",
            obj=report,
            data={"loan": loan.contract_no, "year": year, "quarter": quarter, "status": status},
        )
        _post_loan_report_notify(report)
    return report


def _post_loan_report_notify(report: PostLoanReport) -> None:
    """Changjiang 第十条: the bank's post-loan management is 及时通报领导专班、区科技局 — the bureau (staff and
    head, who report on to the provincial centre) and the leading group of the loan's program, inbox and e-mail."""
    from kedaitong.notifications import notify_program

    loan = report.loan
    message = gettext(
        "Post-loan report (第十条): %(bank)s filed %(year)s Q%(quarter)s for %(contract)s "
        "%(enterprise)s — %(status)s."
    ) % {
        "bank": loan.bank.name,
        "year": report.year,
        "quarter": report.quarter,
        "contract": loan.contract_no,
        "enterprise": loan.enterprise.name,
        "status": report.get_status_display(),
    }
    body = "\n".join(
        part for part in (report.operations, report.repayment, report.risks) if part.strip()
    )
    notify_program(
        roles=[Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP],
        program_id=loan.program_version.program_id,
        message=message,
        body=body,
        application=loan.application,
    )


def post_loan_reports_notify(reports: list[PostLoanReport]) -> None:
    """第十条 for a batch (web, command line or API): one notice per program to the bureau and the
    leading group, counting the reports and naming every one that needs attention or is at risk,
    rather than one notice per report (a bank may send thousands at once)."""
    from kedaitong.notifications import notify_program

    by_program: dict[int, list[PostLoanReport]] = {}
    for report in reports:
        by_program.setdefault(report.loan.program_version.program_id, []).append(report)
    for program_id, group in by_program.items():
        worrying = [r for r in group if r.status != PostLoanReport.Status.NORMAL]
        banks = "、".join(sorted({r.loan.bank.name for r in group}))
        message = gettext(
            "Post-loan reports (第十条): %(bank)s filed %(count)s reports, %(worrying)s of them "
            "needing attention or at risk."
        ) % {"bank": banks, "count": len(group), "worrying": len(worrying)}
        body = "\n".join(
            f"{r.loan.contract_no} {r.loan.enterprise.name} {r.year}Q{r.quarter} "
            f"{r.get_status_display()}：{r.risks or r.operations}"
            for r in worrying[:200]
        )
        notify_program(
            roles=[Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP],
            program_id=program_id,
            message=message,
            body=body,
        )


# ── loan documents (Quzhou 二) ────────────────────────────────────────────────


class DocumentRefused(Refused):
    pass


class DocumentNotAllowed(DocumentRefused, NotAllowed):
    pass


def loan_document_file(*, actor: User, loan: Loan, kind: str, upload: UploadedFile) -> LoanDocument:
    """Quzhou 二: the lending bank sends the bureau the loan's application form and a copy of the disbursement voucher.

    The file is checked by content (PDF, JPEG or PNG); an earlier document of the same kind is kept, the new one counts.
    """
    import hashlib

    from kedaitong.uploads import check_upload, display_name

    if actor.bank_id is None or actor.bank_id != loan.bank_id:
        raise DocumentNotAllowed("只有放款银行可以报送贷款材料")
    if kind not in LoanDocument.Kind.values:
        raise DocumentRefused("未知的材料类型")
    try:
        check_upload(upload)
    except ValidationError as exc:
        raise DocumentRefused(" ".join(str(m) for m in exc.messages)) from None
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        Loan.objects.select_for_update(no_key=True).get(pk=loan.pk)
        document = LoanDocument(
            loan=loan,
            kind=kind,
            original_name=display_name(upload.name or "file"),
            checksum=digest.hexdigest(),
            uploaded_by=actor,
        )
        document.file.save(upload.name or "file", upload, save=False)
        document.save()
        log_action(
            actor=actor,
            action="loans.document.filed",
            obj=document,
            data={
                "loan": loan.contract_no,
                "kind": kind,
                "checksum": document.checksum,
                "file": document.original_name,
            },
        )
    return document
