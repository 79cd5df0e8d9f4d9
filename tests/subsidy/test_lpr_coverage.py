"""The LPR table holds every monthly publication (一(六)); a date no publication covers is refused, naming it."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from loans import rules
from subsidy import services
from subsidy.models import LPRMissing, LPRRate, lpr_lookup, lpr_on, next_publication_due
from subsidy.services import SubsidyInputError, compute_run

CSV = Path(__file__).resolve().parents[2] / "subsidy" / "data" / "lpr.csv"


def test_the_loaded_table_has_one_publication_a_month_without_a_gap(db):
    # the migrated table is the confirmed file; the tests' assumed publications follow it
    dates = list(
        LPRRate.objects.exclude(source__startswith="测试数据")
        .order_by("effective_date")
        .values_list("effective_date", flat=True)
    )
    with CSV.open(encoding="utf-8") as f:
        assert [dt.date.fromisoformat(r["effective_date"]) for r in csv.DictReader(f)] == dates
    assert dates[0] == dt.date(2019, 8, 20) and dates[-1] == dt.date(2026, 4, 20)
    dates = list(
        LPRRate.objects.order_by("effective_date").values_list("effective_date", flat=True)
    )
    months = [d.year * 12 + d.month for d in dates]
    assert months == list(range(months[0], months[-1] + 1))
    assert dates[-1] == dt.date(2026, 11, 20)
    assert all(20 <= d.day <= 26 for d in dates)  # the 20th, or the next working day
    # an unchanged month is a row of its own, with the figures of the last change
    unchanged = LPRRate.objects.get(effective_date=dt.date(2024, 11, 20))
    assert (unchanged.one_year, unchanged.five_year) == (Decimal("3.1000"), Decimal("3.6000"))


def test_next_publication_is_due_on_the_20th_of_the_following_month():
    assert next_publication_due(dt.date(2026, 11, 20)) == dt.date(2026, 12, 20)
    assert next_publication_due(dt.date(2026, 12, 21)) == dt.date(2027, 1, 20)


def test_a_missing_month_in_the_middle_is_refused_naming_the_date(db):
    LPRRate.objects.filter(effective_date=dt.date(2025, 2, 20)).delete()
    # before the missing publication was due: the January one is in force
    assert lpr_on(dt.date(2025, 2, 19), 12) == Decimal("3.1000")
    for day in (dt.date(2025, 2, 20), dt.date(2025, 3, 19)):
        with pytest.raises(LPRMissing, match=f"^{day:%Y-%m-%d} .*缺少2025年2月的报价") as info:
            lpr_on(day, 12)
        assert info.value.day == day
    # the March publication is there again
    assert lpr_on(dt.date(2025, 3, 20), 12) == Decimal("3.1000")


def test_a_date_after_the_tables_end_is_refused_naming_the_date(db):
    lookup = lpr_lookup()
    assert lookup(dt.date(2026, 12, 19), 12) == Decimal("3.0000")
    with pytest.raises(
        LPRMissing, match="^2026-12-20 .*只录入到2026-11-20.*2026年12月的报价尚未录入"
    ):
        lookup(dt.date(2026, 12, 20), 12)
    with pytest.raises(LPRMissing, match="^2027-05-04 "):
        lpr_on(dt.date(2027, 5, 4), 12)
    # the next publication, even moved to a later working day, covers the days before it again
    LPRRate.objects.create(
        effective_date=dt.date(2026, 12, 21), one_year=Decimal("2.9"), five_year=Decimal("3.4")
    )
    assert lpr_on(dt.date(2026, 12, 20), 12) == Decimal("3.0000")
    assert lpr_on(dt.date(2026, 12, 21), 72) == Decimal("3.4000")


def test_the_run_refuses_a_gap_naming_the_date_and_the_contract(qz):
    LPRRate.objects.filter(effective_date=dt.date(2025, 2, 20)).delete()
    covered = qz.loan(contract="A-0", disbursed=dt.date(2025, 2, 10), lpr=None)
    qz.interest(covered, "100.00")
    assert compute_run(program=qz.program, year=2025, budget="1000000").lines[0].lpr == Decimal(
        "3.1000"
    )
    qz.interest(qz.loan(contract="A-1", disbursed=dt.date(2025, 3, 3), lpr=None), "100.00")
    with pytest.raises(
        SubsidyInputError, match="贷款合同A-1的签订日2025-03-03没有适用的LPR报价.*缺少2025年2月"
    ):
        compute_run(program=qz.program, year=2025, budget="1000000")


def test_the_run_refuses_a_date_after_the_tables_end(qz):
    LPRRate.objects.filter(effective_date__gte=dt.date(2025, 9, 1)).delete()
    qz.interest(qz.loan(contract="B-9", disbursed=dt.date(2025, 10, 9), lpr=None), "100.00")
    with pytest.raises(
        SubsidyInputError, match="贷款合同B-9的签订日2025-10-09.*只录入到2025-08-20"
    ):
        compute_run(program=qz.program, year=2025, budget="1000000")


def test_one_term_rule_and_one_lookup():
    assert services.term_months is rules.term_months
    assert rules.term_months(dt.date(2025, 1, 31), dt.date(2025, 2, 28)) == 1
    assert rules.term_months(dt.date(2025, 1, 15), dt.date(2030, 1, 16)) == 61
