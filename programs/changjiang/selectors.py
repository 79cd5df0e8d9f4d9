"""Reads of the Changjiang kind's own records: plan against granted and disbursed (第五条), the open recovery cases
and what follows them (第七条), the figures of a quarter's post-loan report to the province (第十条)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone

from applications.models import Application, Program
from kedaitong import programs
from kedaitong.db import MoneySum
from kedaitong.programs import Feature
from loans.models import Bank, Loan, OverdueEvent, PostLoanReport, Repayment
from programs.changjiang import rules
from programs.changjiang.models import CreditPlan, CreditPlanChange, RecoveryCase

ZERO = Decimal("0.00")
MONTHS = range(1, 13)


def programs_with(feature: str) -> QuerySet[Program]:
    """The programs of every kind that runs `feature` (a second district of the kind is one more row)."""
    return Program.objects.filter(kind__in=programs.kinds_with(feature)).order_by("code")


# --- 第五条: plan against granted and disbursed -------------------------------------------------------------------


@dataclass
class Month:
    month: int
    plan_amount: Decimal  # the plan's share due by the month's end (rules.pro_rata_amount)
    plan_count: Decimal
    granted_count: int = 0
    granted_amount: Decimal = ZERO
    disbursed_count: int = 0
    disbursed_amount: Decimal = ZERO
    # Running totals from January.
    granted_count_to_date: int = 0
    granted_amount_to_date: Decimal = ZERO
    disbursed_count_to_date: int = 0
    disbursed_amount_to_date: Decimal = ZERO


@dataclass
class BankProgress:
    bank: Bank
    plan: CreditPlan | None
    months: list[Month] = field(default_factory=list)

    @property
    def granted_count(self) -> int:
        return self.months[-1].granted_count_to_date if self.months else 0

    @property
    def granted_amount(self) -> Decimal:
        return self.months[-1].granted_amount_to_date if self.months else ZERO

    @property
    def disbursed_count(self) -> int:
        return self.months[-1].disbursed_count_to_date if self.months else 0

    @property
    def disbursed_amount(self) -> Decimal:
        return self.months[-1].disbursed_amount_to_date if self.months else ZERO

    def to_month(self, month: int) -> Month:
        return self.months[month - 1]

    def share_of_plan(self) -> Decimal | None:
        """Disbursed as a percentage of the year's planned amount, to one place (half-up), None without a plan."""
        if self.plan is None or not self.plan.amount:
            return None
        return (self.disbursed_amount * 100 / self.plan.amount).quantize(Decimal("0.1"))


def granted_by_month(
    program: Program, year: int, banks: list[int]
) -> dict[tuple[int, int], tuple[int, Decimal]]:
    """(bank id, month) → (number, amount) of credits granted in `year` (第八条: the publicity batch closing without
    an upheld objection grants the entry's amount; the month is the bureau's date of that closing)."""
    from review.models import PublicityEntry

    rows = PublicityEntry.objects.filter(
        application__program_version__program=program,
        application__bank__in=banks,
        application__state__in=[Application.State.CREDIT_GRANTED, Application.State.DISBURSED],
        batch__closed_at__isnull=False,
    ).values_list("application__bank_id", "batch__closed_at", "credit_amount")
    found: dict[tuple[int, int], tuple[int, Decimal]] = {}
    for bank_id, closed_at, amount in rows:
        day = timezone.localdate(closed_at)
        if day.year != year:
            continue
        n, total = found.get((bank_id, day.month), (0, ZERO))
        found[(bank_id, day.month)] = (n + 1, total + amount)
    return found


def disbursed_by_month(
    program: Program, year: int, banks: list[int], until: dt.date | None = None
) -> dict[tuple[int, int], tuple[int, Decimal]]:
    """(bank id, month) → (number, principal) of the program's loans disbursed in `year` (up to `until`)."""
    loans = Loan.objects.filter(
        program_version__program=program,
        bank__in=banks,
        disbursement_date__gte=dt.date(year, 1, 1),
        disbursement_date__lte=dt.date(year, 12, 31),
    )
    if until is not None:
        loans = loans.filter(disbursement_date__lte=until)
    rows = (
        loans.order_by()
        .annotate(month=ExtractMonth("disbursement_date"))
        .values("bank_id", "month")
        .annotate(n=Count("id"), amount=MoneySum("principal"))
    )
    return {(r["bank_id"], r["month"]): (r["n"], r["amount"] or ZERO) for r in rows}


def plan_progress(
    program: Program,
    year: int,
    banks: QuerySet[Bank] | None = None,
    disbursed_from: Callable[
        [Program, int, list[int]], dict[tuple[int, int], tuple[int, Decimal]]
    ] = disbursed_by_month,
) -> list[BankProgress]:
    """Each bank's plan (if any) against what was granted and disbursed, month by month (第五条).

    The banks are the program's cooperating banks and any bank with a plan or a loan that year (`banks` narrows
    them: a bank sees its own row). Two queries for the figures, whatever the number of banks. `disbursed_from`
    gives the same figures as `disbursed_by_month` (the dashboard reads them from its loan tallies).
    """
    plans = {p.bank_id: p for p in CreditPlan.objects.filter(program=program, year=year)}
    # The banks with a loan that year, as a subquery (one OR over joins to the loans made a row per loan
    # before DISTINCT: 50,000 for a large program).
    lent = Loan.objects.filter(
        program_version__program=program,
        disbursement_date__gte=dt.date(year, 1, 1),
        disbursement_date__lte=dt.date(year, 12, 31),
    ).values("bank")
    candidates = Bank.objects.filter(
        Q(agreements__program=program) | Q(pk__in=list(plans)) | Q(pk__in=lent)
    ).distinct()
    if banks is not None:
        candidates = candidates.filter(pk__in=banks.values("pk"))
    bank_list = list(candidates.order_by("code"))
    ids = [b.pk for b in bank_list]
    granted = granted_by_month(program, year, ids)
    disbursed = disbursed_from(program, year, ids)
    result = []
    for bank in bank_list:
        plan = plans.get(bank.pk)
        progress = BankProgress(bank=bank, plan=plan)
        g_count, g_amount, d_count, d_amount = 0, ZERO, 0, ZERO  # to date, month by month
        for m in MONTHS:
            gn, ga = granted.get((bank.pk, m), (0, ZERO))
            dn, da = disbursed.get((bank.pk, m), (0, ZERO))
            g_count, g_amount, d_count, d_amount = (
                g_count + gn,
                g_amount + ga,
                d_count + dn,
                d_amount + da,
            )
            progress.months.append(
                Month(
                    month=m,
                    plan_amount=rules.pro_rata_amount(plan.amount, m) if plan else ZERO,
                    plan_count=rules.pro_rata_count(plan.count, m) if plan else ZERO,
                    granted_count=gn,
                    granted_amount=ga,
                    disbursed_count=dn,
                    disbursed_amount=da,
                    granted_count_to_date=g_count,
                    granted_amount_to_date=g_amount,
                    disbursed_count_to_date=d_count,
                    disbursed_amount_to_date=d_amount,
                )
            )
        result.append(progress)
    return result


def program_totals(rows: list[BankProgress]) -> list[Month]:
    """The months of every bank added up (the dashboard's line and the export's total)."""
    totals = [Month(month=m, plan_amount=ZERO, plan_count=ZERO) for m in MONTHS]
    for row in rows:
        for total, month in zip(totals, row.months, strict=True):
            for name in (
                "plan_amount",
                "plan_count",
                "granted_count",
                "granted_amount",
                "disbursed_count",
                "disbursed_amount",
                "granted_count_to_date",
                "granted_amount_to_date",
                "disbursed_count_to_date",
                "disbursed_amount_to_date",
            ):
                setattr(total, name, getattr(total, name) + getattr(month, name))
    return totals


def plan_as_of(plan: CreditPlan, moment: dt.datetime) -> CreditPlanChange | None:
    """The plan as it stood at `moment`: its latest setting made by then (changes are kept, 第五条)."""
    return plan.changes.filter(changed_at__lte=moment).order_by("-changed_at", "-pk").first()


def plan_years(program: Program) -> list[int]:
    """The years a plan page offers: this year, next year, and every year with a plan."""
    this_year = timezone.localdate().year
    years = set(CreditPlan.objects.filter(program=program).values_list("year", flat=True))
    return sorted(years | {this_year, this_year + 1}, reverse=True)


# --- 第七条: joint recovery ---------------------------------------------------------------------------------------


def repaid_until(on: dt.date) -> Subquery:
    return Subquery(
        Repayment.objects.filter(loan=OuterRef("pk"), repaid_on__lte=on)
        .order_by()
        .values("loan")
        .annotate(s=MoneySum("principal"))
        .values("s")
    )


def open_overdue(on: dt.date) -> Q:
    return Q(started_on__lte=on) & (Q(cleared_on__isnull=True) | Q(cleared_on__gt=on))


def loans_unpaid_at_maturity(on: dt.date) -> QuerySet[Loan]:
    """Changjiang 第七条: loans of programs that run joint recovery, past their maturity on `on`, with principal
    outstanding or overdue interest not cleared, and no recovery case yet (rules.unpaid_at_maturity, in SQL)."""
    open_interest = Subquery(
        OverdueEvent.objects.filter(open_overdue(on), loan=OuterRef("pk"))
        .order_by()
        .values("loan")
        .annotate(s=MoneySum("overdue_interest"))
        .values("s")
    )
    return (
        Loan.objects.filter(
            program_version__program__in=programs_with(Feature.JOINT_RECOVERY),
            maturity_date__lt=on,
            recovery_case__isnull=True,
        )
        .annotate(
            repaid=Coalesce(repaid_until(on), ZERO),
            overdue_interest_open=Coalesce(open_interest, ZERO),
        )
        .annotate(
            outstanding=ExpressionWrapper(F("principal") - F("repaid"), output_field=DecimalField())
        )
        .filter(Q(outstanding__gt=0) | Q(overdue_interest_open__gt=0))
        .select_related("bank", "enterprise", "program_version__program")
        .order_by("maturity_date", "pk")
    )


def case_list(cases: QuerySet[RecoveryCase]) -> QuerySet[RecoveryCase]:
    """Cases with what a list shows: the loan, the lead bank, the number of actions and the last action's date."""
    from django.db.models import Max

    return cases.select_related("loan__enterprise", "bank", "program").annotate(
        action_count=Count("actions"), last_action_on=Max("actions__acted_on")
    )


@dataclass(frozen=True)
class FollowUp:
    """What followed a case in risk compensation (第十一条): the loan's claims, their recoveries and write-off."""

    claims: list[Any]
    recoveries: list[Any]
    write_offs: list[Any]
    recovered_net: Decimal
    share_owed: Decimal


def follow_up(case: RecoveryCase, user: Any) -> FollowUp:
    """The compensation claim(s) of the case's loan the user may see, with their recoveries and write-off."""
    from compensation.models import Claim

    claims = list(
        Claim.objects.visible_to(user)
        .filter(loan=case.loan)
        .select_related("write_off")
        .prefetch_related("recoveries")
        .order_by("created_at")
    )
    recoveries = [r for c in claims for r in c.recoveries.all()]
    write_offs = [c.write_off for c in claims if hasattr(c, "write_off")]
    return FollowUp(
        claims=claims,
        recoveries=recoveries,
        write_offs=write_offs,
        recovered_net=sum((r.net for r in recoveries), ZERO),
        share_owed=sum((r.share for r in recoveries), ZERO),
    )


# --- 第十条: the quarter's post-loan report to the province ------------------------------------------------------


@dataclass
class BankReporting:
    bank_id: int
    code: str
    name: str
    due: int = 0
    filed: int = 0
    normal: int = 0
    watch: int = 0
    risk: int = 0
    principal: Decimal = ZERO
    outstanding: Decimal = ZERO  # principal outstanding at the quarter's end

    @property
    def missing(self) -> int:
        return self.due - self.filed

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "due": self.due,
            "filed": self.filed,
            "missing": self.missing,
            "normal": self.normal,
            "watch": self.watch,
            "risk": self.risk,
            "principal": str(self.principal),
            "outstanding": str(self.outstanding),
        }


def loans_due_in_quarter(program: Program, year: int, quarter: int) -> QuerySet[Loan]:
    """Changjiang 第十条: the program's loans outstanding at some time in the quarter (disbursed by its end, maturing
    after its start), on which the bank reports its post-loan management."""
    first, last = rules.quarter_bounds(year, quarter)
    return Loan.objects.filter(
        program_version__program=program,
        disbursement_date__lte=last,
        maturity_date__gte=first,
    )


def quarter_reporting(program: Program, year: int, quarter: int) -> list[BankReporting]:
    """Per bank: loans due a report for the quarter, reports filed (by assessment), principal of the loans due and
    what of it was outstanding at the quarter's end."""
    loans = loans_due_in_quarter(program, year, quarter)
    _first, last = rules.quarter_bounds(year, quarter)
    outstanding = outstanding_by_bank(loans, last)
    banks: dict[int, BankReporting] = {}
    for row in (
        loans.order_by()
        .values("bank_id", "bank__code", "bank__name")
        .annotate(n=Count("id"), principal=MoneySum("principal"))
    ):
        banks[row["bank_id"]] = BankReporting(
            bank_id=row["bank_id"],
            code=row["bank__code"],
            name=row["bank__name"],
            due=row["n"],
            principal=row["principal"] or ZERO,
            outstanding=outstanding.get(row["bank_id"], ZERO),
        )
    for bank_id, status, n in (
        PostLoanReport.objects.filter(year=year, quarter=quarter, loan__in=loans)
        .order_by()
        .values("loan__bank_id", "status")
        .annotate(n=Count("id"))
        .values_list("loan__bank_id", "status", "n")
    ):
        bank = banks[bank_id]
        bank.filed += n
        setattr(bank, status, getattr(bank, status) + n)
    return sorted(banks.values(), key=lambda b: b.code)


def quarter_reports(program: Program, year: int, quarter: int) -> QuerySet[PostLoanReport]:
    return (
        PostLoanReport.objects.filter(
            year=year, quarter=quarter, loan__in=loans_due_in_quarter(program, year, quarter)
        )
        .select_related("loan__enterprise", "loan__bank", "filed_by")
        .order_by("loan__bank__code", "loan__contract_no")
    )


def quarter_missing(program: Program, year: int, quarter: int) -> QuerySet[Loan]:
    filed = PostLoanReport.objects.filter(year=year, quarter=quarter).values("loan_id")
    return (
        loans_due_in_quarter(program, year, quarter)
        .exclude(pk__in=filed)
        .select_related("enterprise", "bank")
        .order_by("bank__code", "contract_no")
    )


def overdue_at(program: Program, on: dt.date) -> dict[str, Any]:
    """Loans of the program with arrears open on `on`: how many, and their overdue principal (for the report)."""
    events = OverdueEvent.objects.filter(open_overdue(on), loan__program_version__program=program)
    figures = events.aggregate(
        loans=Count("loan", distinct=True), principal=MoneySum("overdue_principal")
    )
    return {"loans": figures["loans"] or 0, "principal": figures["principal"] or ZERO}


def annotate_outstanding(loans: QuerySet[Loan], on: dt.date) -> QuerySet[Loan]:
    return loans.annotate(repaid=Coalesce(repaid_until(on), ZERO)).annotate(
        outstanding=ExpressionWrapper(F("principal") - F("repaid"), output_field=DecimalField())
    )


def outstanding_by_bank(loans: QuerySet[Loan], on: dt.date) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for bank_id, outstanding in annotate_outstanding(loans, on).values_list(  # type: ignore[misc]
        "bank_id", "outstanding"
    ):
        if outstanding > 0:
            totals[bank_id] += outstanding
    return totals
