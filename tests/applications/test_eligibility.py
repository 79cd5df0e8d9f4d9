"""Every eligibility rule, pass and fail (pure functions, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from applications import eligibility as el
from applications.eligibility import ApplicationFacts, Facts, QualificationFact

TODAY = dt.date(2026, 6, 1)


def facts(**kw) -> Facts:
    base = {
        "today": TODAY,
        "registered_region": "江西省景德镇市昌江区",
        "industry": "industrial",
        "employees": 50,
        "revenue": Decimal("10000000"),
        "kedaitong_entry_no": "KDT-360202-0001",
    }
    return Facts(**(base | kw))


def q(kind: str, **kw) -> QualificationFact:
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
    assert (
        el.cj_national_tech_sme(facts(qualifications=(q("national_tech_sme", year=2025),))).status
        == "pass"
    )
    old = el.cj_national_tech_sme(facts(qualifications=(q("national_tech_sme", year=2024),)))
    assert old.status == "fail" and "2024" in old.reason
    assert el.cj_national_tech_sme(facts()).status == "fail"


def test_high_tech_certificate_must_be_valid():
    valid = facts(qualifications=(q("high_tech", valid_until=dt.date(2027, 12, 1)),))
    assert el.cj_high_tech(valid).status == "pass"
    expired = facts(qualifications=(q("high_tech", valid_until=dt.date(2026, 5, 31)),))
    assert el.cj_high_tech(expired).status == "fail"


@pytest.mark.parametrize(
    "listing", ["unicorn", "potential_unicorn", "seed_unicorn", "gazelle", "potential_gazelle"]
)
def test_listing_in_the_last_three_years(listing):
    assert (
        el.cj_listing(facts(qualifications=(q("listing", listing=listing, year=2023),))).status
        == "pass"
    )
    assert (
        el.cj_listing(facts(qualifications=(q("listing", listing=listing, year=2022),))).status
        == "fail"
    )


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
    assert (
        el.cj_award(facts(qualifications=(q("award", level="national", year=2025),))).status
        == "pass"
    )
    assert (
        el.cj_award(facts(qualifications=(q("award", level="city", year=2025),))).status == "fail"
    )


def test_tech_condition_is_any_one_of_the_options():
    without = el.changjiang_checklist(facts())
    assert {r.code: r.status for r in without}["changjiang.tech"] == "fail"
    assert not el.passes(without)
    with_cert = el.changjiang_checklist(
        facts(qualifications=(q("high_tech", valid_until=dt.date(2027, 1, 1)),))
    )
    assert {r.code: r.status for r in with_cert}["changjiang.tech"] == "pass"
    assert el.passes(with_cert)  # failing options alone block nothing


def test_blacklist_blocks():
    assert el.blacklist(facts()).status == "pass"
    result = el.blacklist(facts(blacklisted="逾期超过6个月"))
    assert result.status == "fail" and result.article == "昌江细则第九条"


def test_one_bank_per_enterprise():
    assert (
        el.cj_one_bank(
            ApplicationFacts(
                amount=Decimal(1), max_amount=None, bank="X银行", other_banks=("X银行",)
            )
        ).status
        == "pass"
    )
    refused = el.cj_one_bank(
        ApplicationFacts(amount=Decimal(1), max_amount=None, bank="X银行", other_banks=("Y银行",))
    )
    assert refused.status == "fail" and "Y银行" in refused.reason


def test_changjiang_amount_at_most_five_million():
    cap = Decimal("5000000.00")
    assert el.cj_amount(ApplicationFacts(amount=cap, max_amount=cap)).status == "pass"
    assert (
        el.cj_amount(ApplicationFacts(amount=cap + Decimal("0.01"), max_amount=cap)).status
        == "fail"
    )


def test_quzhou_place_list_and_provincial_status():
    assert (
        el.qz_registration_place(
            facts(registration_place="市本级", registered_region="浙江省衢州市")
        ).status
        == "pass"
    )
    assert el.qz_registration_place(facts(registered_region="浙江省杭州市")).status == "fail"
    assert (
        el.qz_provincial_tech_sme(
            facts(qualifications=(q("provincial_tech_sme", year=2025),))
        ).status
        == "pass"
    )
    assert el.qz_provincial_tech_sme(facts()).status == "fail"
    assert el.qz_on_bureau_list(facts(on_program_list=True)).status == "pass"
    assert el.qz_on_bureau_list(facts(on_program_list=False)).status == "fail"


def test_quzhou_fraud_bars():
    assert el.qz_fraud(facts()).status == "pass"
    assert el.qz_fraud(facts(fraud="已被认定骗取贷款或贴息")).status == "fail"


def test_quzhou_term_at_most_three_years():
    assert (
        el.qz_term(
            ApplicationFacts(amount=None, max_amount=None, term_months=36, max_term_months=36)
        ).status
        == "pass"
    )
    assert (
        el.qz_term(
            ApplicationFacts(amount=None, max_amount=None, term_months=37, max_term_months=36)
        ).status
        == "fail"
    )


def test_quzhou_bank_on_file():
    assert (
        el.qz_bank_on_file(
            ApplicationFacts(amount=None, max_amount=None, bank="A", bank_on_file=True)
        ).status
        == "pass"
    )
    assert (
        el.qz_bank_on_file(
            ApplicationFacts(amount=None, max_amount=None, bank="A", bank_on_file=False)
        ).status
        == "fail"
    )


def _qz(amount: str, others=()):
    return ApplicationFacts(
        amount=Decimal(amount),
        max_amount=Decimal("5000000"),
        term_months=12,
        planned_disbursement_on=dt.date(2026, 7, 1),
        annual_cap=Decimal("5000000.00"),
        other_commitments=tuple(others),
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
    rules = [
        getattr(el, name)
        for name in dir(el)
        if name.startswith(("cj_", "qz_")) or name == "blacklist"
    ]
    for rule in rules:
        assert rule.__doc__ and rule.__doc__.split(":")[0].split(" ")[0] in (
            "Changjiang",
            "Quzhou",
        ), rule.__name__


# --- Changjiang 第二条: entered in the Jiangxi provincial Kedaitong system -------------------------------------


def test_provincial_system_entry_passes_with_its_number():
    result = el.cj_provincial_system(facts(kedaitong_entry_on=dt.date(2025, 3, 1)))
    assert result.status == "pass" and result.article == "昌江细则第二条"
    assert "KDT-360202-0001" in result.reason and "2025-03-01" in result.reason


def test_provincial_system_entry_missing_or_in_the_future_fails():
    missing = el.cj_provincial_system(facts(kedaitong_entry_no="  "))
    assert missing.status == "fail" and "江西省科贷通业务管理系统" in missing.reason
    future = el.cj_provincial_system(facts(kedaitong_entry_on=TODAY + dt.timedelta(days=1)))
    assert future.status == "fail" and "晚于今天" in future.reason


def test_provincial_system_entry_blocks_the_changjiang_checklist():
    cert = (q("high_tech", valid_until=dt.date(2027, 1, 1)),)
    assert el.passes(el.changjiang_checklist(facts(qualifications=cert)))
    blocked = el.problems(
        el.changjiang_checklist(facts(qualifications=cert, kedaitong_entry_no=""))
    )
    assert [r.code for r in blocked] == ["changjiang.provincial_system"]


# --- Quzhou 一(一): the chosen place against the typed region and address -------------------------------------


@pytest.mark.parametrize(
    ("region", "address"),
    [
        ("浙江省衢州市智造新城", ""),
        ("浙江省衢州市柯城区", "北京路8号"),
        ("", "衢州市智慧新城示范路9号"),
        ("衢江区", ""),
    ],
)
def test_a_quzhou_place_agreeing_with_the_region_passes(region, address):
    assert (
        el.qz_registration_place(
            facts(registration_place="市本级", registered_region=region, address=address)
        ).status
        == "pass"
    )


@pytest.mark.parametrize(
    ("region", "named"),
    [
        ("江西省景德镇市昌江区", "江西"),
        ("浙江省杭州市西湖区", "杭州"),
        ("浙江省衢州市江山市", "江山"),
        ("浙江省衢州市龙游县", "龙游"),
    ],
)
def test_a_quzhou_place_contradicted_by_the_region_fails_naming_it(region, named):
    result = el.qz_registration_place(facts(registration_place="市本级", registered_region=region))
    assert result.status == "fail"
    assert "市本级" in result.reason and region in result.reason and named in result.reason


def test_a_quzhou_place_the_text_cannot_confirm_is_unknown():
    nothing = el.qz_registration_place(
        facts(registration_place="市本级", registered_region="", address="")
    )
    assert nothing.status == "unknown" and "未填写注册地区和地址" in nothing.reason
    vague = el.qz_registration_place(
        facts(registration_place="市本级", registered_region="", address="示范路8号")
    )
    assert vague.status == "unknown" and "未写明衢州" in vague.reason
    unchosen = el.qz_registration_place(facts(registered_region="浙江省衢州市柯城区"))
    assert unchosen.status == "unknown" and "请在企业信息中选择" in unchosen.reason


# --- The unknown branches of the submit-time rules -----------------------------------------------------------


def test_one_bank_is_unknown_without_a_bank():
    result = el.cj_one_bank(ApplicationFacts(amount=Decimal(1), max_amount=None, bank=""))
    assert result.status == "unknown" and result.reason == "未选择贷款银行"


def test_term_is_unknown_without_a_term():
    result = el.qz_term(
        ApplicationFacts(amount=None, max_amount=None, term_months=None, max_term_months=36)
    )
    assert result.status == "unknown" and result.reason == "未填写贷款期限"


@pytest.mark.parametrize("missing", ["amount", "term_months", "planned_disbursement_on"])
def test_annual_cap_is_unknown_until_amount_term_and_date_are_filled(missing):
    values = {
        "amount": Decimal("1000000"),
        "max_amount": None,
        "term_months": 12,
        "planned_disbursement_on": dt.date(2026, 7, 1),
        "annual_cap": Decimal("5000000"),
    }
    result = el.qz_annual_cap(ApplicationFacts(**(values | {missing: None})))
    assert result.status == "unknown" and "按年折算" in result.reason


def test_bank_on_file_is_unknown_without_a_bank():
    result = el.qz_bank_on_file(ApplicationFacts(amount=None, max_amount=None, bank=""))
    assert result.status == "unknown" and result.article == "衢州方案一（三）"


def test_unknown_blocks_like_fail():
    unknown = el.RuleResult("quzhou.term", "衢州方案一（二）", "unknown", "未填写贷款期限")
    assert el.problems([unknown]) == [unknown]


# --- Labels for the pages (the review page among them) --------------------------------------------------------


def test_results_carry_translated_labels_for_every_rule():
    from django.utils import translation

    results = el.changjiang_checklist(
        facts(), ApplicationFacts(amount=Decimal(1), max_amount=None, bank="X")
    ) + el.quzhou_checklist(facts(), ApplicationFacts(amount=Decimal(1), max_amount=None, bank="X"))
    with translation.override("zh-hans"):
        labels = {r.code: r.label for r in results}
        assert labels["changjiang.provincial_system"] == "已入江西省科贷通业务管理系统"
        assert labels["quzhou.annual_cap"] == "每年按年折算合计"
        assert el.RuleResult("x", "", "pass", "").status_label == "符合"
        assert el.RuleResult("x", "", "unknown", "").status_label == "待确认"
        assert el.RuleResult("x", "", "fail", "").status_label == "不符合"
    assert all(label != code for code, label in labels.items()), [
        c for c, lbl in labels.items() if lbl == c
    ]
    with translation.override("en"):
        assert el.RuleResult("quzhou.bank", "", "fail", "").label == "Bank on file"
        assert el.RuleResult("quzhou.bank", "", "fail", "").status_label == "Fail"
    assert el.RuleResult("some.future.rule", "", "pass", "").label == "some.future.rule"
