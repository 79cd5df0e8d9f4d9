"""Every eligibility rule, pass and fail (pure functions, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from applications import eligibility as el
from applications.eligibility import ApplicationFacts, Facts, QualificationFact

TODAY = dt.date(2026, 6, 1)


def facts(**kw) -> Facts:  # type: ignore[no-untyped-def]
    base = {"today": TODAY, "registered_region": "江西省景德镇市昌江区", "industry": "industrial", "employees": 50, "revenue": Decimal("10000000")}
    return Facts(**(base | kw))


def q(kind: str, **kw) -> QualificationFact:  # type: ignore[no-untyped-def]
    return QualificationFact(kind=kind, **kw)


def test_jiangxi_registration():
    assert el.cj_registered_in_jiangxi(facts()).status == "pass"
    assert el.cj_registered_in_jiangxi(facts(registered_region="浙江省衢州市")).status == "fail"
    assert el.cj_registered_in_jiangxi(facts(registered_region="")).status == "unknown"


def test_sme_size_rule():
    assert el.cj_sme_size(facts()).status == "pass"
    large = el.cj_sme_size(facts(employees=1000, revenue=Decimal("400000000")))
    assert large.status == "fail" and "大型企业" in large.reason
    assert el.cj_sme_size(facts(employees=None)).status == "unknown"


def test_national_tech_sme_this_or_last_year():
    assert el.cj_national_tech_sme(facts(qualifications=(q("national_tech_sme", year=2025),))).status == "pass"
    old = el.cj_national_tech_sme(facts(qualifications=(q("national_tech_sme", year=2024),)))
    assert old.status == "fail" and "2024" in old.reason
    assert el.cj_national_tech_sme(facts()).status == "fail"


def test_high_tech_certificate_must_be_valid():
    valid = facts(qualifications=(q("high_tech", valid_until=dt.date(2027, 12, 1)),))
    assert el.cj_high_tech(valid).status == "pass"
    expired = facts(qualifications=(q("high_tech", valid_until=dt.date(2026, 5, 31)),))
    assert el.cj_high_tech(expired).status == "fail"


@pytest.mark.parametrize("listing", ["unicorn", "potential_unicorn", "seed_unicorn", "gazelle", "potential_gazelle"])
def test_listing_in_the_last_three_years(listing):
    assert el.cj_listing(facts(qualifications=(q("listing", listing=listing, year=2023),))).status == "pass"
    assert el.cj_listing(facts(qualifications=(q("listing", listing=listing, year=2022),))).status == "fail"


def test_talent_shareholder_needs_twenty_percent_and_a_provincial_program():
    good = q("talent", level="provincial", share=Decimal("20"), label="张三")
    assert el.cj_talent_shareholder(facts(qualifications=(good,))).status == "pass"
    small = q("talent", level="national", share=Decimal("19.99"))
    city = q("talent", level="city", share=Decimal("60"))
    assert el.cj_talent_shareholder(facts(qualifications=(small, city))).status == "fail"


def test_project_provincial_recent_and_executed_as_planned():
    good = q("project", level="provincial", year=2024, executed_as_planned=True)
    assert el.cj_project(facts(qualifications=(good,))).status == "pass"
    for bad in (
        q("project", level="provincial", year=2024, executed_as_planned=False),
        q("project", level="city", year=2024, executed_as_planned=True),
        q("project", level="national", year=2021, executed_as_planned=True),
    ):
        assert el.cj_project(facts(qualifications=(bad,))).status == "fail"


def test_award_national_or_provincial_recent():
    assert el.cj_award(facts(qualifications=(q("award", level="national", year=2025),))).status == "pass"
    assert el.cj_award(facts(qualifications=(q("award", level="city", year=2025),))).status == "fail"


def test_tech_condition_is_any_one_of_the_options():
    without = el.changjiang_checklist(facts())
    assert {r.code: r.status for r in without}["changjiang.tech"] == "fail"
    assert not el.passes(without)
    with_cert = el.changjiang_checklist(facts(qualifications=(q("high_tech", valid_until=dt.date(2027, 1, 1)),)))
    assert {r.code: r.status for r in with_cert}["changjiang.tech"] == "pass"
    assert el.passes(with_cert)  # failing options alone block nothing


def test_blacklist_blocks():
    assert el.blacklist(facts()).status == "pass"
    result = el.blacklist(facts(blacklisted="逾期超过6个月"))
    assert result.status == "fail" and result.article == "昌江细则第九条"


def test_one_bank_per_enterprise():
    assert el.cj_one_bank(ApplicationFacts(amount=Decimal(1), max_amount=None, bank="X银行", other_banks=("X银行",))).status == "pass"
    refused = el.cj_one_bank(ApplicationFacts(amount=Decimal(1), max_amount=None, bank="X银行", other_banks=("Y银行",)))
    assert refused.status == "fail" and "Y银行" in refused.reason


def test_changjiang_amount_at_most_five_million():
    cap = Decimal("5000000.00")
    assert el.cj_amount(ApplicationFacts(amount=cap, max_amount=cap)).status == "pass"
    assert el.cj_amount(ApplicationFacts(amount=cap + Decimal("0.01"), max_amount=cap)).status == "fail"


def test_quzhou_place_list_and_provincial_status():
    assert el.qz_registration_place(facts(registration_place="市本级")).status == "pass"
    assert el.qz_registration_place(facts(registered_region="浙江省杭州市")).status == "fail"
    assert el.qz_provincial_tech_sme(facts(qualifications=(q("provincial_tech_sme", year=2025),))).status == "pass"
    assert el.qz_provincial_tech_sme(facts()).status == "fail"
    assert el.qz_on_bureau_list(facts(on_program_list=True)).status == "pass"
    assert el.qz_on_bureau_list(facts(on_program_list=False)).status == "fail"


def test_quzhou_fraud_bars():
    assert el.qz_fraud(facts()).status == "pass"
    assert el.qz_fraud(facts(fraud="已被认定骗取贷款或贴息")).status == "fail"


def test_quzhou_term_at_most_three_years():
    assert el.qz_term(ApplicationFacts(amount=None, max_amount=None, term_months=36, max_term_months=36)).status == "pass"
    assert el.qz_term(ApplicationFacts(amount=None, max_amount=None, term_months=37, max_term_months=36)).status == "fail"


def test_quzhou_bank_on_file():
    assert el.qz_bank_on_file(ApplicationFacts(amount=None, max_amount=None, bank="A", bank_on_file=True)).status == "pass"
    assert el.qz_bank_on_file(ApplicationFacts(amount=None, max_amount=None, bank="A", bank_on_file=False)).status == "fail"


def _qz(amount: str, others=()):  # type: ignore[no-untyped-def]
    return ApplicationFacts(
        amount=Decimal(amount), max_amount=Decimal("5000000"), term_months=12, planned_disbursement_on=dt.date(2026, 7, 1),
        annual_cap=Decimal("5000000.00"), other_commitments=tuple(others),
    )


def test_quzhou_annualized_cap_per_calendar_year():
    # 5,000,000 for 12 months from 2026-07-01: 184/365 in 2026 and 181/365 in 2027, each under the cap.
    alone = el.qz_annual_cap(_qz("5000000"))
    assert alone.status == "pass"
    assert "2026年2,520,547.95元" in alone.reason
    # An existing loan over all of 2026 fills that year: the new loan's share pushes 2026 over.
    existing = (Decimal("3000000"), dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    over = el.qz_annual_cap(_qz("5000000", [existing]))
    assert over.status == "fail" and "2026年" in over.reason and "2027年" not in over.reason


def test_add_months_keeps_the_day_or_takes_the_last_one():
    assert el.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert el.add_months(dt.date(2026, 7, 1), 36) == dt.date(2029, 7, 1)


def test_quzhou_amount_at_most_five_million():
    cap = Decimal("5000000.00")
    assert el.qz_amount(ApplicationFacts(amount=cap, max_amount=cap)).status == "pass"
    over = el.qz_amount(ApplicationFacts(amount=cap + Decimal("0.01"), max_amount=cap))
    assert over.status == "fail" and over.article == "衢州方案附件1"
    assert el.qz_amount(ApplicationFacts(amount=None, max_amount=cap)).status == "unknown"


def test_every_rule_cites_its_article():
    rules = [getattr(el, name) for name in dir(el) if name.startswith(("cj_", "qz_")) or name == "blacklist"]
    for rule in rules:
        assert rule.__doc__ and rule.__doc__.split(":")[0].split(" ")[0] in ("Changjiang", "Quzhou"), rule.__name__
