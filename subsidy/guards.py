"""Inputs of an audited run are frozen (issue 7 §5): from "audited" on, the run must always give the same figures.

Receivers (connected in `SubsidyConfig.ready`) refuse, with a Chinese
message, saving or deleting through the ORM:

- a loan that entered a frozen run (as a line or as a loan not subsidized):
  deleting it, or changing a field the run reads (version, bank, enterprise,
  contract number, dates, principal, rate, LPR at pricing);
- an interest settlement of such a loan dated on or before that run's cutoff:
  changing or deleting it, or adding one (a later settlement is ordinary business);
- an LPR publication a frozen run may have read: dated on or before the latest
  disbursement date of its loans, or the first one after it;
- the subsidy parameters (share, LPR cap, tier) of a program version with loans
  in a frozen run.

A frozen run is one past "computed" and not cancelled (audited, reviewed, approved, publicized,
issued or paid: `subsidy.models.FROZEN_STATES`).
Repayments are not an input of the run (overdue interest is marked on the
settlements), so they stay editable. `QuerySet.update()` and `bulk_create`
send no signals; the services of this project do not use them on these rows,
and `services.run_recompute` counts only settlements entered before the run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Min, Q

# subsidy.models.FROZEN_STATES (spelled out here: this module is imported before the models are ready).
FROZEN = ("audited", "reviewed", "approved", "publicized", "issued", "paid")

LOAN_FIELDS = (
    "program_version_id",
    "bank_id",
    "enterprise_id",
    "contract_no",
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
        SubsidyRun.objects.filter(state__in=FROZEN)
        .filter(
            Q(pk__in=SubsidyLine.objects.filter(loan_id=loan_id).values("run_id"))
            | Q(pk__in=SubsidyExclusion.objects.filter(loan_id=loan_id).values("run_id"))
        )
        .order_by("-cutoff")
        .first()
    )


def _any_frozen() -> bool:
    from subsidy.models import SubsidyRun

    return SubsidyRun.objects.filter(state__in=FROZEN).exists()


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


# --- LPR ------------------------------------------------------------------------------------------


def lpr_frozen_through() -> dt.date | None:
    """The latest disbursement date among the loans of frozen runs (the LPR rows up to it were read)."""
    from subsidy.models import SubsidyExclusion, SubsidyLine

    dates = [
        SubsidyLine.objects.filter(run__state__in=FROZEN).aggregate(d=Max("disbursement_date"))[
            "d"
        ],
        SubsidyExclusion.objects.filter(run__state__in=FROZEN).aggregate(
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
                SubsidyRun.objects.filter(state__in=FROZEN).order_by("-year", "-created_at").first()
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
    frozen = SubsidyRun.objects.filter(state__in=FROZEN).order_by("-year")
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
    from loans.models import InterestSettlement, Loan
    from subsidy.models import LPRRate

    for model, check in (
        (Loan, check_loan),
        (InterestSettlement, check_settlement),
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
    from loans.models import InterestSettlement, Loan
    from subsidy.models import LPRRate

    checks = {
        Loan: check_loan,
        InterestSettlement: check_settlement,
        LPRRate: check_lpr,
        ProgramVersion: check_version,
    }
    check = checks.get(type(obj))
    if check is not None:
        check(obj)


def frozen_reason(obj: Any) -> str | None:
    """Why the admin shows `obj` read-only (the refusal message), or None when it may be edited."""
    from loans.models import InterestSettlement, Loan
    from subsidy.models import LPRRate

    try:
        if isinstance(obj, Loan):
            check_loan(obj, deleting=True)
        elif isinstance(obj, InterestSettlement):
            check_settlement(obj, deleting=True)
        elif isinstance(obj, LPRRate):
            check_lpr(obj, deleting=True)
    except InputFrozen as exc:
        return exc.messages[0]
    return None
