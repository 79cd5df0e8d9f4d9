"""Reference data exists after `migrate` on an empty database, demo or not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from applications.models import MaterialType, ProductType, Program, RegistrationPlace, TechField
from kedaitong.models import CalendarDay, CalendarYear
from subsidy.models import LPRMissing, LPRRate, lpr_on

pytestmark = pytest.mark.django_db


def test_both_programs_exist_with_the_numbers_of_their_documents():
    changjiang = Program.objects.get(code="changjiang")
    cj = changjiang.versions.get()
    assert cj.max_amount == Decimal("5000000.00")  # 第一条
    assert cj.one_bank_per_enterprise and cj.needs_recommendation and cj.risk_compensation

    quzhou = Program.objects.get(code="quzhou")
    plan_2023 = quzhou.versions.get(code="2023")
    assert plan_2023.document_no == "衢市科发创〔2023〕37号"
    assert plan_2023.effective_from == dt.date(2024, 1, 1)  # 七(三)
    assert plan_2023.max_term_months == 36  # 一(二)
    assert plan_2023.enterprise_annual_cap == Decimal("5000000.00")  # 一(五)
    assert plan_2023.total_annual_cap == Decimal("640000000.00")  # 一(四)
    assert plan_2023.subsidy_share == Decimal("0.3000")  # 四(1)
    assert plan_2023.rate_capped_by_lpr


def test_a_loan_keeps_the_plan_in_force_on_its_date():
    quzhou = Program.objects.get(code="quzhou")
    assert quzhou.version_on(dt.date(2023, 6, 1)).code == "2020"  # 七(二)
    assert quzhou.version_on(dt.date(2024, 1, 1)).code == "2023"
    assert Program.objects.get(code="changjiang").version_on(dt.date(2025, 1, 1)) is None


def test_the_annex_lists_are_complete():
    assert list(ProductType.objects.values_list("name", flat=True)) == [
        "科技孵化贷",
        "科技知识贷",
        "科技周转贷",
        "科技立业贷",
        "科技退税贷",
        "科技股权贷",
        "科技抵押贷",
        "科技担保贷",
    ]
    assert TechField.objects.count() == 14
    assert TechField.objects.filter(name="航空航天技术").exists()
    materials = MaterialType.objects.filter(program__code="changjiang")
    assert materials.count() == 11
    assert materials.get(number=3).name == "有效营业执照副本"
    assert set(RegistrationPlace.objects.values_list("name", flat=True)) == {
        "市本级",
        "智造新城（市本级）",
        "智慧新城（市本级）",
        "市、柯城区七三共享",
    }


def test_the_lpr_history_is_loaded_and_looked_up_by_tier():
    assert (
        LPRRate.objects.exclude(source__startswith="测试数据").count() == 81
    )  # every publication 2019-08 to 2026-04
    assert lpr_on(dt.date(2019, 8, 20), 12) == Decimal("4.2500")
    assert lpr_on(dt.date(2024, 10, 20), 12) == Decimal("3.3500")  # the day before a fixing
    assert lpr_on(dt.date(2024, 10, 21), 12) == Decimal("3.1000")
    assert lpr_on(dt.date(2026, 3, 1), 36) == Decimal("3.0000")  # up to 5 years: 1-year LPR
    assert lpr_on(dt.date(2026, 3, 1), 84) == Decimal("3.5000")  # longer: 5-year LPR
    with pytest.raises(LPRMissing, match="2019-08-19"):
        lpr_on(dt.date(2019, 8, 19), 12)


def test_the_official_calendar_is_loaded_for_2004_to_2026():
    years = list(CalendarYear.objects.values_list("year", flat=True))
    assert years[0] == 2004 and years[-1] == 2026 and len(years) == 23
    assert CalendarDay.objects.get(date=dt.date(2025, 10, 11)).kind == CalendarDay.Kind.WORKDAY
    assert CalendarDay.objects.get(date=dt.date(2025, 10, 1)).name == "国庆节"
