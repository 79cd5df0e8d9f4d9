"""Figures for the dashboards, each computed in the database and scoped to the user."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import (
    Count,
    Min,
    Q,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from kedaitong.db import MoneySum
from kedaitong.form_renderer import REMEMBERING
from kedaitong.models import User
from loans.delinquency import Bucket, Span, bucket_for, days_past_due
from loans.models import Loan, OverdueEvent, Repayment
from reports.tallies import yuan

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
    # Why an empty chart is empty, set by `charts_for` (no data in the period, or no program to chart).
    empty_note: Any = ""

    def __post_init__(self) -> None:
        self.rows = [
            [label, *(values[i] for _, values in self.series)]
            for i, label in enumerate(self.labels)
        ]

    @property
    def element_id(self) -> str:
        return f"chart-{self.key}"

    @property
    def is_empty(self) -> bool:
        """Nothing to draw: no label, or every figure zero (a line of zeros says nothing a sentence cannot)."""
        return not self.labels or all(not v for _name, values in self.series for v in values)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "plot": self.plot,
            "labels": self.labels,
            "series": [
                {
                    "name": name,
                    "values": [str(v) for v in values],
                    # Counts: the axis ticks whole numbers (no "0.5 applications").
                    "integer": all(isinstance(v, int) for v in values),
                }
                for name, values in self.series
            ],
        }


@dataclass(frozen=True)
class Filters:
    """What a dashboard shows: a period (Asia/Shanghai dates, both ends included) and a program.

    Flows (applications, loans disbursed, time spent in review) are counted within the period; stocks
    (outstanding principal, budgets, the credit plan) are read at its end (never later than today).
    `program` narrows an enterprise's records (banks, administrators and government roles already see one
    program: `visible_to` and the program switch, applications/scope.py); None: every program the user sees.
    """

    start: dt.date
    end: dt.date
    program: Any = None

    @property
    def on(self) -> dt.date:
        return min(self.end, timezone.localdate())

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as aware datetimes [start 00:00, the day after end 00:00), so indexed times compare."""
        return (
            timezone.make_aware(dt.datetime.combine(self.start, dt.time())),
            timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())),
        )

    def of_program(self, qs: Any, path: str = "program_version__program") -> Any:
        return qs.filter(**{path: self.program}) if self.program is not None else qs

    def disbursed_by_month(
        self, program: Any, year: int, banks: list[int]
    ) -> dict[tuple[int, int], tuple[int, Decimal]]:
        """(bank id, month) → (number, principal) of `program`'s loans disbursed in `year`, from the loan
        tallies: the figures `programs.changjiang.selectors.disbursed_by_month` counts from the loans, for a
        kind's chart (KindSpec.charts), whose package may not import this app. Counting the loans read every
        loan of the program (no index serves their disbursement date: 48 ms of a bureau's home page at
        100,000 loans, issue 20); a year's tallies are a few hundred rows."""
        from reports.models import LoanTally

        rows = (
            LoanTally.objects.filter(
                program=program.pk,
                bank__in=banks,
                day__gte=dt.date(year, 1, 1),
                day__lte=dt.date(year, 12, 31),
            )
            .order_by()
            .values_list("bank", "day")
            .annotate(n=Sum("count"), fen=Sum("principal_fen"))
        )
        fen: dict[tuple[int, int], list[int]] = {}
        for bank, day, n, principal_fen in rows:
            figures = fen.setdefault((bank, day.month), [0, 0])
            figures[0] += n
            figures[1] += principal_fen
        return {key: (n, yuan(total)) for key, (n, total) in fen.items() if n}


def default_filters() -> Filters:
    """The last twelve months to date: from the first day of the month eleven months ago to today."""
    today = timezone.localdate()
    first = today.replace(day=1)
    for _i in range(11):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return Filters(first, today)


def tally_scope(user: User) -> tuple[int | None, bool] | None:
    """(program, drafts too) when what the user sees of applications and loans is a whole program, so the
    tallies answer (reports/tallies.py): a government role's program, the administrator's current one (with
    the drafts). None for a bank or an enterprise, whose own records are few enough to count directly."""
    from applications.scope import current_program_id
    from kedaitong.roles import Role

    role = user.effective_role if user.is_authenticated else ""
    if role == Role.ADMIN:
        return current_program_id(user), True
    if role not in (Role.ENTERPRISE, Role.BANK) and user.is_program_scoped and user.program_id:
        return user.program_id, False
    return None


def application_tallies(user: User, filters: Filters | None = None) -> Any:
    """The ApplicationTally rows of what the user sees (as `Application.objects.visible_to`), or None when
    the user's applications are counted from the records."""
    from reports.models import ApplicationTally

    scope = tally_scope(user)
    if scope is None:
        return None
    program, drafts = scope
    rows = ApplicationTally.objects.filter(program=program)
    if filters is not None and filters.program is not None:
        rows = rows.filter(program=filters.program.pk)
    if not drafts:  # never submitted is never the bureau's
        rows = rows.exclude(state=Application.State.DRAFT).exclude(
            state=Application.State.WITHDRAWN, submitted=False
        )
    return rows


def loan_tallies(user: User, filters: Filters | None = None) -> Any:
    """The LoanTally rows of what the user sees (as `Loan.objects.visible_to`; a bank: its own), or None for
    an enterprise, whose loans are counted from the records."""
    from applications.scope import current_program_id
    from kedaitong.roles import Role
    from reports.models import LoanTally

    role = user.effective_role if user.is_authenticated else ""
    if role == Role.BANK:
        rows = LoanTally.objects.filter(program=current_program_id(user), bank=user.bank_id)
    else:
        scope = tally_scope(user)
        if scope is None:
            return None
        rows = LoanTally.objects.filter(program=scope[0])
    if filters is not None and filters.program is not None:
        rows = rows.filter(program=filters.program.pk)
    return rows


def tally_totals(user: User) -> dict[str, Any] | None:
    """The home page's figures from the tallies: applications, by state, loans and principal (None: count the
    records)."""
    applications, loans = application_tallies(user), loan_tallies(user)
    if applications is None or loans is None:
        return None
    counts = dict(applications.order_by().values_list("state").annotate(n=Sum("count")))
    loan = loans.aggregate(n=Sum("count"), fen=Sum("principal_fen"))
    return {
        "application_count": sum(counts.values()),
        "applications_by_state": [
            (label, counts[value])
            for value, label in Application.State.choices
            if counts.get(value)
        ],
        "loan_totals": {
            "count": loan["n"] or 0,
            "principal": yuan(loan["fen"]) if loan["n"] else None,
        },
    }


def applications_by_state(user: User, filters: Filters | None = None) -> Chart:
    """Applications by their state now, of those submitted in the period (a draft: created in it)."""
    filters = filters or default_filters()
    tallies = application_tallies(user, filters)
    if tallies is not None:
        counts = dict(
            tallies.filter(day__gte=filters.start, day__lte=filters.end)
            .order_by()
            .values_list("state")
            .annotate(n=Sum("count"))
        )
    else:
        # A bank's or an enterprise's own applications, counted here: a GROUP BY state made SQLite walk the
        # state index over every application of every bank (issue 20).
        start, end = filters.bounds()
        counts = Counter(
            filters.of_program(Application.objects.visible_to(user))
            .annotate(entered=Coalesce("submitted_at", "created_at"))
            .filter(entered__gte=start, entered__lt=end)
            .order_by()
            .values_list("state", flat=True)
        )
    states = [(value, label) for value, label in Application.State.choices if counts.get(value)]
    return Chart(
        "states",
        _("Applications by state"),
        [str(label) for _, label in states],
        [(str(_("Applications")), [counts[value] for value, _ in states])],
    )


def applications_by_month(user: User, months: int = 12, filters: Filters | None = None) -> Chart:
    """Applications SUBMITTED in each month of the period (Asia/Shanghai), one conditional aggregate.

    An application counts in the month it was submitted (`submitted_at`), not the month its draft was
    created; drafts never submitted are not counted. Every month of the period is a label, zeros included,
    so the line does not skip a quiet month. Month boundaries are computed here as aware datetimes, so the
    database compares indexed timestamps instead of converting every row's time zone. Without `filters`,
    the last `months` months to date.
    """
    if filters is None:
        first = timezone.localdate().replace(day=1)
        for _i in range(months - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        filters = Filters(first, timezone.localdate())
    starts = [filters.start.replace(day=1)]
    while (nxt := (starts[-1] + dt.timedelta(days=32)).replace(day=1)) <= filters.end:
        starts.append(nxt)
    tallies = application_tallies(user, filters)
    if tallies is not None:
        figures = {f"{k}{i}": 0 for i in range(len(starts)) for k in ("n", "f")}
        index = {(day.year, day.month): i for i, day in enumerate(starts)}
        for day, n, fen_total in (
            tallies.filter(submitted=True, day__gte=filters.start, day__lte=filters.end)
            .order_by()
            .values_list("day")
            .annotate(n=Sum("count"), f=Sum("amount_fen"))
        ):
            i = index[(day.year, day.month)]
            figures[f"n{i}"] += n
            figures[f"f{i}"] += fen_total
        figures |= {f"a{i}": yuan(figures[f"f{i}"]) for i in range(len(starts))}
        return _months_chart(starts, figures)
    first_bound, last_bound = filters.bounds()
    bounds = [
        max(first_bound, timezone.make_aware(dt.datetime.combine(day, dt.time()))) for day in starts
    ]
    bounds.append(last_bound)
    aggregates = {}
    for i in range(len(starts)):
        window = Q(submitted_at__gte=bounds[i], submitted_at__lt=bounds[i + 1])
        aggregates[f"n{i}"] = Count("id", filter=window)
        aggregates[f"a{i}"] = MoneySum("amount", filter=window)
    figures = (
        filters.of_program(Application.objects.visible_to(user))
        .filter(submitted_at__gte=bounds[0], submitted_at__lt=bounds[-1])
        .aggregate(**aggregates)
    )
    return _months_chart(starts, figures)


def _months_chart(starts: list[dt.date], figures: dict[str, Any]) -> Chart:
    shown = range(len(starts))
    return Chart(
        "months",
        _("Applications by month of submission"),
        [f"{starts[i]:%Y-%m}" for i in shown],
        [
            (str(_("Applications")), [figures[f"n{i}"] for i in shown]),
            (str(_("Amount (yuan)")), [figures[f"a{i}"] or ZERO for i in shown]),
        ],
        kind="line",
    )


def _loans_in(user: User, filters: Filters | None) -> Any:
    filters = filters or default_filters()
    return filters.of_program(Loan.objects.visible_to(user)).filter(
        disbursement_date__gte=filters.start, disbursement_date__lte=filters.end
    )


def _loan_tallies_in(user: User, filters: Filters | None) -> Any:
    filters = filters or default_filters()
    tallies = loan_tallies(user, filters)
    if tallies is None:
        return None
    return tallies.filter(day__gte=filters.start, day__lte=filters.end)


def _tallied(tallies: Any, key: str) -> list[dict[str, Any]]:
    """Loans and principal by one key of the tallies, the largest principal first."""
    rows = (
        tallies.order_by()
        .values_list(key)
        .annotate(n=Sum("count"), f=Sum("principal_fen"))
        .order_by("-f", key)
    )
    return [{"key": k, "n": n, "principal": yuan(f)} for k, n, f in rows]


def principal_by_tech_field(user: User, filters: Filters | None = None) -> Chart:
    """Loans disbursed in the period by the enterprise's technology field (the profile's field; "not stated" when
    the profile leaves it empty)."""
    tallies = _loan_tallies_in(user, filters)
    if tallies is not None:
        from applications.models import TechField

        rows = _tallied(tallies, "tech_field")
        names = dict(
            TechField.objects.filter(pk__in=[r["key"] for r in rows]).values_list("pk", "name")
        )
        for r in rows:
            r["enterprise__tech_field__name"] = names.get(r["key"])
    else:
        rows = list(
            _loans_in(user, filters)
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


def principal_by_bank(user: User, filters: Filters | None = None) -> Chart:
    """Loans disbursed in the period, by bank."""
    tallies = _loan_tallies_in(user, filters)
    if tallies is not None:
        from loans.models import Bank

        rows = _tallied(tallies, "bank")
        names = dict(Bank.objects.filter(pk__in=[r["key"] for r in rows]).values_list("pk", "name"))
        for r in rows:
            r["bank__name"] = names.get(r["key"], "")
    else:
        rows = list(
            _loans_in(user, filters)
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


def delinquency(
    user: User, on: dt.date | None = None, filters: Filters | None = None
) -> tuple[Chart, Decimal | None]:
    """Outstanding principal by bucket, and the non-performing ratio (over 90 days past due / outstanding).

    1. Outstanding = principal − repayments to date, in the database.
    2. Overdue on `on`: with arrears the bank reported still open, or past maturity with principal
       outstanding (overdue from the day after maturity, `loans.delinquency.past_maturity`); the days
       past due count from the oldest. The loans are grouped in the database by maturity date; those with
       repayments or open arrears are moved one by one; each group is bucketed here (issue 20).
    3. Everything else outstanding is current.
    """
    on = on or (filters.on if filters else timezone.localdate())
    loans = Loan.objects.visible_to(user).filter(disbursement_date__lte=on)
    if filters is not None:
        loans = filters.of_program(loans)
    # Every loan as if untouched (outstanding = principal; overdue only past maturity): one GROUP BY by
    # maturity date, no subquery per loan. Then the loans with repayments to date or arrears still open
    # (fetched from those tables: few) are moved to what they are.
    tallies = loan_tallies(user, filters)
    if tallies is not None:  # a whole program, or a bank's loans: from the tallies, by maturity
        by_maturity = {
            maturity: [n, yuan(fen_total)]
            for maturity, n, fen_total in tallies.filter(day__lte=on)
            .order_by()
            .values_list("maturity")
            .annotate(n=Sum("count"), f=Sum("principal_fen"))
        }
        # The records' side first (repayments, arrears: far fewer rows than loans), narrowed to the loans seen.
        from applications.scope import current_program_id
        from kedaitong.roles import Role

        # Not narrowed by the loans' disbursement date: only the loans disbursed by `on` are moved below
        # (`loans`), and with that condition SQLite reads the loans first through their index (`loan_latest`),
        # every loan of the program, instead of the records.
        records: dict[str, Any] = {}
        if user.effective_role == Role.BANK:
            records |= {"loan__program_version__program": current_program_id(user)}
            records |= {"loan__bank": user.bank_id}
        else:
            records |= {"loan__program_version__program": (tally_scope(user) or (None,))[0]}
        if filters is not None and filters.program is not None:
            records |= {"loan__program_version__program": filters.program.pk}
    else:
        by_maturity = {
            maturity: [n, amount or ZERO]
            for maturity, n, amount in loans.order_by()
            .values_list("maturity_date")
            .annotate(n=Count("id"), amount=MoneySum("principal"))
        }
        records = {"loan__in": loans.values("pk")}
    repaid = dict(
        Repayment.objects.filter(repaid_on__lte=on, **records)
        .order_by()
        .values_list("loan")
        .annotate(s=MoneySum("principal"))
    )
    open_since = dict(
        OverdueEvent.objects.filter(started_on__lte=on, **records)
        .filter(Q(cleared_on__isnull=True) | Q(cleared_on__gt=on))
        .order_by()
        .values_list("loan")
        .annotate(first=Min("started_on"))
    )
    groups: dict[tuple[dt.date, dt.date | None], list[Any]] = {
        (maturity, None): figures for maturity, figures in by_maturity.items()
    }
    touched = set(repaid) | set(open_since)
    for pk, maturity, principal in loans.filter(pk__in=touched).values_list(
        "pk", "maturity_date", "principal"
    ):
        untouched = groups.setdefault((maturity, None), [0, ZERO])
        untouched[0] -= 1
        untouched[1] -= principal
        outstanding = principal - repaid.get(pk, ZERO)
        if outstanding > 0:
            figures = groups.setdefault((maturity, open_since.get(pk)), [0, ZERO])
            figures[0] += 1
            figures[1] += outstanding
    by_bucket = {b: ZERO for b in Bucket}
    count = {b: 0 for b in Bucket}
    for (maturity, since), (n, amount) in groups.items():
        if not n:
            continue
        spans = [Span(since, None)] if since is not None else []
        if maturity < on:
            spans.append(Span(maturity + dt.timedelta(days=1), None, True))
        bucket = bucket_for(days_past_due(spans, on))
        by_bucket[bucket] += amount
        count[bucket] += n
    total = sum(by_bucket.values(), ZERO)
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


def review_stage_days(user: User, filters: Filters | None = None) -> Chart:
    """Median days applications spent in each review stage, read from the audit trail's transitions.

    The time in a state is the gap between the transition that entered it and the
    next transition of the same application; a stage counts in the period it was entered in.
    """
    import statistics

    from django.contrib.contenttypes.models import ContentType

    from kedaitong.models import AuditEntry

    # Start from the transitions made in the period (an indexed range of the audit trail), take each
    # application's transitions from the period's start on (the one that ends a stage may come after
    # its end), and keep the applications the user sees: never a pass over every visible application.
    filters = filters or default_filters()
    start, end = filters.bounds()
    transitions = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Application)
    ).exclude(to_state="")
    in_period = transitions.filter(at__gte=start, at__lt=end).order_by().values("object_id")
    entries = list(
        transitions.filter(object_id__in=in_period, at__gte=start)
        .order_by("object_id", "at", "id")
        .values_list("object_id", "at", "to_state")
    )
    ids = sorted({int(o) for o, _at, _s in entries if o.isdigit()})
    seen = filters.of_program(Application.objects.visible_to(user)).order_by()
    visible: set[str] = set()
    for i in range(0, len(ids), 500):
        visible |= {
            str(pk) for pk in seen.filter(pk__in=ids[i : i + 500]).values_list("pk", flat=True)
        }
    spans: dict[str, list[float]] = {}
    previous: tuple[str, dt.datetime, str] | None = None
    for object_id, at, to_state in entries:
        if object_id not in visible:
            continue
        if previous is not None and previous[0] == object_id and start <= previous[1] < end:
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


def subsidy_budgets(user: User, filters: Filters | None = None) -> Chart:
    """Each subsidy run's budget against what it pays (Quzhou 四: pro-rated when over budget), the runs of the
    years up to the period's end (a year's run is made the next spring: the period's own year may have none)."""
    from subsidy.models import SubsidyRun

    filters = filters or default_filters()
    runs = (
        SubsidyRun.objects.visible_to(user)
        .filter(year__lte=filters.end.year)
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


def compensation_budgets(user: User, filters: Filters | None = None) -> Chart:
    """Each year's risk-compensation budget against what the leading group has decided (Changjiang 第三条,
    第十一条 2(3)), the years up to the period's end."""
    from applications.scope import current_program_id
    from compensation.models import CompensationBudget
    from kedaitong.roles import Role

    filters = filters or default_filters()
    budgets = (
        CompensationBudget.objects.select_related("program")
        .filter(year__lte=filters.end.year)
        .order_by("program__code", "year")
    )
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


def enterprise_loans(
    user: User, on: dt.date | None = None, filters: Filters | None = None
) -> Chart:
    """Each of the user's loans: principal, repaid, outstanding at the period's end (an enterprise's own; scoped
    by visible_to; the program filter narrows them)."""
    on = on or (filters.on if filters else timezone.localdate())
    loans = list(
        (
            filters.of_program(Loan.objects.visible_to(user))
            if filters
            else Loan.objects.visible_to(user)
        )
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


def kind_charts(user: User, filters: Filters | None = None) -> list[Chart]:
    """The charts the current program's kind adds (KindSpec.charts: each builder returns a chart's fields, or None
    where the user has nothing to see), e.g. Changjiang's credit plan against granted and disbursed (第五条)."""
    from applications.scope import current_program
    from kedaitong import programs

    program = current_program(user)
    if program is None:
        return []
    built = (build(user, filters or default_filters()) for build in programs.spec(program).charts)
    return [Chart(**fields) for fields in built if fields is not None]


def charts_for(user: User, filters: Filters | None = None) -> tuple[list[Chart], Decimal | None]:
    """The charts that answer "where do we stand" for the user's role, each scoped by visible_to, and the NPL ratio.

    Government roles and admins: the whole program (applications, amounts, review time, delinquency, budgets).
    A bank: its own loans by days past due, its applications by state and month. An enterprise: its applications
    and its loans. Anyone else: nothing. Each empty chart carries the reason (`Chart.empty_note`).
    """
    from applications.scope import current_program
    from kedaitong.roles import PROGRAM_ROLES, Role

    f = filters or default_filters()
    role = user.effective_role
    if role in PROGRAM_ROLES or role == Role.ADMIN:
        from kedaitong.programs import Feature, has_feature

        buckets, ratio = delinquency(user, filters=f)
        charts = [
            applications_by_state(user, f),
            applications_by_month(user, filters=f),
            review_stage_days(user, f),
            principal_by_bank(user, f),
            principal_by_tech_field(user, f),
            buckets,
        ]
        # The money features the current program runs (its kind's): risk compensation or interest subsidy.
        program = current_program(user)
        if has_feature(program, Feature.COMPENSATION):
            charts.append(compensation_budgets(user, f))
        if has_feature(program, Feature.SUBSIDY):
            charts.append(subsidy_budgets(user, f))
        charts += kind_charts(user, f)
    elif role == Role.BANK:
        buckets, ratio = delinquency(user, filters=f)
        charts = [
            buckets,
            applications_by_state(user, f),
            applications_by_month(user, filters=f),
            principal_by_tech_field(user, f),
            *kind_charts(user, f),
        ]
    elif role == Role.ENTERPRISE:
        charts, ratio = [applications_by_state(user, f), enterprise_loans(user, filters=f)], None
    else:
        return [], None
    no_program = role != Role.ENTERPRISE and current_program(user) is None
    for chart in charts:
        chart.empty_note = empty_note(chart, f, no_program=no_program)
    return charts, ratio


# Charts of a moment (the period's end) rather than of the whole period.
STOCK_CHARTS = frozenset({"buckets", "my-loans"})
BUDGET_CHARTS = frozenset({"compensation", "subsidy", "credit-plan"})


def empty_note(chart: Chart, f: Filters, *, no_program: bool) -> str:
    """Why `chart` has nothing to draw, in the user's words; "" when it has something."""
    if not chart.is_empty:
        return ""
    if no_program:
        return str(
            _(
                "You do not work in any program yet, so there is nothing to chart: ask the administrator."
            )
        )
    period = {"start": f"{f.start:%Y-%m-%d}", "end": f"{f.end:%Y-%m-%d}", "on": f"{f.on:%Y-%m-%d}"}
    if chart.key in STOCK_CHARTS:
        return str(_("No loan outstanding on %(on)s.") % period)
    if chart.key in BUDGET_CHARTS:
        return str(_("No budget or plan recorded for the years up to %(end)s.") % period)
    if f.program is not None:
        period["program"] = f.program.name
        return str(_("No data for %(program)s between %(start)s and %(end)s.") % period)
    return str(_("No data between %(start)s and %(end)s.") % period)


def dashboard_programs(user: User) -> list[Any]:
    """The programs the dashboard's filter offers: the registry's scope (applications/scope.py) — a government
    role's own program, a bank's or the administrator's programs (choosing one is the program switch) — and,
    for an enterprise, which is not scoped, the programs of its own applications and loans."""
    from applications.models import Program
    from applications.scope import programs_of
    from kedaitong.roles import Role

    if user.effective_role != Role.ENTERPRISE:
        return programs_of(user)
    # Two small id lists: one OR over both joins multiplied the program's applications by its loans.
    versions = set(
        Application.objects.visible_to(user).order_by().values_list("program_version", flat=True)
    ) | set(Loan.objects.visible_to(user).order_by().values_list("program_version", flat=True))
    return list(Program.objects.filter(versions__in=versions).distinct().order_by("pk"))


# A period longer than this would draw more months than a chart can show (and a query per month's aggregate).
MAX_YEARS = 10


class DashboardForm(forms.Form):
    """The dashboard's filter: a program (among those the user may see) and a period; GET, kept as typed."""

    # Drawn on every home page: its widgets' HTML is kept by their context (kedaitong/form_renderer.py).
    default_renderer = REMEMBERING

    program = forms.ChoiceField(label=_("Program"), required=False)
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter the start date as a date, such as 2026-01-01.")},
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter the end date as a date, such as 2026-12-31.")},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from applications.scope import current_program
        from kedaitong.roles import Role

        self.user = user
        self.programs = {p.code: p for p in dashboard_programs(user)}
        choices = [(code, p.name) for code, p in self.programs.items()]
        self.enterprise = user.effective_role == Role.ENTERPRISE
        if self.enterprise:
            choices.insert(0, ("", _("All my programs")))
        else:
            current = current_program(user)
            self.fields["program"].initial = current.code if current else ""
        self.fields["program"].choices = choices
        self.fields["program"].error_messages["invalid_choice"] = _(
            "“%(value)s” is not a program you can see: choose one from the list."
        )
        if (
            len(self.programs) <= 1
        ):  # nothing to choose: no select; a code in the URL changes nothing
            del self.fields["program"]
        defaults = default_filters()
        self.fields["date_from"].initial = defaults.start
        self.fields["date_to"].initial = defaults.end

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        if start and end and (end - start).days > MAX_YEARS * 366:
            raise forms.ValidationError(
                _("Choose a period of at most %(years)s years.") % {"years": MAX_YEARS}
            )
        return data

    def filters(self) -> Filters:
        """The valid form's filters; what was left empty takes the default (the last twelve months)."""
        defaults = default_filters()
        data = self.cleaned_data
        start = data.get("date_from") or defaults.start
        end = data.get("date_to") or (
            max(defaults.end, start) if data.get("date_from") else defaults.end
        )
        if end < start:  # only one end typed, before the other's default
            start = end.replace(day=1)
        program = self.programs.get(data.get("program") or "") if self.enterprise else None
        return Filters(start, end, program)


def dashboard_context(request: Any) -> tuple[dict[str, Any], int]:
    """The charts and the filter form for a dashboard page (home or /reports/dashboard/), and the status:
    400 when the filter was refused (its errors shown, what was typed kept, no chart drawn)."""
    form = DashboardForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        return {"charts": [], "npl_ratio": None, "filter_form": form}, 400
    filters = form.filters() if form.is_bound else default_filters()
    charts, ratio = charts_for(request.user, filters)
    return {
        "charts": charts,
        "npl_ratio": ratio,
        "filter_form": form,
        "period": filters,
    }, 200
