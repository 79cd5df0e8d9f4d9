"""Ledgers: one definition per ledger serves its page, its totals and its Excel export.

A ledger is a scoped queryset (`visible_to(user)`), the page's filters, and
columns read with `values_list`, so a 100,000-row export streams from the
database without building model instances.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from applications.models import Application, Program
from kedaitong.db import MoneySum
from kedaitong.excel import Column
from kedaitong.models import User
from kedaitong.programs import Feature, has_feature
from kedaitong.roles import PROGRAM_ROLES, Role
from loans.delinquency import bucket_for, days_past_due
from loans.models import Bank, InterestSettlement, Loan, OverdueEvent, Repayment

GOVERNMENT_AND_BANK = frozenset({*PROGRAM_ROLES, Role.BANK, Role.ADMIN})


class LedgerFilterForm(forms.Form):
    """The filters every ledger page offers; the export applies the same ones."""

    program = forms.ModelChoiceField(
        label=_("Program"), queryset=Program.objects.all(), required=False, to_field_name="code"
    )
    bank = forms.ModelChoiceField(
        label=_("Bank"), queryset=Bank.objects.none(), required=False, to_field_name="code"
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("Enterprise name or credit code"), required=False, max_length=100)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = Bank.objects.visible_to(user)
        from applications.scope import current_program_id

        # The program the user works in: a ledger shows one program (the switch shows another).
        self.fields["program"].queryset = Program.objects.filter(  # type: ignore[attr-defined]
            pk=current_program_id(user)
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


@dataclass(frozen=True)
class Ledger:
    code: str
    title: Promise
    columns: Sequence[Column]
    base: Callable[[User], QuerySet[Any]]
    fields: Sequence[str]
    date_field: str
    enterprise_prefix: str | None
    bank_field: str | None
    program_field: str
    order_by: Sequence[str]
    convert: Callable[..., Sequence[Any]] | None = None
    # convert also takes `today=`, the day its figures are as of: rows() reads the day once for all its rows
    # (timezone.localdate() per row was a tenth of a 100,000-row export).
    dated: bool = False
    feature: str = (
        ""  # kept only where the user's current program runs this feature (kedaitong.programs)
    )

    def queryset(self, user: User, filters: dict[str, Any]) -> QuerySet[Any]:
        qs = self.base(user)
        if filters.get("program"):
            qs = qs.filter(**{self.program_field: filters["program"]})
        if filters.get("bank") and self.bank_field:
            qs = qs.filter(**{self.bank_field: filters["bank"]})
        if filters.get("date_from"):
            qs = qs.filter(**{f"{self.date_field}__gte": filters["date_from"]})
        if filters.get("date_to"):
            qs = qs.filter(**{f"{self.date_field}__lte": filters["date_to"]})
        if filters.get("q") and self.enterprise_prefix is not None:
            from django.db.models import Q

            term = filters["q"].strip()
            qs = qs.filter(
                Q(**{f"{self.enterprise_prefix}name__icontains": term})
                | Q(**{f"{self.enterprise_prefix}credit_code__iexact": term})
            )
        return qs.order_by(*self.order_by)

    def rows(self, qs: QuerySet[Any]) -> Iterator[Sequence[Any]]:
        convert = self.convert
        if convert is not None and self.dated:
            convert = functools.partial(convert, today=timezone.localdate())
        for values in qs.values_list(*self.fields).iterator(chunk_size=2000):
            yield convert(values) if convert else values

    def totals(self, qs: QuerySet[Any]) -> list[Decimal | None]:
        wanted = {i: self.fields[i] for i, c in enumerate(self.columns) if c.total}
        sums = (
            qs.aggregate(**{f"t{i}": MoneySum(field) for i, field in wanted.items()})
            if wanted
            else {}
        )
        return [
            sums.get(f"t{i}") or Decimal("0.00") if i in wanted else None
            for i in range(len(self.columns))
        ]


# The stages whose dates the applications ledger shows, read from the audit trail.
STAGES = [
    ("bureau_review", "受理日期"),
    ("group_review", "科技局审核通过日期"),
    ("bank_review", "专班推荐日期"),
    ("publicity", "公示开始日期"),
    ("credit_granted", "授信日期"),
    ("disbursed", "放款日期"),
]


def _applications(user: User) -> QuerySet[Any]:
    """Applications with the first time each stage was entered, one subquery per stage."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField, OuterRef, Subquery
    from django.db.models.functions import Cast

    from kedaitong.models import AuditEntry

    kind = ContentType.objects.get_for_model(Application)
    entered = {
        f"entered_{state}": Subquery(
            AuditEntry.objects.filter(
                content_type=kind, object_id=Cast(OuterRef("pk"), CharField()), to_state=state
            )
            .order_by("at")
            .values("at")[:1]
        )
        for state, _label in STAGES
    }
    return Application.objects.visible_to(user).annotate(**entered)


def _state_label(values: tuple[Any, ...]) -> Sequence[Any]:
    row = list(values)
    row[8] = str(Application.State(row[8]).label)
    for i in range(10, len(row)):
        row[i] = timezone.localtime(row[i]).date() if row[i] else None
    return row


def _delinquency_row(values: tuple[Any, ...], today: dt.date | None = None) -> Sequence[Any]:
    row = list(values)
    started, cleared = row[5], row[8]
    today = today or timezone.localdate()
    days = days_past_due([_Span(started, cleared)], today)
    return [*row, days, str(bucket_for(days).label)]


def _loans(user: User) -> QuerySet[Any]:
    """Loans with the principal repaid and outstanding today, and the start of the oldest open arrears.

    Two subqueries per loan, so a 100,000-row export still streams: the sum of the repayments made by today,
    and the first day of the bank's overdue events still open today. The days overdue are derived from these
    per row (`_loan_row`), by the same rule as the delinquency ledger and the dashboard (loans.delinquency).
    """
    from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery
    from django.db.models.functions import Coalesce

    today = timezone.localdate()
    repaid = (
        Repayment.objects.filter(loan=OuterRef("pk"), repaid_on__lte=today)
        .order_by()
        .values("loan")
        .annotate(s=MoneySum("principal"))
        .values("s")
    )
    arrears = (
        OverdueEvent.objects.filter(loan=OuterRef("pk"), started_on__lte=today)
        .filter(Q(cleared_on__isnull=True) | Q(cleared_on__gt=today))
        .order_by("started_on")
        .values("started_on")[:1]
    )
    money = DecimalField(max_digits=16, decimal_places=2)
    return (
        Loan.objects.visible_to(user)
        .annotate(repaid=Coalesce(Subquery(repaid, output_field=money), Decimal("0.00")))
        .annotate(
            outstanding=ExpressionWrapper(F("principal") - F("repaid"), output_field=money),
            overdue_since=Subquery(arrears),
        )
    )


def _loan_row(values: tuple[Any, ...], today: dt.date | None = None) -> Sequence[Any]:
    """Days overdue today: since the oldest open arrears the bank reported, or since the day after maturity
    while principal is outstanding (Changjiang 第九条 超过合同还款期限; loans.delinquency); 0 when current."""
    row = list(values)
    maturity, outstanding, since = row[8], row[11], row[12]
    today = today or timezone.localdate()
    spans: list[Any] = [_Span(since, None)] if since else []
    if outstanding and outstanding > 0 and maturity and maturity < today:
        spans.append(_Span(maturity + dt.timedelta(days=1), None))
    row[12] = days_past_due(spans, today)
    return row


@dataclass
class _Span:
    started_on: dt.date
    cleared_on: dt.date | None


MONEY, DATE, INT = "money", "date", "int"
LEDGERS: dict[str, Ledger] = {}


def _register(ledger: Ledger) -> None:
    LEDGERS[ledger.code] = ledger


_register(
    Ledger(
        code="applications",
        title=_("Applications"),
        columns=[
            Column("申请编号", 16),
            Column("统一社会信用代码", 22),
            Column("企业名称", 32),
            Column("项目", 24),
            Column("银行代码", 16, "code"),
            Column("银行名称", 28),
            Column("申请金额（元）", 18, MONEY, total=True),
            Column("期限（月）", 10, INT),
            Column("状态", 14),
            Column("产品类型", 14),
            Column("提交日期", 12, DATE),
            *[Column(label, 14, DATE) for _state, label in STAGES],
        ],
        base=_applications,
        fields=[
            "reference",
            "enterprise__credit_code",
            "enterprise__name",
            "program_version__program__name",
            "bank__code",
            "bank__name",
            "amount",
            "term_months",
            "state",
            "product_type__name",
            "submitted_at",
            *[f"entered_{state}" for state, _label in STAGES],
        ],
        date_field="created_at__date",
        enterprise_prefix="enterprise__",
        bank_field="bank",
        program_field="program_version__program",
        order_by=["-created_at", "reference"],
        convert=_state_label,
    )
)
_register(
    Ledger(
        code="loans",
        title=_("Loans"),
        columns=[
            Column("贷款合同编号", 22),
            Column("银行代码", 16, "code"),
            Column("银行名称", 28),
            Column("统一社会信用代码", 22),
            Column("企业名称", 32),
            Column("项目", 24),
            Column("政策版本", 10),
            Column("放款日期", 12, DATE),
            Column("到期日期", 12, DATE),
            Column("放款金额（元）", 18, MONEY, total=True),
            Column("已还本金（元）", 18, MONEY, total=True),
            Column("未还本金（元）", 18, MONEY, total=True),
            Column("逾期天数", 10, INT),
            Column("年利率（%）", 12, "percent"),
            Column("定价时LPR（%）", 14, "percent"),
        ],
        base=_loans,
        fields=[
            "contract_no",
            "bank__code",
            "bank__name",
            "enterprise__credit_code",
            "enterprise__name",
            "program_version__program__name",
            "program_version__code",
            "disbursement_date",
            "maturity_date",
            "principal",
            "repaid",
            "outstanding",
            "overdue_since",
            "annual_rate",
            "lpr_at_pricing",
        ],
        date_field="disbursement_date",
        enterprise_prefix="enterprise__",
        bank_field="bank",
        program_field="program_version__program",
        order_by=["-disbursement_date", "bank__code", "contract_no"],
        convert=_loan_row,
        dated=True,
    )
)
_register(
    Ledger(
        code="repayments",
        title=_("Repayments"),
        columns=[
            Column("贷款合同编号", 22),
            Column("银行代码", 16, "code"),
            Column("企业名称", 32),
            Column("还款日期", 12, DATE),
            Column("归还本金（元）", 18, MONEY, total=True),
        ],
        base=lambda user: Repayment.objects.filter(loan__in=Loan.objects.visible_to(user)),
        fields=[
            "loan__contract_no",
            "loan__bank__code",
            "loan__enterprise__name",
            "repaid_on",
            "principal",
        ],
        date_field="repaid_on",
        enterprise_prefix="loan__enterprise__",
        bank_field="loan__bank",
        program_field="loan__program_version__program",
        order_by=["-repaid_on", "loan__contract_no"],
    )
)
_register(
    Ledger(
        code="interest",
        title=_("Interest settlements"),
        columns=[
            Column("贷款合同编号", 22),
            Column("银行代码", 16, "code"),
            Column("企业名称", 32),
            Column("结息日期", 12, DATE),
            Column("计息起始日", 12, DATE),
            Column("计息截止日", 12, DATE),
            Column("利息金额（元）", 18, MONEY, total=True),
            Column("是否逾期利息", 12),
        ],
        base=lambda user: InterestSettlement.objects.filter(loan__in=Loan.objects.visible_to(user)),
        fields=[
            "loan__contract_no",
            "loan__bank__code",
            "loan__enterprise__name",
            "settled_on",
            "period_start",
            "period_end",
            "amount",
            "is_overdue_interest",
        ],
        date_field="settled_on",
        enterprise_prefix="loan__enterprise__",
        bank_field="loan__bank",
        program_field="loan__program_version__program",
        order_by=["-settled_on", "loan__contract_no"],
        convert=lambda v: [*v[:7], "是" if v[7] else "否"],
    )
)
_register(
    Ledger(
        code="delinquency",
        title=_("Delinquency"),
        columns=[
            Column("贷款合同编号", 22),
            Column("银行代码", 16, "code"),
            Column("统一社会信用代码", 22),
            Column("企业名称", 32),
            Column("项目", 24),
            Column("逾期起始日", 12, DATE),
            Column("逾期本金（元）", 18, MONEY, total=True),
            Column("逾期利息（元）", 18, MONEY, total=True),
            Column("结清日期", 12, DATE),
            Column("逾期天数", 10, INT),
            Column("逾期分类", 14),
        ],
        base=lambda user: OverdueEvent.objects.filter(loan__in=Loan.objects.visible_to(user)),
        fields=[
            "loan__contract_no",
            "loan__bank__code",
            "loan__enterprise__credit_code",
            "loan__enterprise__name",
            "loan__program_version__program__name",
            "started_on",
            "overdue_principal",
            "overdue_interest",
            "cleared_on",
        ],
        date_field="started_on",
        enterprise_prefix="loan__enterprise__",
        bank_field="loan__bank",
        program_field="loan__program_version__program",
        order_by=["-started_on", "loan__contract_no"],
        convert=_delinquency_row,
        dated=True,
    )
)


def _run_row(values: tuple[Any, ...]) -> Sequence[Any]:
    from subsidy.models import RunState

    row = list(values)
    row[2] = str(RunState(row[2]).label)
    row[7] = "是" if row[7] else "否"
    return row


def _subsidy_runs(user: User) -> QuerySet[Any]:
    from subsidy.models import SubsidyRun

    return SubsidyRun.objects.visible_to(user)


_register(
    Ledger(
        code="subsidy-runs",
        title=_("Interest subsidy runs"),
        columns=[
            Column("项目", 24),
            Column("年度", 8, INT),
            Column("状态", 10),
            Column("结算截止日", 12, DATE),
            Column("年度预算（元）", 18, MONEY, total=True),
            Column("按贴息比例计算（元）", 18, MONEY, total=True),
            Column("核定贴息（元）", 18, MONEY, total=True),
            Column("是否按预算同比例下降", 12),
        ],
        base=_subsidy_runs,
        fields=[
            "program__name",
            "year",
            "state",
            "cutoff",
            "budget",
            "computed_total",
            "total",
            "scaled",
        ],
        date_field="cutoff",
        enterprise_prefix=None,
        bank_field=None,
        program_field="program",
        order_by=["-year", "program__code"],
        convert=_run_row,
        feature=Feature.SUBSIDY,
    )
)


def ledgers_for(user: User) -> list[Ledger]:
    """The ledgers of the user's role, those of a money feature only where the current program runs it."""
    from applications.scope import current_program

    if user.effective_role not in GOVERNMENT_AND_BANK:
        return []
    program = current_program(user)
    return [
        ledger
        for ledger in LEDGERS.values()
        if not ledger.feature or has_feature(program, ledger.feature)
    ]


def kept_elsewhere(user: User) -> list[tuple[str, str]]:
    """Ledgers that live on their own app's pages (each with its Excel export), for the index: (title, url).

    They are listed only where that app's navigation already offers them to the user, so the index never links a
    page the user would be refused.
    """
    from compensation import nav as compensation_nav
    from subsidy import nav as subsidy_nav

    offered = {item.url for item in [*compensation_nav.items(user), *subsidy_nav.items(user)]}
    candidates = [
        ("compensation:ledger", _("Compensation ledger")),
        ("compensation:recovery-list", _("Recoveries and returns")),
        ("compensation:budget-list", _("Compensation budgets")),
        ("subsidy:run-list", _("Interest subsidy runs")),
        ("subsidy:bank-subsidy", _("Interest subsidy")),
    ]
    rows = [(str(title), reverse(name)) for name, title in candidates]
    ledger_url = reverse("compensation:ledger")
    return [
        (title, url)
        for title, url in rows
        if url in offered
        or (url == reverse("compensation:recovery-list") and ledger_url in offered)
    ]
