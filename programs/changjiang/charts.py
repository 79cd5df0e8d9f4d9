"""The Changjiang kind's dashboard chart (KindSpec.charts): this year's credit plan against what was granted and
disbursed, month by month to date (第五条). A builder returns the chart's fields (reports.dashboard.Chart makes
the chart), or None where the user sees no plan."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from applications.scope import current_program
from kedaitong import programs
from kedaitong.programs import Feature
from kedaitong.roles import Role
from loans.models import Bank
from programs.changjiang import selectors


def credit_plan_chart(user: Any, filters: Any = None) -> dict[str, Any] | None:
    """The plan of the year the dashboard's period ends in, month by month up to that month (never past today)."""
    program = current_program(user)
    if not programs.has_feature(program, Feature.CREDIT_PLAN):
        return None
    assert program is not None
    today = min(filters.on, timezone.localdate()) if filters is not None else timezone.localdate()
    banks = Bank.objects.filter(agreements__program=program)
    if user.effective_role == Role.BANK:
        banks = banks.filter(pk=user.bank_id)
    # The dashboard's filters read the disbursements from its loan tallies (the same figures, without reading
    # every loan of the program); without them the loans are counted.
    reader = getattr(filters, "disbursed_by_month", None)
    rows = (
        selectors.plan_progress(program, today.year, banks, disbursed_from=reader)
        if reader is not None
        else selectors.plan_progress(program, today.year, banks)
    )
    months = selectors.program_totals(rows)[: today.month]
    return {
        "key": "credit-plan",
        "title": _("Credit plan %(year)s: plan, granted and disbursed to date (yuan)")
        % {"year": today.year},
        "labels": [f"{today.year}-{m.month:02d}" for m in months],
        "series": [
            (_("Plan to date"), [m.plan_amount for m in months]),
            (_("Granted to date"), [m.granted_amount_to_date for m in months]),
            (_("Disbursed to date"), [m.disbursed_amount_to_date for m in months]),
            (_("Loans disbursed to date"), [m.disbursed_count_to_date for m in months]),
        ],
        "kind": "line",
        "plot": 3,
        "note": _(
            "Changjiang 第五条: the plan to date is the year's plan spread evenly over the months."
        ),
    }
