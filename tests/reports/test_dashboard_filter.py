"""Issue 18 item 10: the dashboards' program and period filter, months of submission, whole-number ticks for
counts, and empty charts that say why. The suite's clock is 2026-12-04 (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

from applications.models import Application
from tests.factories import ApplicationFactory, LoanFactory, version

pytestmark = pytest.mark.django_db


def chart_json(body: str, key: str) -> dict:
    found = re.search(
        rf'<script id="chart-{key}" type="application/json">(.*?)</script>', body, re.S
    )
    assert found, key
    return json.loads(found.group(1))


def submitted(application, when: dt.datetime) -> None:
    Application.objects.filter(pk=application.pk).update(submitted_at=when, created_at=when)


def test_applications_count_in_the_month_they_were_submitted_within_the_period(client, cast):
    # Created (drafted) in April, submitted in May: a May application.
    a = cast.application_a
    Application.objects.filter(pk=a.pk).update(
        created_at=dt.datetime(2026, 4, 20, 2, tzinfo=dt.UTC),
        submitted_at=dt.datetime(2026, 5, 3, 2, tzinfo=dt.UTC),
        amount=Decimal("1234567.89"),
    )
    submitted(cast.application_b, dt.datetime(2026, 7, 1, 2, tzinfo=dt.UTC))  # after the period
    client.force_login(cast.bureau_staff)
    response = client.get(
        "/reports/dashboard/", {"date_from": "2026-04-01", "date_to": "2026-06-30"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    months = chart_json(body, "months")
    assert months["labels"] == ["2026-04", "2026-05", "2026-06"]
    assert months["series"][0]["values"] == ["0", "1", "0"]
    assert [Decimal(v) for v in months["series"][1]["values"]] == [
        Decimal("0"),
        Decimal("1234567.89"),
        Decimal("0"),
    ]
    assert months["series"][0]["integer"] is True and months["series"][1]["integer"] is False
    states = chart_json(body, "states")
    assert states["series"][0]["values"] == ["1"] and states["series"][0]["integer"] is True
    assert 'value="2026-04-01"' in body and 'value="2026-06-30"' in body  # the period as typed
    assert "1,234,567.89" in body


def test_bad_dates_get_a_chinese_message_and_keep_what_was_typed(client, cast):
    client.force_login(cast.bureau_staff)
    response = client.get(
        "/reports/dashboard/", {"date_from": "2026-13-45", "date_to": "2026-06-30"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "请按日期填写开始日期，例如 2026-01-01。" in body
    assert 'value="2026-13-45"' in body and 'value="2026-06-30"' in body
    assert "<canvas" not in body and "请更正筛选条件后查看图表。" in body
    response = client.get(
        "/reports/dashboard/", {"date_from": "2026-06-30", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400 and "结束日期早于开始日期" in response.content.decode()
    response = client.get(
        "/reports/dashboard/", {"date_from": "2000-01-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400 and "期间最长为 10 年" in response.content.decode()


def test_the_program_filter_offers_only_programs_the_user_may_see(client, cast):
    """A government role has one program: no select, and another program's code changes nothing; a bank of
    two programs chooses among its own, and a code outside them is refused in Chinese."""
    client.force_login(cast.bureau_staff)
    body = client.get("/reports/dashboard/", {"program": "quzhou"}).content.decode()
    assert 'name="program"' not in body.split('class="chart-filter"', 1)[1].split("</form>")[0]
    LoanFactory(enterprise=cast.enterprise_b, bank=cast.bank_y, program_version=version("quzhou"))
    client.force_login(cast.bank_y_user)
    body = client.get("/reports/dashboard/").content.decode()
    form = body.split('class="chart-filter"', 1)[1].split("</form>")[0]
    assert re.findall(r'<option value="([^"]*)"', form) == ["changjiang", "quzhou"]
    response = client.get("/reports/dashboard/", {"program": "nowhere"})
    assert response.status_code == 400
    assert "“nowhere”不是您可查看的项目" in response.content.decode()


def test_an_enterprise_filters_its_own_records_by_program(client, cast):

    quzhou_app = ApplicationFactory(
        enterprise=cast.enterprise_a, bank=cast.bank_x, program_version=version("quzhou")
    )
    submitted(quzhou_app, dt.datetime(2026, 5, 3, 2, tzinfo=dt.UTC))
    submitted(cast.application_a, dt.datetime(2026, 5, 4, 2, tzinfo=dt.UTC))
    LoanFactory(
        enterprise=cast.enterprise_a,
        bank=cast.bank_x,
        program_version=version("quzhou"),
        principal=Decimal("500000.00"),
    )
    client.force_login(cast.applicant)
    everything = client.get("/").content.decode()
    assert sum(int(v) for v in chart_json(everything, "states")["series"][0]["values"]) == 2
    assert len(chart_json(everything, "my-loans")["labels"]) == 2
    only_quzhou = client.get("/", {"program": "quzhou"}).content.decode()
    assert chart_json(only_quzhou, "states")["series"][0]["values"] == ["1"]
    loans = chart_json(only_quzhou, "my-loans")
    assert loans["series"][2]["values"] == ["500000.00"]  # principal of the Quzhou loan alone


def test_an_empty_chart_says_why(client, cast):
    client.force_login(cast.bureau_staff)
    body = client.get(
        "/reports/dashboard/", {"date_from": "2020-01-01", "date_to": "2020-03-31"}
    ).content.decode()
    assert "2020-01-01 至 2020-03-31 期间没有数据。" in body
    assert (
        "2020-03-31 没有未结清的贷款。" in body
    )  # outstanding on the period's end: nothing yet in 2020
    assert 'id="chart-months"' not in body  # nothing drawn for an empty chart


def test_a_bank_without_a_program_is_told_so(client, cast):
    """A bank with no agreement, loan or application in any program works in none: each chart says so."""
    from kedaitong.roles import Role
    from tests.factories import BankFactory, UserFactory

    lonely = UserFactory(
        username="lonely-bank",
        role=Role.BANK,
        bank=BankFactory(code="bank-none", name="无项目银行"),
    )
    client.force_login(lonely)
    body = client.get("/").content.decode()
    assert "您尚未在任何项目中工作，暂无图表：请联系管理员。" in body
    assert "<canvas" not in body
