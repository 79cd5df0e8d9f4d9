"""The eligibility engine: one small pure rule per article, each returning pass / fail / unknown with a Chinese reason.

Rules read plain facts (`Facts`, `QualificationFact`, `ApplicationFacts`) that
`applications.selectors` gathers from the database, so every rule is tested
without the ORM. A checklist is a list of `RuleResult`; lines whose code is in
`OPTIONAL` are the alternatives of Changjiang 第六条(一) and block nothing on
their own (their aggregate line does).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext_lazy as _

from applications.sme import classify
from kedaitong.annualized import annualized_by_year
from kedaitong.money import format_yuan

Status = Literal["pass", "fail", "unknown", "covered"]
PASS: Status = "pass"
FAIL: Status = "fail"
UNKNOWN: Status = "unknown"
# Shown only, never judged nor stored: an alternative of 第六条(一) that is not met while another one is
# (`presented`), so a page says 已满足其一 instead of a red 不符合 for a condition nobody needs.
COVERED: Status = "covered"


@dataclass(frozen=True)
class RuleResult:
    """One line of an eligibility checklist: the rule, the article it applies, the outcome and why (in Chinese)."""

    code: str
    article: str
    status: Status
    reason: str

    @property
    def label(self) -> str:
        """The rule's name in the user's language (the code itself for a rule this version does not know)."""
        return str(RULE_LABELS.get(self.code, self.code))

    @property
    def optional(self) -> bool:
        """One of several alternatives (Changjiang 第六条(一)2): it blocks nothing on its own."""
        return self.code in OPTIONAL

    @property
    def status_label(self) -> str:
        """Pass / fail / unknown in the user's language."""
        return str(STATUS_LABELS.get(self.status, self.status))


@dataclass(frozen=True)
class QualificationFact:
    kind: str
    year: int | None = None
    valid_until: dt.date | None = None
    listing: str = ""
    level: str = ""
    share: Decimal | None = None
    executed_as_planned: bool = False
    label: str = ""


@dataclass(frozen=True)
class Facts:
    """What the rules know of an enterprise on `today`."""

    today: dt.date
    registered_region: str = ""
    address: str = ""
    registration_place: str = ""  # name of a Quzhou registration place, if chosen
    kedaitong_entry_no: str = (
        ""  # Changjiang 第二条: entry in the Jiangxi provincial Kedaitong system
    )
    kedaitong_entry_on: dt.date | None = None
    industry: str = ""
    employees: int | None = None
    revenue: Decimal | None = None
    total_assets: Decimal | None = None
    qualifications: tuple[QualificationFact, ...] = ()
    on_program_list: bool | None = (
        None  # Quzhou 一(一): on the bureau's list; None where the program keeps none
    )
    blacklisted: str = ""  # reason of a listed blacklist entry, empty if none
    fraud: str = ""  # Quzhou 六: a fraud record, empty if none


@dataclass(frozen=True)
class ApplicationFacts:
    """What the submit-time rules know of the application itself."""

    amount: Decimal | None
    max_amount: Decimal | None
    bank: str = ""
    bank_on_file: bool = True
    term_months: int | None = None
    max_term_months: int | None = None
    planned_disbursement_on: dt.date | None = None
    annual_cap: Decimal | None = None
    # Other loans and open applications of the same program: (principal, start, end) for annualizing.
    other_commitments: tuple[tuple[Decimal, dt.date, dt.date], ...] = ()
    other_banks: tuple[str, ...] = field(default_factory=tuple)  # Changjiang 第六条(二)


STATUS_LABELS = {
    "pass": _("Pass"),
    "fail": _("Fail"),
    "unknown": _("Unknown"),
    "covered": _("One of the alternatives is met"),
}
RULE_LABELS = {
    "changjiang.jiangxi": _("Registered in Jiangxi"),
    "changjiang.provincial_system": _("Entered in the Jiangxi Kedaitong system"),
    "changjiang.sme": _("SME size"),
    "changjiang.tech": _("Tech condition (any one)"),
    "changjiang.tech.national_db": _("National tech-SME database"),
    "changjiang.tech.high_tech": _("High-tech enterprise certificate"),
    "changjiang.tech.listing": _("Unicorn or gazelle listing"),
    "changjiang.tech.talent": _("Talent-program shareholder"),
    "changjiang.tech.project": _("Provincial or national S&T project"),
    "changjiang.tech.award": _("National or provincial S&T award"),
    "changjiang.amount": _("Loan amount limit"),
    "changjiang.one_bank": _("One bank per enterprise"),
    "blacklist": _("Blacklist"),
    "quzhou.place": _("Registration place"),
    "quzhou.provincial_tech_sme": _("Zhejiang provincial tech SME"),
    "quzhou.list": _("On the science bureau's list"),
    "quzhou.fraud": _("No fraud record"),
    "quzhou.amount": _("Loan amount limit"),
    "quzhou.term": _("Term within the maximum"),
    "quzhou.annual_cap": _("Annualized total per year"),
    "quzhou.bank": _("Bank on file"),
}

RECENT_YEARS = 3
TALENT_SHARE = Decimal("20")
HIGHER_LEVELS = ("national", "provincial")
LISTINGS = {
    "unicorn": "独角兽",
    "potential_unicorn": "潜在独角兽",
    "seed_unicorn": "种子独角兽",
    "gazelle": "瞪羚",
    "potential_gazelle": "潜在瞪羚",
}


def _of(facts: Facts, kind: str) -> list[QualificationFact]:
    return [q for q in facts.qualifications if q.kind == kind]


def _recent(year: int | None, today: dt.date) -> bool:
    """近三年: the current year and the three before it (decision recorded in docs/decisions.md)."""
    return year is not None and today.year - RECENT_YEARS <= year <= today.year


# --- Changjiang 第六条 -------------------------------------------------------------------------------------


def cj_registered_in_jiangxi(facts: Facts) -> RuleResult:
    """Changjiang 第六条(一): registered in Jiangxi province (在我省境内注册)."""
    article = "昌江细则第六条（一）"
    if not facts.registered_region.strip():
        return RuleResult(
            "changjiang.jiangxi", article, UNKNOWN, "未填写注册地，无法判断是否在江西省境内注册"
        )
    if "江西" in facts.registered_region:
        return RuleResult(
            "changjiang.jiangxi", article, PASS, f"注册地“{facts.registered_region}”在江西省境内"
        )
    return RuleResult(
        "changjiang.jiangxi", article, FAIL, f"注册地“{facts.registered_region}”不在江西省境内"
    )


def cj_provincial_system(facts: Facts) -> RuleResult:
    """Changjiang 第二条 (and 第一条): the enterprise is entered (入库) in the Jiangxi provincial Kedaitong system.

    第一条 defines the loan as one for enterprises entered through 江西省科贷通业务管理系统; 第二条 says how they get
    there (tech SMEs first through the MIIT platform, others by 第六条, then entry in the provincial system). The
    portal checks the recorded entry number and date; the bureau verifies them against the provincial system.
    """
    article = "昌江细则第二条"
    number = facts.kedaitong_entry_no.strip()
    if not number:
        return RuleResult(
            "changjiang.provincial_system",
            article,
            FAIL,
            "未登记江西省科贷通业务管理系统入库编号，须先通过该系统申请入库成为“科贷通”入库企业",
        )
    if facts.kedaitong_entry_on is not None and facts.kedaitong_entry_on > facts.today:
        return RuleResult(
            "changjiang.provincial_system",
            article,
            FAIL,
            f"入库日期{facts.kedaitong_entry_on:%Y-%m-%d}晚于今天，尚未入库",
        )
    when = f"，{facts.kedaitong_entry_on:%Y-%m-%d}入库" if facts.kedaitong_entry_on else ""
    return RuleResult(
        "changjiang.provincial_system",
        article,
        PASS,
        f"已入江西省科贷通业务管理系统（编号{number}{when}）",
    )


def cj_sme_size(facts: Facts) -> RuleResult:
    """Changjiang 第六条(一): SME by 工信部联企业〔2011〕300号."""
    article = "昌江细则第六条（一）；工信部联企业〔2011〕300号"
    size = classify(facts.industry, facts.employees, facts.revenue, facts.total_assets)
    if size.is_sme is None:
        return RuleResult("changjiang.sme", article, UNKNOWN, size.reason)
    status = PASS if size.is_sme else FAIL
    verdict = "符合中小企业规模" if size.is_sme else "超出中小企业规模"
    return RuleResult("changjiang.sme", article, status, f"{size.reason}，{verdict}")


def cj_national_tech_sme(facts: Facts) -> RuleResult:
    """Changjiang 第六条(一)1: in the national tech-SME database this year or last year."""
    article = "昌江细则第六条（一）1"
    years = sorted({q.year for q in _of(facts, "national_tech_sme") if q.year}, reverse=True)
    good = [y for y in years if facts.today.year - 1 <= y <= facts.today.year]
    if good:
        return RuleResult(
            "changjiang.tech.national_db", article, PASS, f"{good[0]}年已入国家科技型中小企业库"
        )
    if years:
        return RuleResult(
            "changjiang.tech.national_db",
            article,
            FAIL,
            f"入库年度为{years[0]}年，不是本年度或上一年度",
        )
    return RuleResult(
        "changjiang.tech.national_db", article, FAIL, "未登记国家科技型中小企业入库信息"
    )


def cj_high_tech(facts: Facts) -> RuleResult:
    """Changjiang 第六条(一)2(1): a national high-tech enterprise certificate within its validity."""
    article = "昌江细则第六条（一）2（1）"
    certs = _of(facts, "high_tech")
    valid = sorted(
        (q.valid_until for q in certs if q.valid_until and q.valid_until >= facts.today),
        reverse=True,
    )
    if valid:
        return RuleResult(
            "changjiang.tech.high_tech",
            article,
            PASS,
            f"国家高新技术企业证书有效期至{valid[0]:%Y-%m-%d}",
        )
    if certs:
        return RuleResult(
            "changjiang.tech.high_tech", article, FAIL, "国家高新技术企业证书已过有效期或未填有效期"
        )
    return RuleResult("changjiang.tech.high_tech", article, FAIL, "未登记国家高新技术企业证书")


def cj_listing(facts: Facts) -> RuleResult:
    """Changjiang 第六条(一)2(2): provincial unicorn (potential, seed) or gazelle (potential) in the last three years."""
    article = "昌江细则第六条（一）2（2）"
    listings = _of(facts, "listing")
    recent = [q for q in listings if q.listing in LISTINGS and _recent(q.year, facts.today)]
    if recent:
        q = max(recent, key=lambda q: q.year or 0)
        return RuleResult(
            "changjiang.tech.listing", article, PASS, f"{q.year}年入选省{LISTINGS[q.listing]}企业"
        )
    if listings:
        return RuleResult(
            "changjiang.tech.listing", article, FAIL, "独角兽、瞪羚企业入选年度不在近三年内"
        )
    return RuleResult("changjiang.tech.listing", article, FAIL, "未登记省独角兽、瞪羚企业入选信息")


def cj_talent_shareholder(facts: Facts) -> RuleResult:
    """Changjiang 第六条(一)2(3): a main shareholder (20% or more) selected by a national or provincial talent program."""
    article = "昌江细则第六条（一）2（3）"
    people = _of(facts, "talent")
    good = [
        q
        for q in people
        if q.level in HIGHER_LEVELS and q.share is not None and q.share >= TALENT_SHARE
    ]
    if good:
        q = max(good, key=lambda q: q.share or 0)
        return RuleResult(
            "changjiang.tech.talent",
            article,
            PASS,
            f"股东{q.label}持股{q.share.normalize():f}%，为国家级或省级人才计划入选者",
        )
    if people:
        return RuleResult(
            "changjiang.tech.talent",
            article,
            FAIL,
            "人才计划入选股东持股不足20%或人才计划级别低于省级",
        )
    return RuleResult("changjiang.tech.talent", article, FAIL, "未登记人才计划入选股东")


def cj_project(facts: Facts) -> RuleResult:
    """Changjiang 第六条(一)2(4): a provincial-or-higher S&T project in the last three years, executed as planned."""
    article = "昌江细则第六条（一）2（4）"
    projects = _of(facts, "project")
    good = [
        q
        for q in projects
        if q.level in HIGHER_LEVELS and _recent(q.year, facts.today) and q.executed_as_planned
    ]
    if good:
        q = max(good, key=lambda q: q.year or 0)
        return RuleResult(
            "changjiang.tech.project",
            article,
            PASS,
            f"{q.year}年承担省级以上科技计划项目{q.label}且按计划执行",
        )
    if projects:
        return RuleResult(
            "changjiang.tech.project",
            article,
            FAIL,
            "科技计划项目不是近三年省级以上项目，或未按计划执行",
        )
    return RuleResult("changjiang.tech.project", article, FAIL, "未登记科技计划项目")


def cj_award(facts: Facts) -> RuleResult:
    """Changjiang 第六条(一)2(5): a national or provincial S&T award in the last three years."""
    article = "昌江细则第六条（一）2（5）"
    awards = _of(facts, "award")
    good = [q for q in awards if q.level in HIGHER_LEVELS and _recent(q.year, facts.today)]
    if good:
        q = max(good, key=lambda q: q.year or 0)
        return RuleResult(
            "changjiang.tech.award", article, PASS, f"{q.year}年获得科学技术奖励{q.label}"
        )
    if awards:
        return RuleResult(
            "changjiang.tech.award", article, FAIL, "科学技术奖励不是近三年国家或省级奖励"
        )
    return RuleResult("changjiang.tech.award", article, FAIL, "未登记科学技术奖励")


CHANGJIANG_OPTIONS: tuple[Callable[[Facts], RuleResult], ...] = (
    cj_national_tech_sme,
    cj_high_tech,
    cj_listing,
    cj_talent_shareholder,
    cj_project,
    cj_award,
)


def cj_tech_condition(options: Iterable[RuleResult]) -> RuleResult:
    """Changjiang 第六条(一)1–2: at least one of the tech conditions (入库, or one of 2(1)–(5))."""
    article = "昌江细则第六条（一）1、2"
    met = [r for r in options if r.status == PASS]
    if met:
        return RuleResult(
            "changjiang.tech", article, PASS, "具备条件：" + "；".join(r.reason for r in met)
        )
    return RuleResult(
        "changjiang.tech",
        article,
        FAIL,
        "国家科技型中小企业入库及第六条（一）2所列五项条件均不具备",
    )


def blacklist(facts: Facts, article: str = "昌江细则第九条") -> RuleResult:
    """Changjiang 第九条: a blacklisted enterprise gets no further financial support (every program).

    `article` is what the checklist's own program cites for the line: Changjiang's article on its own checklist;
    on another kind's checklist the bar applies too (DESIGN.md: no application in any program afterwards) and
    the line cites nothing of a program the user does not work in.
    """
    if facts.blacklisted:
        return RuleResult(
            "blacklist",
            article,
            FAIL,
            f"企业已被列入黑名单（{facts.blacklisted}），今后不得获得财政支持",
        )
    return RuleResult("blacklist", article, PASS, "未列入黑名单")


# --- Quzhou 一(一) ------------------------------------------------------------------------------------------


# Quzhou's counties and county-level cities are outside 市本级 (一(一)); its districts and the two new towns name
# the city. Any other province, or a Zhejiang city other than Quzhou, is outside as well.
QUZHOU_MARKERS = ("衢州", "柯城", "衢江", "智造新城", "智慧新城")
QUZHOU_COUNTIES = ("江山", "常山", "开化", "龙游")
PROVINCES = (
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "台湾",
)
ZHEJIANG_CITIES = ("杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "舟山", "台州", "丽水")


def qz_registration_place(facts: Facts) -> RuleResult:
    """Quzhou 一(一): registered within Quzhou city level (市本级, incl. 智造新城 and 智慧新城).

    The registration place chosen from the 附件1 list is checked against what the enterprise typed: a registered
    region in another province, another Zhejiang city or one of Quzhou's counties fails; a region or address that
    names Quzhou passes; text naming no place cannot confirm the choice (unknown). Only the region is searched for
    other places, since addresses are full of 北京路 and 上海街.
    """
    article = "衢州方案一（一）"
    region = facts.registered_region.strip()
    text = f"{region} {facts.address.strip()}".strip()
    if not facts.registration_place:
        if "衢州" in facts.registered_region:
            return RuleResult(
                "quzhou.place",
                article,
                UNKNOWN,
                "请在企业信息中选择衢州企业注册地（市本级或七三共享）",
            )
        return RuleResult(
            "quzhou.place", article, FAIL, "企业不在衢州市本级（含智造新城、智慧新城）范围内注册"
        )
    chosen = facts.registration_place
    if not text:
        return RuleResult(
            "quzhou.place",
            article,
            UNKNOWN,
            f"已选择注册地{chosen}，但未填写注册地区和地址，无法核对",
        )
    elsewhere = next((p for p in PROVINCES if p in region), "") or next(
        (c for c in ZHEJIANG_CITIES if c in region), ""
    )
    if elsewhere:
        return RuleResult(
            "quzhou.place",
            article,
            FAIL,
            f"所选注册地{chosen}与填写的注册地区“{region}”不符：企业注册在{elsewhere}，不在衢州市本级",
        )
    county = next((c for c in QUZHOU_COUNTIES if c in region), "")
    if county:
        return RuleResult(
            "quzhou.place",
            article,
            FAIL,
            f"所选注册地{chosen}与填写的注册地区“{region}”不符：{county}不属衢州市本级（含智造新城、智慧新城）",
        )
    if any(marker in text for marker in QUZHOU_MARKERS):
        return RuleResult("quzhou.place", article, PASS, f"企业注册地为{chosen}（“{text}”）")
    return RuleResult(
        "quzhou.place",
        article,
        UNKNOWN,
        f"已选择注册地{chosen}，但注册地区和地址“{text}”未写明衢州，无法核对",
    )


def qz_provincial_tech_sme(facts: Facts) -> RuleResult:
    """Quzhou 一(一): a Zhejiang provincial tech SME."""
    article = "衢州方案一（一）"
    found = sorted((q.year or 0 for q in _of(facts, "provincial_tech_sme")), reverse=True)
    if found:
        year = f"{found[0]}年" if found[0] else ""
        return RuleResult(
            "quzhou.provincial_tech_sme", article, PASS, f"{year}认定为浙江省科技型中小企业"
        )
    return RuleResult(
        "quzhou.provincial_tech_sme", article, FAIL, "未登记浙江省科技型中小企业认定信息"
    )


def qz_on_bureau_list(facts: Facts) -> RuleResult:
    """Quzhou 一(一): on the list of enterprises the city science bureau gives the banks."""
    article = "衢州方案一（一）"
    if facts.on_program_list:
        return RuleResult("quzhou.list", article, PASS, "在市科技局提供的企业名单中")
    return RuleResult("quzhou.list", article, FAIL, "不在市科技局向贷款银行提供的企业名单中")


def qz_fraud(facts: Facts) -> RuleResult:
    """Quzhou 六: an enterprise found to have obtained a loan or subsidy by fraud may not take part again."""
    if facts.fraud:
        return RuleResult(
            "quzhou.fraud", "衢州方案六", FAIL, f"企业{facts.fraud}，不得再参与科技金融合作贷款"
        )
    return RuleResult("quzhou.fraud", "衢州方案六", PASS, "无骗取贷款或贴息记录")


# --- Submit-time rules of the application ---------------------------------------------------------------------


def cj_amount(app: ApplicationFacts) -> RuleResult:
    """Changjiang 第一条: an unsecured loan of at most 5,000,000 yuan."""
    return _amount(app, "changjiang.amount", "昌江细则第一条")


def qz_amount(app: ApplicationFacts) -> RuleResult:
    """Quzhou 附件1: 申请贷款最高不超过500万元."""
    return _amount(app, "quzhou.amount", "衢州方案附件1")


def _amount(app: ApplicationFacts, code: str, article: str) -> RuleResult:
    if app.amount is None or app.amount <= 0:
        return RuleResult(code, article, UNKNOWN, "未填写申请贷款金额")
    if app.max_amount is not None and app.amount > app.max_amount:
        return RuleResult(
            code,
            article,
            FAIL,
            f"申请金额{format_yuan(app.amount)}元超过上限{format_yuan(app.max_amount)}元",
        )
    return RuleResult(code, article, PASS, f"申请金额{format_yuan(app.amount)}元，未超过上限")


def cj_one_bank(app: ApplicationFacts) -> RuleResult:
    """Changjiang 第六条(二): one enterprise takes a Kedaitong loan from one bank only."""
    article = "昌江细则第六条（二）"
    others = sorted(set(app.other_banks) - {app.bank})
    if others:
        return RuleResult(
            "changjiang.one_bank",
            article,
            FAIL,
            f"企业在{'、'.join(others)}有未结清的科贷通申请或贷款，单个企业仅接受一家银行的科贷通贷款",
        )
    if not app.bank:
        return RuleResult("changjiang.one_bank", article, UNKNOWN, "未选择贷款银行")
    return RuleResult("changjiang.one_bank", article, PASS, f"仅向{app.bank}申请")


def qz_bank_on_file(app: ApplicationFacts) -> RuleResult:
    """Quzhou 一(三): the lending bank is on file (备案制)."""
    article = "衢州方案一（三）"
    if not app.bank:
        return RuleResult("quzhou.bank", article, UNKNOWN, "未选择贷款银行")
    if not app.bank_on_file:
        return RuleResult(
            "quzhou.bank", article, FAIL, f"{app.bank}不是已备案的科技金融合作贷款经办银行"
        )
    return RuleResult("quzhou.bank", article, PASS, f"{app.bank}为已备案经办银行")


def qz_term(app: ApplicationFacts) -> RuleResult:
    """Quzhou 一(二): a single loan's term is at most three years."""
    article = "衢州方案一（二）"
    if app.term_months is None:
        return RuleResult("quzhou.term", article, UNKNOWN, "未填写贷款期限")
    limit = app.max_term_months
    if limit is None:
        return RuleResult(
            "quzhou.term", article, PASS, f"贷款期限{app.term_months}个月，本版本无期限上限"
        )
    if app.term_months > limit:
        return RuleResult(
            "quzhou.term", article, FAIL, f"贷款期限{app.term_months}个月，超过{limit}个月的上限"
        )
    return RuleResult(
        "quzhou.term", article, PASS, f"贷款期限{app.term_months}个月，不超过{limit}个月"
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has none (1-31 + 1 month → 2-28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def qz_annual_cap(app: ApplicationFacts) -> RuleResult:
    """Quzhou 一(五): per enterprise, the annualized total of every calendar year the loan spans is at most the cap.

    Annualized = principal × days outstanding in the year / days in the year
    (`kedaitong.annualized`), summed with the enterprise's other Quzhou loans
    and open applications.
    """
    article = "衢州方案一（五）"
    if app.amount is None or app.term_months is None or app.planned_disbursement_on is None:
        return RuleResult(
            "quzhou.annual_cap", article, UNKNOWN, "需填写金额、期限和拟放款日期才能按年折算"
        )
    if app.annual_cap is None:
        return RuleResult("quzhou.annual_cap", article, PASS, "本版本无每年累计上限")
    start = app.planned_disbursement_on
    end = add_months(start, app.term_months)
    totals = annualized_by_year(app.amount, start, end)
    for principal, other_start, other_end in app.other_commitments:
        for year, value in annualized_by_year(principal, other_start, other_end).items():
            if year in totals:
                totals[year] += value
    over = [(y, v) for y, v in sorted(totals.items()) if v > app.annual_cap]
    if over:
        text = "；".join(f"{y}年按年折算合计{format_yuan(v)}元" for y, v in over)
        return RuleResult(
            "quzhou.annual_cap",
            article,
            FAIL,
            f"{text}，超过每家企业每年{format_yuan(app.annual_cap)}元的上限",
        )
    text = "；".join(f"{y}年{format_yuan(v)}元" for y, v in sorted(totals.items()))
    return RuleResult("quzhou.annual_cap", article, PASS, f"按年折算合计：{text}，均未超过上限")


# --- Checklists per program ----------------------------------------------------------------------------------

OPTIONAL = frozenset(
    {
        "changjiang.tech.national_db",
        "changjiang.tech.high_tech",
        "changjiang.tech.listing",
        "changjiang.tech.talent",
        "changjiang.tech.project",
        "changjiang.tech.award",
    }
)


def changjiang_checklist(facts: Facts, app: ApplicationFacts | None = None) -> list[RuleResult]:
    options = [rule(facts) for rule in CHANGJIANG_OPTIONS]
    results = [
        cj_registered_in_jiangxi(facts),
        cj_provincial_system(facts),
        cj_sme_size(facts),
        cj_tech_condition(options),
        *options,
        blacklist(facts),
    ]
    if app is not None:
        results += [cj_amount(app), cj_one_bank(app)]
    return results


def quzhou_checklist(facts: Facts, app: ApplicationFacts | None = None) -> list[RuleResult]:
    results = [
        qz_registration_place(facts),
        qz_provincial_tech_sme(facts),
        qz_on_bureau_list(facts),
        qz_fraud(facts),
        blacklist(facts, article=""),
    ]
    if app is not None:
        results += [qz_amount(app), qz_term(app), qz_annual_cap(app), qz_bank_on_file(app)]
    return results


def problems(results: Iterable[RuleResult]) -> list[RuleResult]:
    """The lines that stop a submission: every non-optional line that did not pass."""
    return [r for r in results if r.code not in OPTIONAL and r.status != PASS]


def presented(results: Iterable[RuleResult]) -> list[RuleResult]:
    """Changjiang 第六条(一): 具备以下条件之一 — once one alternative passes, the others are not needed.

    For pages only: the alternatives that did not pass are shown as `COVERED` (已满足其一) instead of failed
    while another alternative passes; when none passes they stay failed (or unknown), as judged. The
    judgement itself (`problems`, the snapshot kept at submission) never sees `COVERED`.
    """
    results = list(results)
    if not any(r.code in OPTIONAL and r.status == PASS for r in results):
        return results
    return [
        replace(r, status=COVERED) if r.code in OPTIONAL and r.status != PASS else r
        for r in results
    ]


def passes(results: Iterable[RuleResult]) -> bool:
    return not problems(results)


def to_json(results: Iterable[RuleResult]) -> list[dict[str, str]]:
    return [
        {"code": r.code, "article": r.article, "status": r.status, "reason": r.reason}
        for r in results
    ]


def from_json(rows: Iterable[dict[str, str]]) -> list[RuleResult]:
    return [RuleResult(r["code"], r["article"], r["status"], r["reason"]) for r in rows]
