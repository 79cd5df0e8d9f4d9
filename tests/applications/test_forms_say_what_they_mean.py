"""Issue 18 item 8 (a), (b): the 第六条(一) alternatives not needed say 已满足其一; an amount typed in 万元 is refused in 万元."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client

from applications import eligibility as el
from applications.eligibility import Facts, QualificationFact
from applications.models import Application, Qualification
from applications.selectors import eligibility_at_submission
from tests.review.helpers import submitted

pytestmark = pytest.mark.django_db

TECH_OPTIONS = sorted(el.OPTIONAL)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def statuses(html: str) -> dict[str, str]:
    """data-code → the status word each checklist line shows (the first checklist on the page)."""
    start = html.index('<ul class="checklist">')
    block = html[start : html.index("</ul>", start)]
    return dict(
        re.findall(r'data-code="([\w.]+)">\s*<span class="rule-status">([^<]+)</span>', block)
    )


def classes(html: str) -> dict[str, str]:
    start = html.index('<ul class="checklist">')
    block = html[start : html.index("</ul>", start)]
    return {
        code: cls
        for cls, code in re.findall(r'<li class="rule ([\w -]+)" data-code="([\w.]+)"', block)
    }


def facts(*qualifications: QualificationFact) -> Facts:
    return Facts(
        today=dt.date(2026, 6, 1),
        registered_region="江西省景德镇市昌江区",
        industry="industrial",
        employees=50,
        revenue=Decimal("10000000"),
        kedaitong_entry_no="KDT-360202-0001",
        qualifications=qualifications,
    )


def test_presented_marks_the_alternatives_not_needed_once_one_is_met():
    """第六条(一): 具备以下条件之一 — one met, the others are not failures."""
    judged = el.changjiang_checklist(
        facts(QualificationFact(kind="high_tech", valid_until=dt.date(2099, 1, 1)))
    )
    shown = {r.code: r.status for r in el.presented(judged)}
    assert shown["changjiang.tech"] == "pass"
    assert shown["changjiang.tech.high_tech"] == "pass"
    assert {shown[c] for c in TECH_OPTIONS if c != "changjiang.tech.high_tech"} == {"covered"}
    # The judgement itself is untouched: nothing blocks, and the lines other than the alternatives are as judged.
    assert el.problems(judged) == [] and {r.status for r in judged} <= {"pass", "fail", "unknown"}
    assert shown["changjiang.jiangxi"] == "pass"


def test_presented_keeps_every_alternative_failed_when_none_is_met():
    judged = el.changjiang_checklist(facts())
    shown = {r.code: r.status for r in el.presented(judged)}
    assert shown["changjiang.tech"] == "fail"
    assert {shown[c] for c in TECH_OPTIONS} == {"fail"}
    assert [r.code for r in el.problems(judged)] == ["changjiang.tech"]


def test_presented_leaves_quzhou_alone():
    judged = el.quzhou_checklist(facts())
    assert el.presented(judged) == judged


def test_the_enterprise_home_says_one_of_the_alternatives_is_met(cast):
    Qualification.objects.create(
        enterprise=cast.enterprise_a,
        kind="high_tech",
        number="GR1",
        valid_until=dt.date(2099, 1, 1),
    )
    html = client_for(cast.applicant).get("/").content.decode()
    shown = statuses(html)
    assert shown["changjiang.tech"] == "符合" and shown["changjiang.tech.high_tech"] == "符合"
    assert {shown[c] for c in TECH_OPTIONS if c != "changjiang.tech.high_tech"} == {"已满足其一"}
    css = classes(html)
    assert (
        "rule-covered" in css["changjiang.tech.award"]
        and "rule-fail" not in css["changjiang.tech.award"]
    )


def test_with_no_alternative_met_each_one_is_not_met(cast):
    Qualification.objects.filter(enterprise=cast.enterprise_a).delete()
    html = client_for(cast.applicant).get("/").content.decode()
    shown = statuses(html)
    assert shown["changjiang.tech"] == "不符合"
    assert {shown[c] for c in TECH_OPTIONS} == {"不符合"}
    assert "已满足其一" not in html


def test_the_review_page_shows_the_alternatives_as_met_now_and_at_submission(cast):
    application = submitted(cast)  # a valid high-tech certificate (tests/review/helpers.eligible)
    at_submission = el.changjiang_checklist(
        facts(QualificationFact(kind="national_tech_sme", year=2026))
    )
    Application.objects.filter(pk=application.pk).update(
        eligibility_result=el.to_json(at_submission)
    )
    stored = eligibility_at_submission(Application.objects.get(pk=application.pk))
    # The snapshot keeps the judgement (pass / fail); only the page presents the alternatives not needed.
    assert {r.status for r in stored if r.code in el.OPTIONAL} == {"pass", "fail"}
    html = (
        client_for(cast.bureau_staff)
        .get(f"/review/applications/{application.public_id}/")
        .content.decode()
    )
    table = html[html.index('class="striped eligibility"') :]
    table = table[: table.index("</table>")]
    award = table[table.index("国家、省科学技术奖励") :]
    award = award[: award.index("</tr>")]
    assert (
        award.count('<span class="elig elig-covered">已满足其一</span>') == 2
    )  # now and at submission
    assert "elig-fail" not in award


def test_an_amount_in_wan_has_its_bounds_in_wan(cast):
    client = client_for(cast.applicant)
    before = Application.objects.count()
    for typed, message in [
        ("0", "以万元填写的金额必须大于零。"),
        ("123456789", "以万元填写的金额整数部分最多8位。"),
        ("1.0000001", "以万元填写的金额最多六位小数（精确到分）。"),
        ("500.000001", "最高不超过500万元（昌江细则第一条）。"),
    ]:
        response = client.post(
            "/applications/new/changjiang/", {"amount_wan": typed, "term_months": "12"}
        )
        assert response.status_code == 200
        errors = response.context["form"].errors["amount_wan"]
        assert errors == [message], (typed, errors)
        assert f'value="{typed}"' in response.content.decode()  # what was typed is kept
        assert "5,000,000" not in message and "0.000001" not in message
    assert Application.objects.count() == before
