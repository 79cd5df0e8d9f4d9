"""The Quzhou interest-subsidy run (四(一)) and its stages; the web pages and `subsidy_run` call these.

Errors for bad input are `SubsidyInputError` with a message in Chinese; a
refused stage change is `StageRefused`. Nothing is saved when either is raised.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django_fsm import can_proceed

from applications.models import Program
from kedaitong.audit import log_action
from kedaitong.db import MoneySum, insert_many
from kedaitong.errors import Refused
from kedaitong.models import User
from kedaitong.money import ZERO, to_fen
from kedaitong.roles import Role
from kedaitong.uploads import display_name
from loans.models import Bank, BankAgreement, InterestSettlement, Loan
from loans.rules import term_months
from subsidy.calculation import prorate, subsidy_line
from subsidy.models import (
    BankPayment,
    Complaint,
    FlagMismatch,
    FraudRecord,
    LPRMissing,
    RunState,
    SubsidizedSettlement,
    SubsidyExclusion,
    SubsidyLine,
    SubsidyRun,
    lpr_lookup,
)


class SubsidyInputError(Refused, ValueError):
    """Bad input for a run (budget, year, cutoff, LPR gap, a live run already committed)."""


class StageRefused(Refused, ValueError):
    """A stage change that is not allowed now."""


class Reason:
    """Why a loan of the year gets no subsidy (codes stored with each exclusion)."""

    OLD_PLAN = "old_plan"
    FRAUD_BANK = "fraud_bank"
    FRAUD_ENTERPRISE = "fraud_enterprise"
    AGREEMENT_TERMINATED = "agreement_terminated"
    ABOVE_LPR = "above_lpr"
    ONLY_OVERDUE = "only_overdue_interest"
    ALREADY_SUBSIDIZED = "already_subsidized"
    NO_INTEREST = "no_settled_interest"
    BELOW_ONE_FEN = "below_one_fen"


@dataclass
class Line:
    loan_id: int
    bank_id: int
    bank_code: str
    bank_name: str
    contract_no: str
    enterprise_name: str
    version_code: str
    disbursement_date: dt.date
    principal: Decimal
    annual_rate: Decimal
    lpr: Decimal
    settled_interest: Decimal
    overdue_interest: Decimal
    eligible_interest: Decimal
    share: Decimal
    computed: Decimal
    amount: Decimal = ZERO


@dataclass
class Exclusion:
    loan_id: int
    bank_code: str
    contract_no: str
    enterprise_name: str
    reason: str
    detail: str


@dataclass
class Mismatch:
    """A settlement whose 是否逾期利息 flag disagrees with the loan's overdue periods (四(一))."""

    loan_id: int
    settlement_id: int
    bank_code: str
    contract_no: str
    settled_on: dt.date
    period_start: dt.date
    period_end: dt.date
    amount: Decimal
    flagged_overdue: bool
    overdue_days: int
    period_days: int
    excluded: Decimal


@dataclass
class BankTotal:
    bank_id: int
    bank_code: str
    bank_name: str
    loans: int
    eligible_interest: Decimal
    computed: Decimal
    amount: Decimal


@dataclass
class RunResult:
    program: Program
    year: int
    budget: Decimal
    cutoff: dt.date
    lines: list[Line] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    computed_total: Decimal = ZERO
    total: Decimal = ZERO
    scaled: bool = False

    @property
    def loan_count(self) -> int:
        return len(self.lines) + len(self.exclusions)

    def bank_totals(self) -> list[BankTotal]:
        return bank_totals(self.lines)


def bank_totals(lines: Any) -> list[BankTotal]:
    """Bank total = the sum of its lines (四(一): 给予经办银行贴息)."""
    totals: dict[int, BankTotal] = {}
    for line in lines:
        t = totals.get(line.bank_id)
        if t is None:
            t = totals[line.bank_id] = BankTotal(
                line.bank_id, line.bank_code, getattr(line, "bank_name", ""), 0, ZERO, ZERO, ZERO
            )
        t.loans += 1
        t.eligible_interest += line.eligible_interest
        t.computed += line.computed
        t.amount += line.amount
    return sorted(totals.values(), key=lambda t: t.bank_code)


def parse_inputs(*, year: Any, budget: Any, cutoff: Any = None) -> tuple[int, Decimal, dt.date]:
    """Check the run's inputs; messages in Chinese."""
    from kedaitong.money import parse_amount

    try:
        year_i = int(str(year).strip())
    except (TypeError, ValueError):
        raise SubsidyInputError(f"年度“{year}”无效，请填写四位年份") from None
    if not 2000 <= year_i <= 2100:
        raise SubsidyInputError(f"年度“{year}”无效，请填写四位年份")
    if budget is None or str(budget).strip() == "":
        raise SubsidyInputError("请填写年度贴息预算（元）")
    try:
        budget_d = parse_amount(budget, allow_zero=True)
    except ValueError as exc:
        if str(budget).strip().startswith("-"):
            raise SubsidyInputError(f"年度贴息预算必须大于零（填写的是{budget}）") from None
        raise SubsidyInputError(str(exc)) from None
    if budget_d <= 0:
        raise SubsidyInputError(f"年度贴息预算必须大于零（填写的是{budget}）")
    if cutoff in (None, ""):
        cutoff_d = dt.date(year_i, 12, 31)
    elif isinstance(cutoff, dt.date):
        cutoff_d = cutoff
    else:
        try:
            cutoff_d = dt.date.fromisoformat(str(cutoff).strip())
        except ValueError:
            raise SubsidyInputError(f"结算截止日“{cutoff}”无效，请按YYYY-MM-DD填写") from None
    if cutoff_d < dt.date(year_i, 1, 1):
        raise SubsidyInputError(f"结算截止日{cutoff_d:%Y-%m-%d}早于{year_i}年1月1日，请核对")
    return year_i, budget_d, cutoff_d


def compute_run(
    *,
    program: Program,
    year: Any,
    budget: Any,
    cutoff: Any = None,
    reproducing: SubsidyRun | None = None,
) -> RunResult:
    """Quzhou 四(一): the subsidy of every loan disbursed in `year`, pro-rated to `budget`. Saves nothing.

    `reproducing`: a committed run to compute again from its frozen inputs (see
    `run_recompute`): its own loans only, its own settlement links not counted as
    "already subsidized", and only settlements, fraud records and complaints
    entered before it was committed.

    The interest figures of each loan (settled by the cutoff, overdue-period
    interest apart, interest a live run already subsidized apart, and what is
    left to subsidize) are aggregated in the database, in the query that reads
    the loans. Python then gives each loan its reason or its line (the LPR
    lookup when the loan has no LPR at pricing, the share, the rounding) and
    pro-rates.
    """
    year_i, budget_d, cutoff_d = parse_inputs(year=year, budget=budget, cutoff=cutoff)
    first, last = dt.date(year_i, 1, 1), dt.date(year_i, 12, 31)
    loan_rows = Loan.objects.filter(
        program_version__program=program, disbursement_date__gte=first, disbursement_date__lte=last
    )
    fraud_rows = FraudRecord.objects.filter(program=program)
    complaint_rows = Complaint.objects.filter(verified=True)
    links = SubsidizedSettlement.objects.exclude(run__state=RunState.CANCELLED)
    if reproducing is not None:
        loan_rows = loan_rows.filter(
            Q(id__in=reproducing.lines.values("loan_id"))
            | Q(id__in=reproducing.exclusions.values("loan_id"))
        )
        fraud_rows = fraud_rows.filter(recorded_at__lte=reproducing.created_at)
        complaint_rows = complaint_rows.filter(recorded_at__lte=reproducing.created_at)
        links = links.exclude(run=reproducing)
    # One query: each loan of the year with its interest aggregated in the database (LEFT JOIN of its
    # settlements, SUM(... FILTER ...) per figure), so no settlement row reaches Python.
    subsidized = links.values("settlement_id")
    s = "interestsettlements__"
    counted = Q(**{f"{s}settled_on__lte": cutoff_d})
    if reproducing is not None:
        counted &= Q(**{f"{s}created_at__lte": reproducing.created_at})
    normal = counted & Q(**{f"{s}is_overdue_interest": False})
    subsidized_before = normal & Q(**{f"{s}id__in": subsidized})
    loans = list(
        loan_rows.annotate(
            settled=MoneySum(f"{s}amount", filter=normal),
            overdue=MoneySum(f"{s}amount", filter=counted & Q(**{f"{s}is_overdue_interest": True})),
            already=MoneySum(f"{s}amount", filter=subsidized_before),
            eligible=MoneySum(f"{s}amount", filter=normal & ~Q(**{f"{s}id__in": subsidized})),
        )
        .order_by("bank__code", "contract_no")
        .values(
            "id",
            "contract_no",
            "bank_id",
            "bank__code",
            "bank__name",
            "enterprise_id",
            "enterprise__name",
            "contract_date",
            "disbursement_date",
            "maturity_date",
            "principal",
            "annual_rate",
            "lpr_at_pricing",
            "program_version__code",
            "program_version__subsidy_share",
            "program_version__rate_capped_by_lpr",
            "program_version__lpr_long_tier_above_months",
            "settled",
            "overdue",
            "already",
            "eligible",
        )
    )
    if not loans:
        raise SubsidyInputError(f"{year_i}年没有{program.name}的放款记录，贴息为空，未生成批次")
    adjusted, mismatches = _overdue_periods_apart(
        loans, loan_rows, cutoff_d, reproducing=reproducing, subsidized=subsidized
    )
    for loan in loans:
        if loan["id"] in adjusted:
            loan.update(adjusted[loan["id"]])

    fraud_banks = set(fraud_rows.filter(bank__isnull=False).values_list("bank_id", flat=True))
    fraud_enterprises = set(
        fraud_rows.filter(enterprise__isnull=False).values_list("enterprise_id", flat=True)
    )
    terminated: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for bank_id, start, end in (
        BankAgreement.objects.filter(
            program=program, status=BankAgreement.Status.TERMINATED, complaints__in=complaint_rows
        )
        .values_list("bank_id", "starts_on", "ends_on")
        .distinct()
    ):
        terminated[bank_id].append((start, end))
    lookup = lpr_lookup()

    result = RunResult(program=program, year=year_i, budget=budget_d, cutoff=cutoff_d)
    result.mismatches = mismatches
    for loan in loans:

        def exclude(reason: str, detail: str, loan: Mapping[str, Any] = loan) -> None:
            result.exclusions.append(
                Exclusion(
                    loan["id"],
                    loan["bank__code"],
                    loan["contract_no"],
                    loan["enterprise__name"],
                    reason,
                    detail,
                )
            )

        share = loan["program_version__subsidy_share"]
        if share is None:
            exclude(
                Reason.OLD_PLAN,
                f"按{loan['program_version__code']}年方案发放，按原方案执行（七(二)）；"
                "该方案的贴息比例尚未由管理员按原文补录，暂不予贴息",
            )
            continue
        if loan["bank_id"] in fraud_banks:
            exclude(Reason.FRAUD_BANK, "经办银行有骗取贴息记录，不得再参与（六）")
            continue
        if loan["enterprise_id"] in fraud_enterprises:
            exclude(Reason.FRAUD_ENTERPRISE, "借款企业有骗取贷款或贴息记录，不得再参与（六）")
            continue
        if any(s <= loan["disbursement_date"] <= e for s, e in terminated.get(loan["bank_id"], [])):
            exclude(
                Reason.AGREEMENT_TERMINATED,
                "经办银行增加借款人负担遭投诉查实，协议终止，贷款不予贴息（附件2 十一(二)）",
            )
            continue
        lpr = loan["lpr_at_pricing"]
        if lpr is None:
            try:
                lpr = lookup(  # 一(六) 同期同档次: the LPR in force when the contract was signed
                    loan["contract_date"],
                    term_months(loan["disbursement_date"], loan["maturity_date"]),
                    loan["program_version__lpr_long_tier_above_months"],
                )
            except LPRMissing as exc:
                raise SubsidyInputError(
                    f"贷款合同{loan['contract_no']}的签订日{exc.day:%Y-%m-%d}没有适用的LPR报价（{exc}），"
                    "请先补录LPR后再计算"
                ) from None
        if loan["program_version__rate_capped_by_lpr"] and loan["annual_rate"] > lpr:
            exclude(
                Reason.ABOVE_LPR,
                f"年利率{loan['annual_rate']}%高于定价时LPR {lpr}%（一(六)、四(一)）",
            )
            continue
        settled = loan["settled"] or ZERO
        overdue = loan["overdue"] or ZERO
        already = loan["already"] or ZERO
        eligible = loan["eligible"] or ZERO
        if eligible <= 0:
            if settled == 0 and overdue > 0:
                exclude(
                    Reason.ONLY_OVERDUE,
                    f"截止日前结算的利息{overdue}元均为逾期期间利息，不予贴息（四(一)）",
                )
            elif already > 0:
                exclude(Reason.ALREADY_SUBSIDIZED, "截止日前结算的利息已在未撤销的贴息批次中计算")
            else:
                exclude(Reason.NO_INTEREST, f"{cutoff_d:%Y-%m-%d}前没有已结算利息")
            continue
        computed = subsidy_line(eligible, share)
        if computed <= 0:
            exclude(Reason.BELOW_ONE_FEN, f"计贴息利息{eligible}元，贴息不足一分")
            continue
        result.lines.append(
            Line(
                loan_id=loan["id"],
                bank_id=loan["bank_id"],
                bank_code=loan["bank__code"],
                bank_name=loan["bank__name"],
                contract_no=loan["contract_no"],
                enterprise_name=loan["enterprise__name"],
                version_code=loan["program_version__code"],
                disbursement_date=loan["disbursement_date"],
                principal=loan["principal"],
                annual_rate=loan["annual_rate"],
                lpr=lpr,
                settled_interest=settled,
                overdue_interest=overdue,
                eligible_interest=eligible,
                share=share,
                computed=computed,
            )
        )

    result.computed_total = sum((line.computed for line in result.lines), ZERO)
    if result.lines:
        prorated = prorate(
            budget_d, [((line.bank_code, line.contract_no), line.computed) for line in result.lines]
        )
        for line, amount in zip(result.lines, prorated.amounts, strict=True):
            line.amount = amount
        result.scaled = prorated.scaled
    result.total = sum((line.amount for line in result.lines), ZERO)
    return result


def _overdue_periods_apart(
    loans: list[dict[str, Any]],
    loan_rows: Any,
    cutoff: dt.date,
    *,
    reproducing: SubsidyRun | None,
    subsidized: Any,
) -> tuple[dict[int, dict[str, Decimal]], list[Mismatch]]:
    """四(一) 逾期贷款在逾期期间产生的利息不予贴息, whatever the bank's 是否逾期利息 flag says.

    1. Each loan's overdue periods as known at the cutoff: the bank's overdue events
       started by then (one cleared later counts as open) and, when the loan matured
       before the cutoff without its principal repaid (repayments up to the cutoff),
       the time from the day after maturity (`loans.delinquency.past_maturity`).
    2. The normal-flagged settlements of those loans whose period reaches into an
       overdue period are found; such a loan's four figures are computed again here,
       settlement by settlement: the overdue part of a normal-flagged settlement
       (`calculation.overdue_part`, by days, rounded half-up to the fen) moves from
       `settled` to `overdue`. Every other loan keeps the database's sums.
    3. Disagreements are listed: a normal-flagged settlement with overdue days, and
       an overdue-flagged one with none (it stays excluded, as the bank flagged it).
    `reproducing`: only records entered before that run was committed count.
    """
    from loans.delinquency import Span, past_maturity
    from loans.models import OverdueEvent, Repayment
    from subsidy.calculation import overdue_part

    by_id = {loan["id"]: loan for loan in loans}
    entered: dict[str, Any] = {}
    if reproducing is not None:
        entered = {"created_at__lte": reproducing.created_at}
    spans: dict[int, list[Any]] = defaultdict(list)
    for loan_id, started, cleared in OverdueEvent.objects.filter(
        loan__in=loan_rows, started_on__lte=cutoff, **entered
    ).values_list("loan_id", "started_on", "cleared_on"):
        spans[loan_id].append(Span(started, cleared if cleared and cleared <= cutoff else None))
    repaid: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for loan_id, day, amount in Repayment.objects.filter(
        loan__in=loan_rows.filter(maturity_date__lt=cutoff), repaid_on__lte=cutoff, **entered
    ).values_list("loan_id", "repaid_on", "principal"):
        repaid[loan_id].append((day, amount))
    for loan in loans:
        if loan["maturity_date"] < cutoff:
            span = past_maturity(loan["maturity_date"], loan["principal"], repaid[loan["id"]])
            if span is not None:
                spans[loan["id"]].append(span)

    counted = {"settled_on__lte": cutoff, **entered}
    # 2. which loans have a normal-flagged settlement reaching into an overdue period
    reaching: set[int] = set()
    ids = sorted(spans)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        earliest = min(s.started_on for pk in chunk for s in spans[pk])
        for loan_id, first, last in InterestSettlement.objects.filter(
            loan_id__in=chunk, is_overdue_interest=False, period_end__gte=earliest, **counted
        ).values_list("loan_id", "period_start", "period_end"):
            if (
                loan_id not in reaching
                and not overdue_part(Decimal("1.00"), first, last, spans[loan_id]).normal
            ):
                reaching.add(loan_id)
    adjusted: dict[int, dict[str, Decimal]] = {}
    mismatches: list[Mismatch] = []

    def mismatch(loan: dict[str, Any], row: Any, flagged: bool, part: Any) -> None:
        mismatches.append(
            Mismatch(
                loan["id"],
                row.pk,
                loan["bank__code"],
                loan["contract_no"],
                row.settled_on,
                row.period_start,
                row.period_end,
                row.amount,
                flagged,
                part.overdue_days,
                part.period_days,
                part.excluded if not flagged else row.amount,
            )
        )

    reaching_ids = sorted(reaching)
    for start in range(0, len(reaching_ids), 900):
        part_ids = reaching_ids[start : start + 900]
        figures = {
            pk: {"settled": ZERO, "overdue": ZERO, "already": ZERO, "eligible": ZERO}
            for pk in part_ids
        }
        linked = set(
            subsidized.filter(settlement__loan_id__in=part_ids).values_list(
                "settlement_id", flat=True
            )
        )
        for row in InterestSettlement.objects.filter(loan_id__in=part_ids, **counted).only(
            "id",
            "loan_id",
            "settled_on",
            "period_start",
            "period_end",
            "amount",
            "is_overdue_interest",
        ):
            f = figures[row.loan_id]
            if row.is_overdue_interest:
                f["overdue"] += row.amount
                continue  # flagged rows: listed below with every other loan's
            part = overdue_part(row.amount, row.period_start, row.period_end, spans[row.loan_id])
            normal = row.amount - part.excluded
            f["overdue"] += part.excluded
            f["settled"] += normal
            f["already" if row.pk in linked else "eligible"] += normal
            if not part.normal:
                mismatch(by_id[row.loan_id], row, False, part)
        adjusted.update(figures)
    # 3. overdue-flagged settlements with no overdue day in their period
    for row in InterestSettlement.objects.filter(
        loan__in=loan_rows, is_overdue_interest=True, **counted
    ).only("id", "loan_id", "settled_on", "period_start", "period_end", "amount"):
        part = overdue_part(
            row.amount, row.period_start, row.period_end, spans.get(row.loan_id, [])
        )
        if part.normal:
            mismatch(by_id[row.loan_id], row, True, part)
    mismatches.sort(key=lambda m: (m.bank_code, m.contract_no, m.period_start, m.flagged_overdue))
    return adjusted, mismatches


def run_recompute(run: SubsidyRun) -> RunResult:
    """Compute a committed run again from its inputs (frozen from "audited" on): the figures it stored."""
    return compute_run(
        program=run.program, year=run.year, budget=run.budget, cutoff=run.cutoff, reproducing=run
    )


# --- Stages ---------------------------------------------------------------------------------------

MAKERS = (Role.BUREAU_STAFF, Role.ADMIN)


def _check_role(actor: User, program: Program, roles: tuple[str, ...], what: str) -> None:
    role = actor.effective_role
    if role not in roles:
        raise StageRefused(f"当前角色无权{what}")
    if role != Role.ADMIN and actor.program_id != program.pk:
        raise StageRefused(f"当前角色无权{what}")


def run_commit(
    *,
    actor: User,
    program: Program,
    year: Any,
    budget: Any,
    cutoff: Any = None,
    request: Any = None,
) -> SubsidyRun:
    """Compute and save a run ("computed"); refused while a run for the same program and year is not cancelled."""
    _check_role(actor, program, MAKERS, "生成贴息批次")
    with transaction.atomic():
        Program.objects.select_for_update().get(pk=program.pk)
        year_i, _b, _c = parse_inputs(year=year, budget=budget, cutoff=cutoff)
        if (
            SubsidyRun.objects.filter(program=program, year=year_i)
            .exclude(state=RunState.CANCELLED)
            .exists()
        ):
            raise SubsidyInputError(f"{year_i}年已有未撤销的贴息批次，请先撤销后再生成")
        result = compute_run(program=program, year=year, budget=budget, cutoff=cutoff)
        if not result.lines:
            raise SubsidyInputError(
                f"{result.year}年没有可贴息的贷款（{len(result.exclusions)}笔均未予贴息），未生成批次"
            )
        try:
            with transaction.atomic():
                run = SubsidyRun.objects.create(
                    program=program,
                    year=result.year,
                    budget=result.budget,
                    cutoff=result.cutoff,
                    computed_total=result.computed_total,
                    total=result.total,
                    scaled=result.scaled,
                    created_by=actor if actor.pk else None,
                )
        except IntegrityError:
            raise SubsidyInputError(f"{year_i}年已有未撤销的贴息批次，请先撤销后再生成") from None
        insert_many(
            SubsidyLine,
            (
                SubsidyLine(
                    run=run,
                    loan_id=x.loan_id,
                    bank_id=x.bank_id,
                    bank_code=x.bank_code,
                    contract_no=x.contract_no,
                    enterprise_name=x.enterprise_name,
                    version_code=x.version_code,
                    disbursement_date=x.disbursement_date,
                    principal=x.principal,
                    annual_rate=x.annual_rate,
                    lpr=x.lpr,
                    settled_interest=x.settled_interest,
                    overdue_interest=x.overdue_interest,
                    eligible_interest=x.eligible_interest,
                    share=x.share,
                    computed=x.computed,
                    amount=x.amount,
                )
                for x in result.lines
            ),
            batch_size=2000,
        )
        insert_many(
            SubsidyExclusion,
            (
                SubsidyExclusion(
                    run=run,
                    loan_id=x.loan_id,
                    bank_code=x.bank_code,
                    contract_no=x.contract_no,
                    enterprise_name=x.enterprise_name,
                    reason=x.reason,
                    detail=x.detail[:300],
                )
                for x in result.exclusions
            ),
            batch_size=2000,
        )
        FlagMismatch.objects.bulk_create(
            (
                FlagMismatch(
                    run=run,
                    loan_id=m.loan_id,
                    settlement_id=m.settlement_id,
                    bank_code=m.bank_code,
                    contract_no=m.contract_no,
                    settled_on=m.settled_on,
                    period_start=m.period_start,
                    period_end=m.period_end,
                    amount=m.amount,
                    flagged_overdue=m.flagged_overdue,
                    overdue_days=m.overdue_days,
                    period_days=m.period_days,
                    excluded=m.excluded,
                )
                for m in result.mismatches
            ),
            batch_size=2000,
        )
        _link_settlements(run)
        log_action(
            actor=actor,
            action="subsidy.run.computed",
            obj=run,
            to_state=run.state,
            request=request,
            data={
                "year": run.year,
                "budget": str(run.budget),
                "cutoff": str(run.cutoff),
                "total": str(run.total),
                "lines": len(result.lines),
                "excluded": len(result.exclusions),
                "flag_mismatches": len(result.mismatches),
            },
        )
    return run


def _link_settlements(run: SubsidyRun) -> None:
    """Record which settlements each line subsidized: one INSERT … SELECT, no rows through Python."""
    link = SubsidizedSettlement._meta.db_table
    line = SubsidyLine._meta.db_table
    settlement = InterestSettlement._meta.db_table
    runs = SubsidyRun._meta.db_table
    sql = f"""
        INSERT INTO {link} (run_id, line_id, settlement_id)
        SELECT %s, l.id, s.id FROM {settlement} s JOIN {line} l ON l.loan_id = s.loan_id
        WHERE l.run_id = %s AND s.settled_on <= %s AND s.is_overdue_interest = %s
          AND NOT EXISTS (
            SELECT 1 FROM {link} x JOIN {runs} r ON r.id = x.run_id
            WHERE x.settlement_id = s.id AND r.state <> %s AND r.id <> %s)
    """  # noqa: S608 (table names come from model metadata)
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk, run.pk, run.cutoff, False, RunState.CANCELLED, run.pk])


def _locked(run: SubsidyRun) -> SubsidyRun:
    return SubsidyRun.objects.select_for_update().get(pk=run.pk)


def _stage(
    run: SubsidyRun,
    *,
    actor: User,
    roles: tuple[str, ...],
    transition: str,
    what: str,
    request: Any,
) -> SubsidyRun:
    _check_role(actor, run.program, roles, what)
    locked = _locked(run)
    method = getattr(locked, transition)
    if not can_proceed(method):
        raise StageRefused(f"批次处于“{locked.get_state_display()}”阶段，不能{what}")
    before = locked.state
    method()
    locked.save()
    log_action(
        actor=actor,
        action=f"subsidy.run.{locked.state}",
        obj=locked,
        from_state=before,
        to_state=locked.state,
        request=request,
    )
    return locked


def run_audit(
    *, actor: User, run: SubsidyRun, opinion: UploadedFile, request: Any = None
) -> SubsidyRun:
    """四(一): the third-party accountant's review; the auditor uploads the opinion. Figures are frozen from here."""
    with transaction.atomic():
        locked = _stage(
            run,
            actor=actor,
            roles=(Role.AUDITOR, Role.ADMIN),
            transition="audit",
            what="上传审核意见",
            request=request,
        )
        locked.audit_opinion_name = display_name(opinion.name or "opinion.pdf")
        locked.audit_opinion.save(opinion.name or "opinion.pdf", opinion, save=False)
        locked.save(update_fields=["audit_opinion", "audit_opinion_name"])
    return locked


def run_publicize(*, actor: User, run: SubsidyRun, request: Any = None) -> SubsidyRun:
    with transaction.atomic():
        return _stage(
            run, actor=actor, roles=MAKERS, transition="publicize", what="公示", request=request
        )


def run_approve(*, actor: User, run: SubsidyRun, request: Any = None) -> SubsidyRun:
    """四(一): 局党组会审定, after publicity without objection: the bureau head approves."""
    with transaction.atomic():
        return _stage(
            run,
            actor=actor,
            roles=(Role.BUREAU_HEAD, Role.ADMIN),
            transition="approve",
            what="审定",
            request=request,
        )


def run_cancel(*, actor: User, run: SubsidyRun, request: Any = None) -> SubsidyRun:
    """Cancel a run before any bank is paid; its settlements become free for a new run of the year."""
    with transaction.atomic():
        if BankPayment.objects.filter(run=run).exists():
            raise StageRefused("已有银行登记拨付，不能撤销批次")
        return _stage(
            run,
            actor=actor,
            roles=(Role.BUREAU_HEAD, Role.ADMIN),
            transition="cancel",
            what="撤销批次",
            request=request,
        )


def run_record_payment(
    *,
    actor: User,
    run: SubsidyRun,
    bank: Bank,
    paid_on: dt.date,
    voucher_no: str,
    request: Any = None,
) -> BankPayment:
    """兑现: one payment per bank of its total; the run is paid when every bank is."""
    _check_role(actor, run.program, MAKERS, "登记拨付")
    with transaction.atomic():
        locked = _locked(run)
        if locked.state != RunState.APPROVED:
            raise StageRefused(f"批次处于“{locked.get_state_display()}”阶段，审定后才能登记拨付")
        amount = locked.lines.filter(bank=bank).aggregate(s=MoneySum("amount"))["s"] or ZERO
        if amount <= 0:
            raise StageRefused(f"{bank.name}在本批次没有贴息")
        if locked.payments.filter(bank=bank).exists():
            raise StageRefused(f"{bank.name}的贴息已登记拨付")
        if not voucher_no.strip():
            raise StageRefused("请填写拨付凭证号")
        payment = BankPayment.objects.create(
            run=locked,
            bank=bank,
            amount=to_fen(amount),
            paid_on=paid_on,
            voucher_no=voucher_no.strip(),
            recorded_by=actor,
        )
        log_action(
            actor=actor,
            action="subsidy.payment.recorded",
            obj=locked,
            request=request,
            data={
                "bank": bank.code,
                "amount": str(amount),
                "paid_on": str(paid_on),
                "voucher": voucher_no,
            },
        )
        unpaid = (
            locked.lines.filter(amount__gt=0)
            .exclude(bank__in=locked.payments.values("bank"))
            .exists()
        )
        if not unpaid:
            before = locked.state
            locked.pay()
            locked.save()
            log_action(
                actor=actor,
                action="subsidy.run.paid",
                obj=locked,
                from_state=before,
                to_state=locked.state,
                request=request,
            )
    return payment


__all__ = [
    "Complaint",
    "Reason",
    "RunResult",
    "StageRefused",
    "SubsidyInputError",
    "bank_totals",
    "compute_run",
    "run_approve",
    "run_audit",
    "run_cancel",
    "run_commit",
    "run_publicize",
    "run_recompute",
    "run_record_payment",
]
