"""The Quzhou interest-subsidy run (四(一)) and its stages; the web pages and `subsidy_run` call these.

Refusals are typed, each with a message citing the article: `SubsidyInputError` for bad input (views
answer 400), `StageRefused` for a step out of 四(一)'s order or a state that forbids it (409), and its
subclass `NotAllowed` for a role that may not take the step (403). Nothing is saved when one is raised.

The stages, in the text's order, each with the one role that takes it:

1. computed: bureau staff save the computation of a closed year;
2. audited: the third-party accounting firm records its audit and the PBoC branch's confirmation;
3. reviewed: bureau staff record the compliance review (规范性审查);
4. approved: the bureau head records the party-group meeting (局党组会审定: date, minutes);
5. publicized: bureau staff start the publicity (today or later; the version's working days); anyone
   may object on the public page; staff rule on each objection (an upheld one cancels the run);
6. issued: bureau staff record the funds document (下达贴息资金文件) once the publicity is over with
   no objection pending or upheld;
7. paid: bureau staff record each bank's payment (兑现); the last one pays the run.

Each stage writes an audit row (actor, from, to) and tells the next actor (inbox now, e-mail on commit).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from applications import lifecycle
from applications.models import Program
from kedaitong.audit import log_action
from kedaitong.db import MoneySum, insert_rows
from kedaitong.errors import Refused
from kedaitong.models import User
from kedaitong.money import ZERO, to_fen
from kedaitong.roles import Role
from kedaitong.uploads import display_name
from kedaitong.workdays import period_end
from loans.models import Bank, BankAgreement, InterestSettlement, Loan
from loans.rules import term_months
from subsidy.calculation import prorate, subsidy_line
from subsidy.models import (
    BankPayment,
    Complaint,
    FlagMismatch,
    FraudRecord,
    LPRMissing,
    RunObjection,
    RunState,
    SubsidizedSettlement,
    SubsidyExclusion,
    SubsidyLine,
    SubsidyRun,
    lpr_lookup,
)
from subsidy.notify import notify_objection, notify_payment, notify_stage


class SubsidyInputError(Refused, ValueError):
    """Bad input for a run (budget, year, cutoff, LPR gap, a live run already committed)."""


class StageRefused(Refused, ValueError):
    """A stage change that is not allowed now (out of 四(一)'s order, or the run's state forbids it)."""


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


def parse_inputs(
    *, year: Any, budget: Any, cutoff: Any = None, today: dt.date | None = None
) -> tuple[int, Decimal, dt.date]:
    """Check the run's inputs; messages in Chinese.

    四(一): every March the bureau audits the previous year, so a run is only for a year that is over by
    the bureau's date (`today`, Asia/Shanghai), and interest counts only once it is settled, so the
    cutoff is not later than today.
    """
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
    today = today or timezone.localdate()
    if year_i >= today.year:
        raise SubsidyInputError(
            _(
                "%(year)d is not over yet (today is %(today)s): Quzhou 四(一) subsidizes the "
                "previous year, so a run is only for a year that has ended."
            )
            % {"year": year_i, "today": f"{today:%Y-%m-%d}"}
        )
    if cutoff_d > today:
        raise SubsidyInputError(
            _(
                "The settlement cutoff %(cutoff)s is later than today (%(today)s): only interest "
                "already settled is subsidized (Quzhou 四(一))."
            )
            % {"cutoff": f"{cutoff_d:%Y-%m-%d}", "today": f"{today:%Y-%m-%d}"}
        )
    return year_i, budget_d, cutoff_d


# The sums (settled, overdue, already) of a loan without any settlement: NULL, as SQL's SUM over no rows.
NO_SETTLEMENT: tuple[Any, ...] = (None, None, None)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a run builds its hundreds of thousands of objects.

    The rows (dicts, Decimals, lines) all survive, so each collection walks them again for nothing: 0.6 s of
    the computation's 2.5 s of CPU over 100,000 loans (issue 20 item 3). Nothing here makes reference cycles;
    any made meanwhile are collected by the first collection after. Nested uses leave it to the outermost.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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
    interest apart, interest a live run already subsidized apart; what is left
    to subsidize is the settled interest less the part already subsidized) are
    aggregated in the database, grouped by loan. Python then gives each loan its reason or its line (the LPR
    lookup when the loan has no LPR at pricing, the share, the rounding) and
    pro-rates.
    """
    with _gc_paused():
        return _compute_run(
            program=program, year=year, budget=budget, cutoff=cutoff, reproducing=reproducing
        )


def _compute_run(
    *,
    program: Program,
    year: Any,
    budget: Any,
    cutoff: Any,
    reproducing: SubsidyRun | None,
) -> RunResult:
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
    # Each loan's interest is aggregated in the database (SUM(... FILTER ...) per figure), so no settlement
    # row reaches Python: one query groups the settlements by loan, a second reads the loans. Grouped in one
    # query with the loans' columns, PostgreSQL hashed a million rows by eight keys, names among them (2 s of
    # its 4 s at load 6, issue 20 item 3); by the loan's id alone it is a third of that.
    subsidized = links.values("settlement_id")
    counted = Q(settled_on__lte=cutoff_d)
    if reproducing is not None:
        counted &= Q(created_at__lte=reproducing.created_at)
    normal = counted & Q(is_overdue_interest=False)
    # Both queries test each settlement against the live runs' links (`id IN (…)`): see `_links_in_memory`.
    with transaction.atomic(), _links_in_memory():
        # Tuples (settled, overdue, already) by loan id, not a dict per row: 100,000 rows.
        figures: dict[int, tuple[Any, ...]] = {
            row[0]: row[1:]
            for row in InterestSettlement.objects.filter(loan__in=loan_rows)
            .values("loan_id")
            .annotate(
                settled=MoneySum("amount", filter=normal),
                overdue=MoneySum("amount", filter=counted & Q(is_overdue_interest=True)),
                # What is left to subsidize is `settled - already` (exact): summing it apart tested each
                # settlement against the live links a second time, with a hash of its own (issue 20 item 3).
                already=MoneySum("amount", filter=normal & Q(id__in=subsidized)),
            )
            .values_list("loan_id", "settled", "overdue", "already")
            .order_by()
        }
        loans = list(
            loan_rows.order_by("bank__code", "contract_no").values(
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
            )
        )
        if not loans:
            raise SubsidyInputError(f"{year_i}年没有{program.name}的放款记录，贴息为空，未生成批次")
        adjusted, mismatches = _overdue_periods_apart(
            loans, loan_rows, cutoff_d, reproducing=reproducing, subsidized=subsidized
        )

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
        ended = terminated.get(loan["bank_id"])  # most banks have no terminated agreement
        if ended and any(s <= loan["disbursement_date"] <= e for s, e in ended):
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
        # The loan's sums: recomputed settlement by settlement when a period reaches an overdue one, else
        # the database's (a loan with no settlement has no row of sums).
        settled, overdue, already = adjusted.get(loan["id"]) or figures.get(
            loan["id"], NO_SETTLEMENT
        )
        settled = settled or ZERO
        overdue = overdue or ZERO
        already = already or ZERO
        eligible = settled - already
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


SETTLEMENT_FIELDS = (
    "id",
    "loan_id",
    "settled_on",
    "period_start",
    "period_end",
    "amount",
    "is_overdue_interest",
)


def _overdue_periods_apart(
    loans: list[dict[str, Any]],
    loan_rows: Any,
    cutoff: dt.date,
    *,
    reproducing: SubsidyRun | None,
    subsidized: Any,
) -> tuple[dict[int, tuple[Decimal, Decimal, Decimal]], list[Mismatch]]:
    """四(一) 逾期贷款在逾期期间产生的利息不予贴息, whatever the bank's 是否逾期利息 flag says.

    1. Each loan's overdue periods as known at the cutoff: the bank's overdue events
       started by then (one cleared later counts as open) and, when the loan matured
       before the cutoff without its principal repaid (repayments up to the cutoff),
       the time from the day after maturity (`loans.delinquency.past_maturity`).
    2. The normal-flagged settlements of those loans whose period reaches into an
       overdue period are found; such a loan's three figures are computed again here,
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
    # 2. which loans have a normal-flagged settlement reaching into an overdue period. One query reads the
    # candidates, each loan's by its own bound: a period can reach a span only if it ends on or after the
    # span's first day, and the spans start on an overdue event's first day (a loan with an event: all its
    # settlements) or the day after maturity. Python's test below decides, as before. (Issue 20 item 3:
    # 28 queries of 900 loans each, 1.7 s at load 5 over 100,000 loans, most rows read for nothing.)
    reaching: set[int] = set()
    with_events = OverdueEvent.objects.filter(
        loan__in=loan_rows, started_on__lte=cutoff, **entered
    ).values("loan_id")
    for loan_id, first, last in (
        InterestSettlement.objects.filter(loan__in=loan_rows, is_overdue_interest=False, **counted)
        .filter(
            Q(loan__maturity_date__lt=cutoff, period_end__gt=F("loan__maturity_date"))
            | Q(loan_id__in=with_events)
        )
        .values_list("loan_id", "period_start", "period_end")
    ):
        if (
            loan_id not in reaching
            and loan_id in spans
            and not overdue_part(Decimal("1.00"), first, last, spans[loan_id]).normal
        ):
            reaching.add(loan_id)
    adjusted: dict[int, tuple[Decimal, Decimal, Decimal]] = {}
    mismatches: list[Mismatch] = []

    # The settlements are read as tuples (SETTLEMENT_FIELDS), not model instances: the overdue-flagged ones
    # are thousands (4,718 in the benchmark), and building an instance each was a tenth of the computation.
    def mismatch(loan: dict[str, Any], row: tuple[Any, ...], flagged: bool, part: Any) -> None:
        pk, _loan_id, settled_on, period_start, period_end, amount, _flag = row
        mismatches.append(
            Mismatch(
                loan["id"],
                pk,
                loan["bank__code"],
                loan["contract_no"],
                settled_on,
                period_start,
                period_end,
                amount,
                flagged,
                part.overdue_days,
                part.period_days,
                part.excluded if not flagged else amount,
            )
        )

    reaching_ids = sorted(reaching)
    for start in range(0, len(reaching_ids), 900):
        part_ids = reaching_ids[start : start + 900]
        figures = {pk: {"settled": ZERO, "overdue": ZERO, "already": ZERO} for pk in part_ids}
        linked = set(
            subsidized.filter(settlement__loan_id__in=part_ids).values_list(
                "settlement_id", flat=True
            )
        )
        for row in InterestSettlement.objects.filter(loan_id__in=part_ids, **counted).values_list(
            *SETTLEMENT_FIELDS
        ):
            pk, loan_id, _settled_on, period_start, period_end, amount, flagged = row
            f = figures[loan_id]
            if flagged:
                f["overdue"] += amount
                continue  # flagged rows: listed below with every other loan's
            part = overdue_part(amount, period_start, period_end, spans[loan_id])
            normal = amount - part.excluded
            f["overdue"] += part.excluded
            f["settled"] += normal
            if pk in linked:
                f["already"] += normal
            if not part.normal:
                mismatch(by_id[loan_id], row, False, part)
        # As the database's sums are kept: (settled, overdue, already).
        adjusted.update(
            (pk, (f["settled"], f["overdue"], f["already"])) for pk, f in figures.items()
        )
    # 3. overdue-flagged settlements with no overdue day in their period
    for row in InterestSettlement.objects.filter(
        loan__in=loan_rows, is_overdue_interest=True, **counted
    ).values_list(*SETTLEMENT_FIELDS):
        _pk, loan_id, _settled_on, period_start, period_end, amount, _flag = row
        part = overdue_part(amount, period_start, period_end, spans.get(loan_id, []))
        if part.normal:
            mismatch(by_id[loan_id], row, True, part)
    mismatches.sort(key=lambda m: (m.bank_code, m.contract_no, m.period_start, m.flagged_overdue))
    return adjusted, mismatches


def run_recompute(run: SubsidyRun) -> RunResult:
    """Compute a committed run again from its inputs (frozen from "audited" on): the figures it stored."""
    return compute_run(
        program=run.program, year=run.year, budget=run.budget, cutoff=run.cutoff, reproducing=run
    )


# --- Stages (四(一): 审核 → 规范性审查 → 局党组会审定 → 公示无异议 → 下达贴息资金文件 → 兑现) ---------------


class NotAllowed(StageRefused):
    """The actor's role may not take this step (views answer 403)."""


@dataclass(frozen=True)
class Stage:
    """One step of 四(一): the transition it takes, the role that acts, and what the step is called."""

    transition: str
    role: str
    what: Any  # lazy text: "record the audit"


STAGES: dict[str, Stage] = {
    "audit": Stage("audit", Role.ACCOUNTANT, gettext_lazy("record the audit")),
    "review": Stage("review", Role.BUREAU_STAFF, gettext_lazy("record the compliance review")),
    "approve": Stage(
        "approve", Role.BUREAU_HEAD, gettext_lazy("record the party-group meeting's approval")
    ),
    "publicize": Stage("publicize", Role.BUREAU_STAFF, gettext_lazy("start the publicity")),
    "issue": Stage("issue", Role.BUREAU_STAFF, gettext_lazy("record the funds document")),
    "pay": Stage("pay", Role.BUREAU_STAFF, gettext_lazy("record a payment")),
    "cancel": Stage("cancel", Role.BUREAU_HEAD, gettext_lazy("cancel the run")),
    "commit": Stage("commit", Role.BUREAU_STAFF, gettext_lazy("save a run")),
    "rule": Stage("rule", Role.BUREAU_STAFF, gettext_lazy("rule on an objection")),
}
# The stage a step follows, for the message that refuses it out of order.
AFTER = {
    "audit": RunState.COMPUTED,
    "review": RunState.AUDITED,
    "approve": RunState.REVIEWED,
    "publicize": RunState.APPROVED,
    "issue": RunState.PUBLICIZED,
    "pay": RunState.ISSUED,
}


def check_actor(actor: User, program: Program, step: str) -> None:
    """The step's role, in the run's own program (the administrator takes no step of a run)."""
    stage = STAGES[step]
    if actor.effective_role != stage.role or actor.program_id != program.pk:
        raise NotAllowed(
            _("Only the %(role)s of this program may %(what)s (Quzhou 四(一)).")
            % {"role": Role(stage.role).label, "what": stage.what}
        )


def _out_of_order(run: SubsidyRun, step: str) -> StageRefused:
    stage = STAGES[step]
    if run.state in (RunState.CANCELLED, RunState.PAID):
        return StageRefused(
            _("This run is %(state)s: nobody may %(what)s any more.")
            % {"state": run.get_state_display(), "what": stage.what}
        )
    return StageRefused(
        _(
            "Quzhou 四(一) sets the order: you may %(what)s only once the run is “%(before)s”; "
            "this run is “%(now)s”."
        )
        % {
            "what": stage.what,
            "before": RunState(AFTER[step]).label,
            "now": run.get_state_display(),
        }
    )


def _not_after_today(day: dt.date, label: Any) -> None:
    if day > timezone.localdate():
        raise SubsidyInputError(
            _("%(what)s %(day)s is later than today: record it once it has happened.")
            % {"what": label, "day": f"{day:%Y-%m-%d}"}
        )


def _store(field: Any, upload: UploadedFile, default: str) -> str:
    """Save an upload into a FileField (not the row) and give the name to show."""
    field.save(upload.name or default, upload, save=False)
    return display_name(upload.name or default)


def _take(run: SubsidyRun, *, actor: User, step: str) -> tuple[SubsidyRun, str]:
    """Lock the run, check the actor and the order, take the transition; the caller fills and saves.

    Returns the locked run (transition taken, not yet saved) and the state it came from.
    """
    check_actor(actor, run.program, step)
    locked = _locked(run)
    method = getattr(locked, STAGES[step].transition)
    if not can_proceed(method):
        raise _out_of_order(locked, step)
    before = locked.state
    method()
    return locked, before


def _finish(
    run: SubsidyRun,
    *,
    actor: User,
    before: str,
    request: Any,
    comment: str = "",
    data: Any = None,
) -> SubsidyRun:
    run.save()
    log_action(
        actor=actor,
        action=f"subsidy.run.{run.state}",
        obj=run,
        from_state=before,
        to_state=run.state,
        comment=comment,
        request=request,
        data=data,
    )
    notify_stage(run, actor=actor)
    return run


LINE_COLUMNS = (
    "run_id",
    "loan_id",
    "bank_id",
    "bank_code",
    "contract_no",
    "enterprise_name",
    "version_code",
    "disbursement_date",
    "principal",
    "annual_rate",
    "lpr",
    "settled_interest",
    "overdue_interest",
    "eligible_interest",
    "share",
    "computed",
    "amount",
)
EXCLUSION_COLUMNS = (
    "run_id",
    "loan_id",
    "bank_code",
    "contract_no",
    "enterprise_name",
    "reason",
    "detail",
)

MISMATCH_COLUMNS = (
    "run_id",
    "loan_id",
    "settlement_id",
    "bank_code",
    "contract_no",
    "settled_on",
    "period_start",
    "period_end",
    "amount",
    "flagged_overdue",
    "overdue_days",
    "period_days",
    "excluded",
)


def run_commit(
    *,
    actor: User,
    program: Program,
    year: Any,
    budget: Any,
    cutoff: Any = None,
    request: Any = None,
) -> SubsidyRun:
    """Compute and save a run of a closed year ("computed"), by the program's bureau staff.

    Refused while a run for the same program and year is not cancelled.
    """
    check_actor(actor, program, "commit")
    # The collector stays paused for the computation and the rows built for the COPY (see `_gc_paused`).
    with _gc_paused(), transaction.atomic():
        lifecycle.lock_program(program.pk)
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
                    created_by=actor,
                )
        except IntegrityError:
            raise SubsidyInputError(f"{year_i}年已有未撤销的贴息批次，请先撤销后再生成") from None
        # Tuples straight into a COPY (kedaitong.db.insert_rows): the values are already what the columns
        # store, so no model instance or field preparation per row (issue 20: 100,000 rows).
        insert_rows(
            SubsidyLine,
            LINE_COLUMNS,
            (
                (
                    run.pk,
                    x.loan_id,
                    x.bank_id,
                    x.bank_code,
                    x.contract_no,
                    x.enterprise_name,
                    x.version_code,
                    x.disbursement_date,
                    x.principal,
                    x.annual_rate,
                    x.lpr,
                    x.settled_interest,
                    x.overdue_interest,
                    x.eligible_interest,
                    x.share,
                    x.computed,
                    x.amount,
                )
                for x in result.lines
            ),
        )
        insert_rows(
            SubsidyExclusion,
            EXCLUSION_COLUMNS,
            (
                (
                    run.pk,
                    x.loan_id,
                    x.bank_code,
                    x.contract_no,
                    x.enterprise_name,
                    x.reason,
                    x.detail[:300],
                )
                for x in result.exclusions
            ),
        )
        insert_rows(
            FlagMismatch,
            MISMATCH_COLUMNS,
            (
                (
                    run.pk,
                    m.loan_id,
                    m.settlement_id,
                    m.bank_code,
                    m.contract_no,
                    m.settled_on,
                    m.period_start,
                    m.period_end,
                    m.amount,
                    m.flagged_overdue,
                    m.overdue_days,
                    m.period_days,
                    m.excluded,
                )
                for m in result.mismatches
            ),
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
        notify_stage(run, actor=actor)
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
        if connection.vendor != "postgresql":
            cursor.execute(sql, [run.pk, run.pk, run.cutoff, False, RunState.CANCELLED, run.pk])
            return
        # The lines were inserted in this transaction, so the planner's statistics know none of them and it
        # picks nested loops: one index probe of the settlements per line and one of the links per
        # settlement (3.1 s to select 667,092 links of 85,686 lines, issue 20). Hash joins take 0.6 s; the
        # setting is put back right after, for the rest of the transaction.
        cursor.execute("SELECT current_setting('enable_nestloop')")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config('enable_nestloop', 'off', true)")
        cursor.execute(sql, [run.pk, run.pk, run.cutoff, False, RunState.CANCELLED, run.pk])
        cursor.execute("SELECT set_config('enable_nestloop', %s, true)", [before])


@contextlib.contextmanager
def _links_in_memory() -> Iterator[None]:
    """PostgreSQL tests `settlement IN (links of live runs)` with a hashed subplan only while the links fit in
    `work_mem` (4 MB by default); past that (a live run of 667,092 links, issue 20) it walks every link for
    each settlement, and computing another year beside such a run did not end in 9 minutes. The setting is
    raised for these statements only (a million links hash in about 40 MB) and put back after them."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem')")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config('work_mem', '256MB', true)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [before])


def _locked(run: SubsidyRun) -> SubsidyRun:
    return SubsidyRun.objects.select_for_update(no_key=True).get(pk=run.pk)


def run_audit(
    *,
    actor: User,
    run: SubsidyRun,
    opinion_file: UploadedFile,
    opinion: str = "",
    pboc_confirmer: str,
    pboc_confirmed_on: dt.date,
    pboc_file: UploadedFile,
    pboc_opinion: str = "",
    request: Any = None,
) -> SubsidyRun:
    """四(一): 聘请有资质的第三方会计事务所，会同市人行…进行审核 — the firm's report with the PBoC branch's confirmation.

    The accounting firm records its audit report (file, opinion) and the confirmation of the PBoC branch,
    which signs the joint audit (who confirmed there, on which day, its opinion and the signed page). The
    run's figures are frozen from here (subsidy/guards.py).
    """
    if not pboc_confirmer.strip():
        raise SubsidyInputError(_("Name who confirmed the audit at the PBoC branch."))
    _not_after_today(pboc_confirmed_on, _("The PBoC branch's confirmation of"))
    with transaction.atomic():
        locked, before = _take(run, actor=actor, step="audit")
        computed_on = timezone.localtime(locked.created_at).date()
        if pboc_confirmed_on < computed_on:
            raise SubsidyInputError(
                _(
                    "The PBoC branch confirmed on %(day)s, before the run was computed (%(computed)s)."
                )
                % {"day": f"{pboc_confirmed_on:%Y-%m-%d}", "computed": f"{computed_on:%Y-%m-%d}"}
            )
        locked.audited_by = actor
        locked.audit_note = opinion.strip()
        locked.audit_opinion_name = _store(locked.audit_opinion, opinion_file, "audit.pdf")
        locked.pboc_confirmer = pboc_confirmer.strip()
        locked.pboc_confirmed_on = pboc_confirmed_on
        locked.pboc_opinion = pboc_opinion.strip()
        locked.pboc_file_name = _store(locked.pboc_file, pboc_file, "pboc.pdf")
        return _finish(
            locked,
            actor=actor,
            before=before,
            request=request,
            comment=opinion,
            data={"pboc_confirmer": locked.pboc_confirmer, "pboc_confirmed_on": pboc_confirmed_on},
        )


def run_review(*, actor: User, run: SubsidyRun, opinion: str, request: Any = None) -> SubsidyRun:
    """四(一): 经规范性审查 — bureau staff check the audited run against the plan and write their opinion."""
    if not opinion.strip():
        raise SubsidyInputError(_("Write the compliance review's opinion."))
    with transaction.atomic():
        locked, before = _take(run, actor=actor, step="review")
        locked.reviewed_by = actor
        locked.review_opinion = opinion.strip()
        return _finish(locked, actor=actor, before=before, request=request, comment=opinion)


def run_approve(
    *,
    actor: User,
    run: SubsidyRun,
    meeting_date: dt.date,
    minutes: UploadedFile,
    note: str = "",
    request: Any = None,
) -> SubsidyRun:
    """四(一): 局党组会审定 — the bureau head records the party-group meeting: its date, minutes and decision."""
    _not_after_today(meeting_date, _("The meeting of"))
    with transaction.atomic():
        locked, before = _take(run, actor=actor, step="approve")
        reviewed_on = timezone.localtime(locked.reviewed_at).date() if locked.reviewed_at else None
        if reviewed_on and meeting_date < reviewed_on:
            raise SubsidyInputError(
                _(
                    "The meeting of %(day)s was before the compliance review (%(reviewed)s): "
                    "Quzhou 四(一) has the meeting approve the reviewed run."
                )
                % {"day": f"{meeting_date:%Y-%m-%d}", "reviewed": f"{reviewed_on:%Y-%m-%d}"}
            )
        locked.approved_by = actor
        locked.meeting_date = meeting_date
        locked.meeting_note = note.strip()
        locked.meeting_minutes_name = _store(locked.meeting_minutes, minutes, "minutes.pdf")
        return _finish(
            locked,
            actor=actor,
            before=before,
            request=request,
            comment=note,
            data={"meeting_date": meeting_date},
        )


def publicity_workdays(program: Program, start: dt.date) -> int:
    """The publicity period in working days: the program version in force on the first day says how long."""
    version = program.version_on(start)
    if version is None or not version.publicity_workdays:
        raise SubsidyInputError(
            _(
                "The program's version in force on %(day)s has no publicity period (working days): "
                "an administrator must enter it before the publicity starts."
            )
            % {"day": f"{start:%Y-%m-%d}"}
        )
    return version.publicity_workdays


def run_publicize(
    *, actor: User, run: SubsidyRun, start: dt.date, request: Any = None
) -> SubsidyRun:
    """四(一): 公示 — from `start` (today or later, never backdated) for the version's working days."""
    today = timezone.localdate()
    if start < today:
        raise SubsidyInputError(
            _("The publicity cannot start in the past (%(start)s): start it today or later.")
            % {"start": f"{start:%Y-%m-%d}"}
        )
    with transaction.atomic():
        locked, before = _take(run, actor=actor, step="publicize")
        days = publicity_workdays(locked.program, start)
        locked.publicity_start = start
        locked.publicity_end = period_end(start, days)
        locked.publicized_by = actor
        return _finish(
            locked,
            actor=actor,
            before=before,
            request=request,
            data={"start": start, "end": locked.publicity_end, "workdays": days},
        )


def run_issue(
    *,
    actor: User,
    run: SubsidyRun,
    document_no: str,
    document_date: dt.date,
    document_file: UploadedFile,
    request: Any = None,
) -> SubsidyRun:
    """四(一): 公示无异议后，下达贴息资金文件 — once the publicity is over with no objection pending or upheld."""
    if not document_no.strip():
        raise SubsidyInputError(_("Enter the funds document's number."))
    _not_after_today(document_date, _("The funds document of"))
    with transaction.atomic():
        check_actor(actor, run.program, "issue")
        locked = _locked(run)
        if locked.state != RunState.PUBLICIZED:
            raise _out_of_order(locked, "issue")
        if not locked.publicity_over():
            raise StageRefused(
                _(
                    "The publicity runs until %(end)s: Quzhou 四(一) issues the funds document only "
                    "after the publicity is over without objection."
                )
                % {"end": f"{locked.publicity_end:%Y-%m-%d}"}
            )
        pending = locked.objections.filter(ruling=RunObjection.Ruling.PENDING).count()
        if pending:
            raise StageRefused(
                _(
                    "%(n)d objection(s) to the publicity are not ruled on yet: Quzhou 四(一) issues "
                    "the funds document only when the publicity ends without objection."
                )
                % {"n": pending}
            )
        if locked.objections.filter(ruling=RunObjection.Ruling.UPHELD).exists():
            raise StageRefused(_("An objection to the publicity was upheld: the run cannot go on."))
        if document_date <= locked.publicity_end:  # type: ignore[operator]
            raise SubsidyInputError(
                _("The funds document is dated %(day)s, within the publicity (until %(end)s).")
                % {"day": f"{document_date:%Y-%m-%d}", "end": f"{locked.publicity_end:%Y-%m-%d}"}
            )
        before = locked.state
        locked.issue()
        locked.issued_by = actor
        locked.document_no = document_no.strip()
        locked.document_date = document_date
        locked.document_file_name = _store(locked.document_file, document_file, "document.pdf")
        return _finish(
            locked,
            actor=actor,
            before=before,
            request=request,
            data={"document_no": locked.document_no, "document_date": document_date},
        )


def run_cancel(*, actor: User, run: SubsidyRun, reason: str, request: Any = None) -> SubsidyRun:
    """The bureau head cancels a run before any bank is paid; its settlements become free for a new run."""
    if not reason.strip():
        raise SubsidyInputError(_("Give the reason for cancelling the run."))
    with transaction.atomic():
        locked, before = _take(run, actor=actor, step="cancel")
        if BankPayment.objects.filter(run=locked).exists():
            raise StageRefused(
                _("A payment to a bank is recorded: the run can no longer be cancelled.")
            )
        locked.cancelled_by = actor
        locked.cancel_reason = reason.strip()
        return _finish(locked, actor=actor, before=before, request=request, comment=reason)


def run_record_payment(
    *,
    actor: User,
    run: SubsidyRun,
    bank: Bank,
    paid_on: dt.date,
    voucher_no: str,
    request: Any = None,
) -> BankPayment:
    """兑现: one payment per bank of its total, after the funds document; the run is paid when every bank is."""
    check_actor(actor, run.program, "pay")
    if not voucher_no.strip():
        raise SubsidyInputError(_("Enter the payment's voucher number."))
    _not_after_today(paid_on, _("The payment of"))
    with transaction.atomic():
        locked = _locked(run)
        if locked.state != RunState.ISSUED:
            raise _out_of_order(locked, "pay")
        if paid_on < locked.document_date:  # type: ignore[operator]
            raise SubsidyInputError(
                _("The payment of %(day)s is dated before the funds document (%(document)s).")
                % {"day": f"{paid_on:%Y-%m-%d}", "document": f"{locked.document_date:%Y-%m-%d}"}
            )
        amount = locked.lines.filter(bank=bank).aggregate(s=MoneySum("amount"))["s"] or ZERO
        if amount <= 0:
            raise SubsidyInputError(f"{bank.name}在本批次没有贴息")
        if locked.payments.filter(bank=bank).exists():
            raise StageRefused(f"{bank.name}的贴息已登记拨付")
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
        notify_payment(locked, payment)
        unpaid = (
            locked.lines.filter(amount__gt=0)
            .exclude(bank__in=locked.payments.values("bank"))
            .exists()
        )
        if not unpaid:
            before = locked.state
            locked.pay()
            _finish(locked, actor=actor, before=before, request=request)
    return payment


# --- Objections during the publicity --------------------------------------------------------------


def objection_submit(
    *,
    run: SubsidyRun,
    name: str,
    contact: str,
    reason: str,
    attachment: UploadedFile | None = None,
    ip_address: str | None = None,
) -> RunObjection:
    """Anyone objects to a run while its publicity runs (no login); the bureau staff are told at once."""
    with transaction.atomic():
        locked = _locked(run)
        if not locked.publicity_running():
            raise StageRefused(
                _("The publicity of this run is not running: objections are closed.")
            )
        objection = RunObjection(
            run=locked,
            name=name.strip(),
            contact=contact.strip(),
            reason=reason.strip(),
            ip_address=ip_address,
        )
        if attachment is not None:
            objection.attachment_name = _store(objection.attachment, attachment, "objection.pdf")
        objection.save()
        log_action(
            actor=None,
            action="subsidy.objection.submitted",
            obj=locked,
            comment=objection.reason,
            data={"objection": str(objection.public_id), "name": objection.name},
        )
        notify_objection(objection)
    return objection


def objection_rule(
    *,
    actor: User,
    objection: RunObjection,
    upheld: bool,
    note: str,
    request: Any = None,
) -> RunObjection:
    """Bureau staff uphold or dismiss an objection, with the reason.

    An upheld objection cancels the run (docs/decisions.md, issue 15): its figures are frozen, so a
    correction means correcting the inputs and computing the year again, and the new run passes every
    stage of 四(一) again, its own publicity included.
    """
    check_actor(actor, objection.run.program, "rule")
    if not note.strip():
        raise SubsidyInputError(_("Give the reason for the ruling."))
    with transaction.atomic():
        run = _locked(objection.run)
        locked = RunObjection.objects.select_for_update(no_key=True).get(pk=objection.pk)
        if locked.ruling != RunObjection.Ruling.PENDING:
            raise StageRefused(_("This objection is already ruled on."))
        if run.state not in (RunState.PUBLICIZED, RunState.CANCELLED):
            raise StageRefused(
                _("The run is “%(now)s”: objections are ruled on during and after its publicity.")
                % {"now": run.get_state_display()}
            )
        (locked.uphold if upheld else locked.dismiss)()
        locked.ruled_by = actor
        locked.ruling_note = note.strip()
        locked.save()
        log_action(
            actor=actor,
            action=f"subsidy.objection.{locked.ruling}",
            obj=run,
            comment=note,
            request=request,
            data={"objection": str(locked.public_id)},
        )
        if upheld and run.state == RunState.PUBLICIZED:
            before = run.state
            run.cancel()
            run.cancelled_by = actor
            run.cancel_reason = str(
                _("Objection upheld during the publicity: %(note)s") % {"note": note.strip()}
            )
            _finish(run, actor=actor, before=before, request=request, comment=note)
    return locked
