"""Inputs of an audited run are frozen (issue 7 §5, issue 16 item 4): from "audited" on, a run always gives the same figures.

What is frozen, for a loan that entered a frozen run (as a line or as a loan
not subsidized), with the latest cutoff of such runs:

- the loan itself: deleting it, or changing a field the run reads (version,
  bank, enterprise, contract number, dates, principal, rate, LPR at pricing);
- its interest settlements dated on or before the cutoff: adding, changing, deleting;
- its overdue events starting on or before the cutoff (they exclude the interest of
  overdue periods, 四(一)): adding, deleting, changing, and clearing one on or before
  the cutoff (clearing it later changes nothing the run counted);
- its repayments dated on or before the cutoff when the loan matured before the cutoff
  (they decide whether the loan was past its maturity unpaid, an overdue period);

and besides: an LPR publication a frozen run may have read (dated on or before
the latest disbursement date of its loans, or the first one after it), and the
subsidy parameters (share, LPR cap, tier) of a program version with loans in a
frozen run.

A frozen run is one whose state is in `frozen_states()` (audited, publicized,
approved, paid; not cancelled): the one definition of "frozen".

Every write path passes here: `save()` and `delete()` through the pre_save and
pre_delete receivers, and `bulk_create`, `bulk_update`, `update()` and queryset
`delete()` through `loans.models.bulk_write`, which the querysets of loans and
their records send before writing (the bank's upload saves with bulk_create).
The importer and the interest form also check first, so the refusal is a row
error or a form error naming the run; the receivers are the backstop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Min, Q

FROZEN = ("audited", "publicized", "approved", "paid")


def frozen_states() -> tuple[str, ...]:
    """The run states whose inputs are frozen: audited or any later stage, never cancelled.

    The one place that says which stages freeze (the stages may be renamed or
    split; keep this current and every guard follows).
    """
    return FROZEN


def frozen_runs() -> Any:
    from subsidy.models import SubsidyRun

    return SubsidyRun.objects.filter(state__in=frozen_states())


LOAN_FIELDS = (
    "program_version_id",
    "bank_id",
    "enterprise_id",
    "contract_no",
    "contract_date",
    "disbursement_date",
    "maturity_date",
    "principal",
    "annual_rate",
    "lpr_at_pricing",
)
SETTLEMENT_FIELDS = ("loan_id", "settled_on", "amount", "is_overdue_interest")
LPR_FIELDS = ("effective_date", "one_year", "five_year")
VERSION_FIELDS = ("subsidy_share", "rate_capped_by_lpr", "lpr_long_tier_above_months")

ADVICE = "如确需更正，请先撤销该批次（撤销后重新生成）"


class InputFrozen(ValidationError):
    """A change to a record an audited run was computed from."""


def _stage_name(state: str) -> str:
    from subsidy.models import RunState

    return str(RunState(state).label)


def frozen_run_of_loan(loan_id: int | None) -> Any:
    """The latest frozen run the loan entered (line or exclusion), or None."""
    if loan_id is None:
        return None
    from subsidy.models import SubsidyExclusion, SubsidyLine, SubsidyRun

    # Two indexed subqueries (by loan), not a join of a run's lines with its exclusions.
    return (
        SubsidyRun.objects.filter(state__in=frozen_states())
        .filter(
            Q(pk__in=SubsidyLine.objects.filter(loan_id=loan_id).values("run_id"))
            | Q(pk__in=SubsidyExclusion.objects.filter(loan_id=loan_id).values("run_id"))
        )
        .order_by("-cutoff")
        .first()
    )


def _any_frozen() -> bool:
    from subsidy.models import SubsidyRun

    return SubsidyRun.objects.filter(state__in=frozen_states()).exists()


def _refuse(what: str, run: Any) -> None:
    raise InputFrozen(
        f"{what}已进入{run.year}年贴息批次（{_stage_name(run.state)}），审核后其计算依据冻结，不能修改或删除；{ADVICE}"
    )


def _changed(
    model: Any, instance: Any, fields: tuple[str, ...], update_fields: Any
) -> tuple[Any, bool]:
    """(the stored row, whether any of `fields` differs from it); (None, True) for a new row."""
    if instance.pk is None:
        return None, True
    if update_fields is not None and not set(update_fields) & (
        {f.removesuffix("_id") for f in fields} | set(fields)
    ):
        return None, False
    old = model._default_manager.filter(pk=instance.pk).values(*fields).first()
    if old is None:
        return None, True
    return old, any(old[f] != getattr(instance, f) for f in fields)


# --- loans ----------------------------------------------------------------------------------------


def loan_message(loan: Any) -> str:
    return f"贷款合同{loan.contract_no}"


def check_loan(loan: Any, *, deleting: bool = False, update_fields: Any = None) -> None:
    from loans.models import Loan

    if loan.pk is None or not _any_frozen():
        return
    if not deleting:
        _old, changed = _changed(Loan, loan, LOAN_FIELDS, update_fields)
        if not changed:
            return
    run = frozen_run_of_loan(loan.pk)
    if run is not None:
        _refuse(loan_message(loan), run)


def settlement_run(loan_id: int | None, settled_on: dt.date | None) -> Any:
    run = frozen_run_of_loan(loan_id)
    if run is not None and settled_on is not None and settled_on <= run.cutoff:
        return run
    return None


def check_settlement(settlement: Any, *, deleting: bool = False, update_fields: Any = None) -> None:
    from loans.models import InterestSettlement

    if not _any_frozen():
        return
    old = None
    if not deleting:
        old, changed = _changed(InterestSettlement, settlement, SETTLEMENT_FIELDS, update_fields)
        if not changed:
            return
    candidates = [(settlement.loan_id, settlement.settled_on)]
    if old is not None:
        candidates.append((old["loan_id"], old["settled_on"]))
    for loan_id, settled_on in candidates:
        run = settlement_run(loan_id, settled_on)
        if run is not None:
            from loans.models import Loan

            contract = Loan.objects.filter(pk=loan_id).values_list("contract_no", flat=True).first()
            if settlement.pk is None:
                _refuse(f"贷款合同{contract}在{run.cutoff:%Y-%m-%d}截止日前的利息结算", run)
            _refuse(f"贷款合同{contract}在{settled_on:%Y-%m-%d}结算的利息", run)


# --- repayments and overdue events (inputs since overdue periods are excluded, 四(一)) ----------------

REPAYMENT_FIELDS = ("loan_id", "repaid_on", "principal")
EVENT_FIELDS = ("loan_id", "started_on", "cleared_on", "overdue_principal", "overdue_interest")


def repayment_frozen(run: Any, maturity: dt.date, repaid_on: dt.date | None) -> bool:
    """A repayment decides whether a loan was past its maturity unpaid only when it matured before the cutoff."""
    return repaid_on is not None and maturity < run.cutoff and repaid_on <= run.cutoff


def event_frozen(run: Any, started_on: dt.date | None) -> bool:
    return started_on is not None and started_on <= run.cutoff


def _loan_facts(loan_id: Any) -> tuple[str, dt.date] | None:
    from loans.models import Loan

    return Loan.objects.filter(pk=loan_id).values_list("contract_no", "maturity_date").first()


def check_repayment(repayment: Any, *, deleting: bool = False, update_fields: Any = None) -> None:
    from loans.models import Repayment

    if not _any_frozen():
        return
    old = None
    if not deleting:
        old, changed = _changed(Repayment, repayment, REPAYMENT_FIELDS, update_fields)
        if not changed:
            return
    candidates = [(repayment.loan_id, repayment.repaid_on)]
    if old is not None:
        candidates.append((old["loan_id"], old["repaid_on"]))
    for loan_id, day in candidates:
        run = frozen_run_of_loan(loan_id)
        facts = _loan_facts(loan_id) if run is not None else None
        if run is not None and facts is not None and repayment_frozen(run, facts[1], day):
            _refuse(f"贷款合同{facts[0]}在{day:%Y-%m-%d}的还款（决定到期后是否逾期）", run)


def check_event(event: Any, *, deleting: bool = False, update_fields: Any = None) -> None:
    from loans.models import OverdueEvent

    if not _any_frozen():
        return
    old = None
    if not deleting:
        old, changed = _changed(OverdueEvent, event, EVENT_FIELDS, update_fields)
        if not changed:
            return
    candidates = [(event.loan_id, event.started_on)]
    if old is not None:
        candidates.append((old["loan_id"], old["started_on"]))
    for loan_id, started in candidates:
        run = frozen_run_of_loan(loan_id)
        if run is None or not event_frozen(run, started):
            continue
        if old is not None and _only_cleared_after(old, event, run.cutoff):
            continue  # cleared after the cutoff: the run counted the event as open through it
        contract = (_loan_facts(loan_id) or ("", None))[0]
        _refuse(f"贷款合同{contract}自{started:%Y-%m-%d}起的逾期记录", run)


def _only_cleared_after(old: dict[str, Any], event: Any, cutoff: dt.date) -> bool:
    same = all(old[f] == getattr(event, f) for f in EVENT_FIELDS if f != "cleared_on")
    new, before = event.cleared_on, old["cleared_on"]
    return same and (before is None or before > cutoff) and (new is None or new > cutoff)


# --- the same checks for many rows at once (uploads, bulk writes) -------------------------------------


@dataclass(frozen=True)
class FrozenLoan:
    run: Any
    contract_no: str
    maturity_date: dt.date


def frozen_loans(loan_ids: Any) -> dict[int, FrozenLoan]:
    """The loans among `loan_ids` that a frozen run read, each with the frozen run of the latest cutoff."""
    from loans.models import Loan
    from subsidy.models import SubsidyExclusion, SubsidyLine, SubsidyRun

    ids = sorted({pk for pk in loan_ids if pk is not None})
    if not ids or not _any_frozen():
        return {}
    run_of: dict[int, int] = {}
    runs = {r.pk: r for r in SubsidyRun.objects.filter(state__in=frozen_states())}
    for start in range(0, len(ids), 900):
        part = ids[start : start + 900]
        for model in (SubsidyLine, SubsidyExclusion):
            for loan_id, run_id in model.objects.filter(
                loan_id__in=part, run_id__in=list(runs)
            ).values_list("loan_id", "run_id"):
                if loan_id not in run_of or runs[run_id].cutoff > runs[run_of[loan_id]].cutoff:
                    run_of[loan_id] = run_id
    found: dict[int, FrozenLoan] = {}
    loan_ids_ = list(run_of)
    for start in range(0, len(loan_ids_), 900):
        for pk, contract, maturity in Loan.objects.filter(
            pk__in=loan_ids_[start : start + 900]
        ).values_list("pk", "contract_no", "maturity_date"):
            found[pk] = FrozenLoan(runs[run_of[pk]], contract, maturity)
    return found


def refusal(kind: str, frozen: FrozenLoan | None, day: dt.date | None) -> str | None:
    """Why a new or changed record of `kind` ("interest", "repayment", "overdue") dated `day` is refused."""
    if frozen is None or day is None:
        return None
    run = frozen.run
    if kind == "interest" and day <= run.cutoff:
        what = f"贷款合同{frozen.contract_no}在{run.cutoff:%Y-%m-%d}截止日前的利息结算"
    elif kind == "repayment" and repayment_frozen(run, frozen.maturity_date, day):
        what = f"贷款合同{frozen.contract_no}在{day:%Y-%m-%d}的还款（决定到期后是否逾期）"
    elif kind == "overdue" and event_frozen(run, day):
        what = f"贷款合同{frozen.contract_no}自{day:%Y-%m-%d}起的逾期记录"
    else:
        return None
    return (
        f"{what}已进入{run.year}年贴息批次（{_stage_name(run.state)}），审核后其计算依据冻结，"
        f"不能新增、修改或删除；{ADVICE}"
    )


RECORD_DATES = {
    "InterestSettlement": ("interest", "settled_on"),
    "Repayment": ("repayment", "repaid_on"),
}


def _bulk_receiver(
    sender: Any,
    kind: str,
    objs: Any = None,
    queryset: Any = None,
    values: Any = None,
    fields: Any = None,
    **kwargs: Any,
) -> None:
    """`loans.models.bulk_write`: refuse a bulk write that would touch a frozen input (nothing is written)."""
    if not _any_frozen():
        return
    watched = {
        "Loan": LOAN_FIELDS,
        "InterestSettlement": SETTLEMENT_FIELDS,
        "Repayment": REPAYMENT_FIELDS,
        "OverdueEvent": EVENT_FIELDS,
    }.get(sender.__name__)
    if watched is None:
        return
    if kind in ("update", "bulk_update"):
        written = set(values or {}) | set(fields or [])
        if not written & (set(watched) | {f.removesuffix("_id") for f in watched}):
            return  # e.g. the daily delinquency figures of a loan
    if sender.__name__ == "Loan":
        if kind == "create":
            return  # a new loan is in no run
        ids = [o.pk for o in objs] if objs is not None else queryset.values_list("pk", flat=True)
        frozen = frozen_loans(ids)
        if frozen:
            info = next(iter(frozen.values()))
            _refuse(f"贷款合同{info.contract_no}", info.run)
        return
    names = ("loan_id", "settled_on" if sender.__name__ == "InterestSettlement" else "repaid_on")
    if sender.__name__ == "OverdueEvent":
        names = ("loan_id", "started_on", "cleared_on")
    rows = _rows(kind, objs, queryset, values, names)
    frozen = frozen_loans(t[0] for pair in rows for t in pair if t is not None)
    for before, after in rows:
        if sender.__name__ == "OverdueEvent":
            _bulk_event(before, after, frozen)
            continue
        record_kind = "interest" if sender.__name__ == "InterestSettlement" else "repayment"
        for row in (before, after):
            if row is not None and (reason := refusal(record_kind, frozen.get(row[0]), row[1])):
                raise InputFrozen(reason)


def _bulk_event(before: Any, after: Any, frozen: dict[int, FrozenLoan]) -> None:
    for row in (before, after):
        if row is None:
            continue
        info = frozen.get(row[0])
        if info is None or not event_frozen(info.run, row[1]):
            continue
        if before is not None and after is not None and before[:2] == after[:2]:
            cutoff = info.run.cutoff
            if all(
                c is None or (isinstance(c, dt.date) and c > cutoff) for c in (before[2], after[2])
            ):
                continue  # only cleared after the cutoff
        raise InputFrozen(refusal("overdue", info, row[1]) or "")


def _rows(kind: str, objs: Any, queryset: Any, values: Any, names: tuple[str, ...]) -> list[Any]:
    """Each row written as (before, after): (None, new) when created, (old, None) when deleted."""
    if kind == "create":
        return [(None, tuple(getattr(o, n) for n in names)) for o in objs]
    if kind == "bulk_update":
        if not objs:
            return []
        model = type(objs[0])
        old = {
            r["pk"]: tuple(r[n] for n in names)
            for r in model._default_manager.filter(pk__in=[o.pk for o in objs]).values("pk", *names)
        }
        return [(old.get(o.pk), tuple(getattr(o, n) for n in names)) for o in objs]
    found = []
    for r in queryset.values(*names):
        before = tuple(r[n] for n in names)
        if kind == "delete":
            found.append((before, None))
            continue
        after = []
        for n, b in zip(names, before, strict=True):
            a = values.get(n, values.get(n.removesuffix("_id"), b))
            if hasattr(a, "resolve_expression"):
                a = None  # an expression: its value is unknown here, so the change is judged on before
            if hasattr(a, "pk"):
                a = a.pk
            after.append(a)
        found.append((before, tuple(after)))
    return found


# --- LPR ------------------------------------------------------------------------------------------


def lpr_frozen_through() -> dt.date | None:
    """The latest disbursement date among the loans of frozen runs (the LPR rows up to it were read)."""
    from subsidy.models import SubsidyExclusion, SubsidyLine

    dates = [
        SubsidyLine.objects.filter(run__state__in=frozen_states()).aggregate(
            d=Max("disbursement_date")
        )["d"],
        SubsidyExclusion.objects.filter(run__state__in=frozen_states()).aggregate(
            d=Max("loan__disbursement_date")
        )["d"],
    ]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def _lpr_row_frozen(day: dt.date, through: dt.date, pk: Any) -> bool:
    from subsidy.models import LPRRate

    if day <= through:
        return True
    first_after = LPRRate.objects.filter(effective_date__gt=through).aggregate(
        d=Min("effective_date")
    )["d"]
    return pk is not None and first_after == day


def check_lpr(rate: Any, *, deleting: bool = False, update_fields: Any = None) -> None:
    from subsidy.models import LPRRate, SubsidyRun

    if not _any_frozen():
        return
    old = None
    if not deleting:
        old, changed = _changed(LPRRate, rate, LPR_FIELDS, update_fields)
        if not changed:
            return
    through = lpr_frozen_through()
    if through is None:
        return
    days = [rate.effective_date]
    if old is not None:
        days.append(old["effective_date"])
    for day in days:
        if day is not None and _lpr_row_frozen(day, through, rate.pk):
            run = (
                SubsidyRun.objects.filter(state__in=frozen_states())
                .order_by("-year", "-created_at")
                .first()
            )
            _refuse(
                f"{day:%Y-%m-%d}的LPR报价（已审核批次的贷款按其定价，截至放款日{through:%Y-%m-%d}）",
                run,
            )


# --- program versions -----------------------------------------------------------------------------


def check_version(version: Any, *, update_fields: Any = None) -> None:
    from applications.models import ProgramVersion
    from subsidy.models import SubsidyExclusion, SubsidyLine, SubsidyRun

    if version.pk is None or not _any_frozen():
        return
    _old, changed = _changed(ProgramVersion, version, VERSION_FIELDS, update_fields)
    if not changed:
        return
    frozen = SubsidyRun.objects.filter(state__in=frozen_states()).order_by("-year")
    run = next(
        (
            r
            for r in frozen
            if SubsidyLine.objects.filter(run=r, loan__program_version=version.pk).exists()
            or SubsidyExclusion.objects.filter(run=r, loan__program_version=version.pk).exists()
        ),
        None,
    )
    if run is not None:
        _refuse(f"{version}的贴息参数", run)


# --- receivers ------------------------------------------------------------------------------------


def _pre_save(check: Any) -> Any:
    def receiver(
        sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
    ) -> None:
        if raw:  # loading fixtures
            return
        check(instance, update_fields=update_fields)

    return receiver


def _pre_delete(check: Any) -> Any:
    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        check(instance, deleting=True)

    return receiver


def connect() -> None:
    from django.db.models.signals import pre_delete, pre_save

    from applications.models import ProgramVersion
    from loans.models import InterestSettlement, Loan, OverdueEvent, Repayment, bulk_write
    from subsidy.models import LPRRate

    bulk_write.connect(_bulk_receiver, weak=False, dispatch_uid="subsidy.frozen.bulk")
    for model, check in (
        (Loan, check_loan),
        (InterestSettlement, check_settlement),
        (Repayment, check_repayment),
        (OverdueEvent, check_event),
        (LPRRate, check_lpr),
    ):
        pre_save.connect(
            _pre_save(check),
            sender=model,
            weak=False,
            dispatch_uid=f"subsidy.frozen.save.{model.__name__}",
        )
        pre_delete.connect(
            _pre_delete(check),
            sender=model,
            weak=False,
            dispatch_uid=f"subsidy.frozen.del.{model.__name__}",
        )
    pre_save.connect(
        _pre_save(check_version),
        sender=ProgramVersion,
        weak=False,
        dispatch_uid="subsidy.frozen.save.ProgramVersion",
    )


def check_instance(obj: Any) -> None:
    """The check of `obj`'s model for saving it as it is now (admin forms call it before saving)."""
    from applications.models import ProgramVersion
    from loans.models import InterestSettlement, Loan, OverdueEvent, Repayment
    from subsidy.models import LPRRate

    checks = {
        Loan: check_loan,
        InterestSettlement: check_settlement,
        Repayment: check_repayment,
        OverdueEvent: check_event,
        LPRRate: check_lpr,
        ProgramVersion: check_version,
    }
    check = checks.get(type(obj))
    if check is not None:
        check(obj)


def frozen_reason(obj: Any) -> str | None:
    """Why the admin shows `obj` read-only (the refusal message), or None when it may be edited."""
    from loans.models import InterestSettlement, Loan, OverdueEvent, Repayment
    from subsidy.models import LPRRate

    try:
        if isinstance(obj, Loan):
            check_loan(obj, deleting=True)
        elif isinstance(obj, InterestSettlement):
            check_settlement(obj, deleting=True)
        elif isinstance(obj, Repayment):
            check_repayment(obj, deleting=True)
        elif isinstance(obj, OverdueEvent):
            check_event(obj, deleting=True)
        elif isinstance(obj, LPRRate):
            check_lpr(obj, deleting=True)
    except InputFrozen as exc:
        return exc.messages[0]
    return None
