"""The demo loader fills every role's pages and changes nothing when run again."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from kedaitong.models import User
from kedaitong.roles import Role
from kedaitong.views import home_template

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[tuple]]:
    models = [
        "applications.Enterprise",
        "applications.Application",
        "loans.Bank",
        "loans.BankAgreement",
        "loans.Loan",
        "kedaitong.User",
        "program_changjiang.CreditPlan",
        "program_changjiang.ProvincialReport",
    ]
    return {
        name: list(apps.get_model(name).objects.order_by("pk").values_list()) for name in models
    }


def test_running_the_demo_loader_twice_changes_nothing():
    out = StringIO()
    call_command("load_demo", stdout=out)
    first = snapshot()
    assert len(first["applications.Application"]) == 10
    out2 = StringIO()
    call_command("load_demo", stdout=out2)
    assert snapshot() == first
    assert "already loaded" in out2.getvalue() or "已" in out2.getvalue()


def test_the_demo_fills_changjiangs_own_pages(time_machine):
    """第五条 and 第十条 have demo records: this year's plan per cooperating bank, the last closed quarter's report."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from programs.changjiang.models import CreditPlan, ProvincialReport

    time_machine.move_to(dt.datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    call_command("load_demo", stdout=StringIO())
    plans = CreditPlan.objects.filter(program__code="changjiang", year=2026)
    banks = {b for b in plans.values_list("bank__code", flat=True)}
    assert banks and len(banks) == plans.count()
    assert {(p.amount, p.count) for p in plans} == {(Decimal("50000000.00"), 20)}
    assert all(p.changes.count() == 1 for p in plans)
    report = ProvincialReport.objects.get(program__code="changjiang")
    assert (report.year, report.quarter) == (2026, 3)
    office = Client()
    office.force_login(User.objects.get(username="zhuanban"))
    page = office.get("/changjiang/credit-plan/")
    assert page.status_code == 200 and "50,000,000.00" in page.content.decode()


def test_it_prints_a_login_for_every_role_and_each_reaches_its_home_page():
    out = StringIO()
    call_command("load_demo", stdout=out)
    printed = out.getvalue()
    users = User.objects.all()
    assert {u.role for u in users} == set(Role.values)
    for user in users:
        assert user.username in printed
        assert user.check_password("Kedaitong-demo-2026")
        client = Client()
        response = client.post(
            "/accounts/login/", {"username": user.username, "password": "Kedaitong-demo-2026"}
        )
        assert response.status_code == 302, user.username
        home = client.get("/")
        assert home.status_code == 200, user.username
        assert home_template(user.role) in [t.name for t in home.templates]


def test_demo_pages_show_records_for_each_side():
    call_command("load_demo", stdout=StringIO())
    client = Client()
    client.force_login(User.objects.get(username="qiye"))
    assert "景德镇青瓷智造科技有限公司" in client.get("/").content.decode()
    client.force_login(User.objects.get(username="bank-icbc"))
    page = client.get("/").content.decode()
    assert "ICBC-KDT-2026-001" in page
    client.force_login(User.objects.get(username="jingban"))
    page = client.get("/").content.decode()
    assert "CJ-2026-0003" in page and "QZ-2026" not in page


def test_the_public_publicity_page_shows_the_demo_batch_running_and_it_is_loaded_once():
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    from review.models import PublicityBatch

    assert PublicityBatch.objects.count() == 1
    page = Client().get("/publicity/").content.decode()
    assert "景德镇青瓷智造科技有限公司" in page
    assert "1,000,000.00" in page


def test_the_demo_fills_lpr_publications_up_to_today_labelled_as_assumed():
    from django.utils import timezone

    from subsidy.demo import DEMO_SOURCE
    from subsidy.models import LPRRate, lpr_on

    LPRRate.objects.filter(
        source__startswith="测试数据"
    ).delete()  # only the confirmed table, as migrated
    call_command("load_demo", stdout=StringIO())
    demo = LPRRate.objects.filter(source=DEMO_SOURCE)
    count = demo.count()
    assert count >= 1 and all(r.effective_date <= timezone.localdate() for r in demo)
    assert (
        lpr_on(timezone.localdate(), 12) is not None
    )  # today is covered, so a demo bank can register a loan
    call_command("load_demo", stdout=StringIO())
    assert demo.count() == count
