"""Figures for the dashboards, each computed in the database and scoped to the user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from kedaitong.db import MoneySum
from kedaitong.models import User
from loans.delinquency import Bucket, Span, bucket_for, days_past_due
from loans.models import Loan, OverdueEvent, Repayment

ZERO = Decimal("0.00")


@dataclass
class Chart:
    """A chart and the table of its numbers: labels, one or more series, the kind of chart."""

    key: str
    title: Any
    labels: list[str]
    series: list[tuple[str, list[Any]]]
    kind: str = "bar"
    plot: int = 1  # how many series a bar chart draws; the table always shows all
    note: Any = ""
    rows: list[list[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rows = [
            [label, *(values[i] for _, values in self.series)]
            for i, label in enumerate(self.labels)
        ]

    @property
    def element_id(self) -> str:
        return f"chart-{self.key}"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "plot": self.plot,
            "labels": self.labels,
            "series": [
                {"name": name, "values": [str(v) for v in values]} for name, values in self.series
            ],
        }


def applications_by_state(user: User) -> Chart:
    counts = dict(
        Application.objects.visible_to(user).order_by().values_list("state").annotate(n=Count("id"))
    )
    states = [(value, label) for value, label in Application.State.choices if counts.get(value)]
    return Chart(
        "states",
        _("Applications by state"),
        [str(label) for _, label in states],
        [(str(_("Applications")), [counts[value] for value, _ in states])],
    )


def applications_by_month(user: User, months: int = 12) -> Chart:
    """Applications created in each of the last `months` months (Asia/Shanghai), one conditional aggregate.

    Month boundaries are computed here as aware datetimes, so the database compares
    indexed timestamps instead of converting every row's time zone.
    """
    first = timezone.localdate().replace(day=1)
    starts = []
    for _i in range(months):
        starts.insert(0, first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    bounds = [timezone.make_aware(dt.datetime.combine(day, dt.time())) for day in starts]
    next_month = (starts[-1] + dt.timedelta(days=32)).replace(day=1)
    bounds.append(timezone.make_aware(dt.datetime.combine(next_month, dt.time())))
    aggregates = {}
    for i in range(months):
        window = Q(created_at__gte=bounds[i], created_at__lt=bounds[i + 1])
        aggregates[f"n{i}"] = Count("id", filter=window)
        aggregates[f"a{i}"] = MoneySum("amount", filter=window)
    figures = (
        Application.objects.visible_to(user)
        .filter(created_at__gte=bounds[0])
        .aggregate(**aggregates)
    )
    shown = [i for i in range(months) if figures[f"n{i}"]]
    return Chart(
        "months",
        _("Applications by month"),
        [f"{starts[i]:%Y-%m}" for i in shown],
        [
            (str(_("Applications")), [figures[f"n{i}"] for i in shown]),
            (str(_("Amount (yuan)")), [figures[f"a{i}"] or ZERO for i in shown]),
        ],
        kind="line",
    )


def principal_by_tech_field(user: User) -> Chart:
    """Loans by the enterprise's technology field (the profile's field; "not stated" when the profile leaves it empty)."""
    rows = (
        Loan.objects.visible_to(user)
        .order_by()
        .values("enterprise__tech_field__name")
        .annotate(n=Count("id"), principal=MoneySum("principal"))
        .order_by("-principal")
    )
    return Chart(
        "fields",
        _("Loans by technology field"),
        [r["enterprise__tech_field__name"] or str(_("Not stated")) for r in rows],
        [
            (str(_("Principal (yuan)")), [r["principal"] for r in rows]),
            (str(_("Loans")), [r["n"] for r in rows]),
        ],
    )


def principal_by_bank(user: User) -> Chart:
    rows = (
        Loan.objects.visible_to(user)
        .order_by()
        .values("bank__name")
        .annotate(n=Count("id"), principal=MoneySum("principal"))
        .order_by("-principal")
    )
    return Chart(
        "banks",
        _("Loans by bank"),
        [r["bank__name"] for r in rows],
        [
            (str(_("Principal (yuan)")), [r["principal"] for r in rows]),
            (str(_("Loans")), [r["n"] for r in rows]),
        ],
    )


def delinquency(user: User, on: dt.date | None = None) -> tuple[Chart, Decimal | None]:
    """Outstanding principal by bucket, and the non-performing ratio (over 90 days past due / outstanding).

    1. Outstanding = principal − repayments to date, summed in the database.
    2. Only loans overdue on `on` (usually few) are bucketed one by one: with arrears
       the bank reported still open, or past maturity with principal outstanding
       (overdue from the day after maturity, `loans.delinquency.past_maturity`).
    3. Everything else outstanding is current.
    """
    on = on or timezone.localdate()
    loans = Loan.objects.visible_to(user).filter(disbursement_date__lte=on)
    repaid_sq = (
        Repayment.objects.filter(loan=OuterRef("pk"), repaid_on__lte=on)
        .order_by()
        .values("loan")
        .annotate(s=MoneySum("principal"))
        .values("s")
    )
    outstanding = loans.annotate(
        outstanding=ExpressionWrapper(
            F("principal") - Coalesce(Subquery(repaid_sq), ZERO), output_field=DecimalField()
        )
    ).filter(outstanding__gt=0)
    totals = outstanding.aggregate(n=Count("id"), amount=MoneySum("outstanding"))
    open_events: dict[int, list[Any]] = {}
    for event in OverdueEvent.objects.filter(loan__in=loans, started_on__lte=on).filter(
        Q(cleared_on__isnull=True) | Q(cleared_on__gt=on)
    ):
        open_events.setdefault(event.loan_id, []).append(event)
    # Outstanding on `on` and past maturity: overdue since the day after maturity.
    for pk, maturity in outstanding.filter(maturity_date__lt=on).values_list("pk", "maturity_date"):
        open_events.setdefault(pk, []).append(Span(maturity + dt.timedelta(days=1), None, True))
    by_bucket = {b: ZERO for b in Bucket}
    count = {b: 0 for b in Bucket}
    for pk, amount in outstanding.filter(pk__in=list(open_events)).values_list("pk", "outstanding"):
        bucket = bucket_for(days_past_due(open_events[pk], on))
        by_bucket[bucket] += amount
        count[bucket] += 1
    total = totals["amount"] or ZERO
    by_bucket[Bucket.CURRENT] += total - sum(by_bucket.values(), ZERO)
    count[Bucket.CURRENT] += (totals["n"] or 0) - sum(count.values())
    npl = by_bucket[Bucket.DPD_91_180] + by_bucket[Bucket.DPD_OVER_180]
    ratio = (npl / total * 100).quantize(Decimal("0.01")) if total else None
    chart = Chart(
        "buckets",
        _("Outstanding principal by days past due"),
        [str(b.label) for b in Bucket],
        [
            (str(_("Outstanding (yuan)")), [by_bucket[b] for b in Bucket]),
            (str(_("Loans")), [count[b] for b in Bucket]),
        ],
        note=_("Non-performing: more than 90 days past due."),
    )
    return chart, ratio


def review_stage_days(user: User) -> Chart:
    """Median days applications spent in each review stage, read from the audit trail's transitions.

    The time in a state is the gap between the transition that entered it and the
    next transition of the same application.
    """
    import statistics

    from django.contrib.contenttypes.models import ContentType

    from kedaitong.models import AuditEntry

    # The audit trail keys objects by text: compare with the visible applications' ids as text, in SQL,
    # rather than sending every id over (slow over 100,000 applications).
    visible = (
        Application.objects.visible_to(user)
        .order_by()
        .annotate(key=Cast("pk", CharField()))
        .values("key")
    )
    entries = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Application), object_id__in=visible
        )
        .exclude(to_state="")
        .order_by("object_id", "at", "id")
        .values_list("object_id", "at", "to_state")
    )
    spans: dict[str, list[float]] = {}
    previous: tuple[str, dt.datetime, str] | None = None
    for object_id, at, to_state in entries:
        if previous is not None and previous[0] == object_id:
            spans.setdefault(previous[2], []).append((at - previous[1]).total_seconds() / 86400)
        previous = (object_id, at, to_state)
    states = [(value, label) for value, label in Application.State.choices if value in spans]
    return Chart(
        "stages",
        _("Median days in each review stage"),
        [str(label) for _, label in states],
        [
            (
                str(_("Median days")),
                [Decimal(str(round(statistics.median(spans[v]), 1))) for v, _ in states],
            ),
            (str(_("Applications")), [len(spans[v]) for v, _ in states]),
        ],
    )


def subsidy_budgets(user: User) -> Chart:
    """Each subsidy run's budget against what it pays (Quzhou 四: pro-rated when over budget)."""
    from subsidy.models import SubsidyRun

    runs = (
        SubsidyRun.objects.visible_to(user)
        .exclude(state="cancelled")
        .order_by("year")
        .values_list("year", "budget", "total")
    )
    runs = list(runs)
    return Chart(
        "subsidy",
        _("Interest subsidy: budget and amount granted"),
        [str(year) for year, _, _ in runs],
        [
            (str(_("Budget (yuan)")), [budget for _, budget, _ in runs]),
            (str(_("Granted (yuan)")), [total for _, _, total in runs]),
            (str(_("Remaining (yuan)")), [budget - total for _, budget, total in runs]),
        ],
        plot=2,
    )


def compensation_budgets(user: User) -> Chart:
    """Each year's risk-compensation budget against what the leading group has decided (Changjiang 第三条, 第十一条 2(3))."""
    from applications.scope import current_program_id
    from compensation.models import CompensationBudget
    from kedaitong.roles import Role

    budgets = CompensationBudget.objects.select_related("program").order_by("program__code", "year")
    if user.effective_role == Role.ADMIN or (user.is_program_scoped and user.program_id):
        budgets = budgets.filter(
            program=current_program_id(user)
        )  # the admin's: the switched-to program
    else:
        budgets = budgets.none()
    rows = list(budgets)
    several = len({b.program_id for b in rows}) > 1
    return Chart(
        "compensation",
        _("Risk compensation: budget and amount decided"),
        [f"{b.program.name} {b.year}" if several else str(b.year) for b in rows],
        [
            (str(_("Budget (yuan)")), [b.amount for b in rows]),
            (str(_("Decided (yuan)")), [b.committed for b in rows]),
            (str(_("Remaining (yuan)")), [b.remaining for b in rows]),
        ],
        plot=2,
    )


def enterprise_loans(user: User, on: dt.date | None = None) -> Chart:
    """Each of the user's loans: principal, repaid to date, outstanding (an enterprise's own; scoped by visible_to)."""
    on = on or timezone.localdate()
    loans = list(
        Loan.objects.visible_to(user)
        .filter(disbursement_date__lte=on)
        .order_by("disbursement_date", "contract_no")
        .values_list("pk", "contract_no", "bank__name", "principal")
    )
    repaid = dict(
        Repayment.objects.filter(loan__in=[pk for pk, *_rest in loans], repaid_on__lte=on)
        .order_by()
        .values_list("loan")
        .annotate(s=MoneySum("principal"))
    )
    return Chart(
        "my-loans",
        _("Your loans: principal and outstanding"),
        [f"{contract}（{bank}）" for _pk, contract, bank, _p in loans],
        [
            (str(_("Outstanding (yuan)")), [p - repaid.get(pk, ZERO) for pk, _c, _b, p in loans]),
            (str(_("Repaid (yuan)")), [repaid.get(pk, ZERO) for pk, _c, _b, _p in loans]),
            (str(_("Principal (yuan)")), [p for _pk, _c, _b, p in loans]),
        ],
        plot=2,
    )


def kind_charts(user: User) -> list[Chart]:
    """The charts the current program's kind adds (KindSpec.charts: each builder returns a chart's fields, or None
    where the user has nothing to see), e.g. Changjiang's credit plan against granted and disbursed (第五条)."""
    from applications.scope import current_program
    from kedaitong import programs

    program = current_program(user)
    if program is None:
        return []
    built = (build(user) for build in programs.spec(program).charts)
    return [Chart(**fields) for fields in built if fields is not None]


def charts_for(user: User) -> tuple[list[Chart], Decimal | None]:
    """The charts that answer "where do we stand" for the user's role, each scoped by visible_to, and the NPL ratio.

    Government roles and admins: the whole program (applications, amounts, review time, delinquency, budgets).
    A bank: its own loans by days past due, its applications by state and month. An enterprise: its applications
    and its loans. Anyone else: nothing.
    """
    from kedaitong.roles import PROGRAM_ROLES, Role

    role = user.effective_role
    if role in PROGRAM_ROLES or role == Role.ADMIN:
        from applications.scope import current_program
        from kedaitong.programs import Feature, has_feature

        buckets, ratio = delinquency(user)
        charts = [
            applications_by_state(user),
            applications_by_month(user),
            review_stage_days(user),
            principal_by_bank(user),
            principal_by_tech_field(user),
            buckets,
        ]
        # The money features the current program runs (its kind's): risk compensation or interest subsidy.
        program = current_program(user)
        if has_feature(program, Feature.COMPENSATION):
            charts.append(compensation_budgets(user))
        if has_feature(program, Feature.SUBSIDY):
            charts.append(subsidy_budgets(user))
        return charts + kind_charts(user), ratio
    if role == Role.BANK:
        buckets, ratio = delinquency(user)
        return [
            buckets,
            applications_by_state(user),
            applications_by_month(user),
            principal_by_tech_field(user),
            *kind_charts(user),
        ], ratio
    if role == Role.ENTERPRISE:
        return [applications_by_state(user), enterprise_loans(user)], None
    return [], None
