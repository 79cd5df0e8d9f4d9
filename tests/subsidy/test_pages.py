"""Run pages: preview and commit, each stage of 四(一) through its page by its role (403 for other insiders, 404
for outsiders, 409 out of order, 400 for bad input keeping what was typed), the public notice and its
objection form (no login, throttled), the ruling on an objection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from applications.scope import SESSION_KEY
from kedaitong.models import AuditEntry
from subsidy.models import BankPayment, RunObjection, RunState, SubsidyRun
from subsidy.services import run_commit
from tests.confirming import post_confirmed
from tests.factories import UserFactory
from tests.subsidy.conftest import (
    DAYS,
    MEETING,
    PBOC_CONFIRMED,
    PUBLICITY_START,
    advance,
    pdf,
    shanghai,
)


@pytest.fixture
def run(qz):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "200.00")
    return run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")


def state(run) -> str:  # type: ignore[no-untyped-def]
    return SubsidyRun.objects.get(pk=run.pk).state


def url(name: str, run) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"subsidy:{name}", args=[run.pk])


def test_preview_saves_nothing_and_commit_saves(client, qz, django_capture_on_commit_callbacks):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    client.force_login(qz.staff)
    page = client.get(reverse("subsidy:run-list"), {"year": "2025", "budget": "1000"})
    assert page.status_code == 200 and "30.00" in page.content.decode()
    assert not SubsidyRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the commit runs as a background job
        response = client.post(
            reverse("subsidy:run-create"), {"year": "2025", "budget": "1000", "cutoff": ""}
        )
    run = SubsidyRun.objects.get()
    job_page = client.get(response.url)
    assert response.status_code == 302 and job_page.context["job"].link == reverse(
        "subsidy:run-detail", args=[run.pk]
    )


def test_the_current_year_is_refused_on_the_page(client, qz, clock):
    clock.move_to(shanghai(dt.date(2026, 12, 4)), tick=False)
    client.force_login(qz.staff)
    page = client.get(reverse("subsidy:run-list"), {"year": "2026", "budget": "1000"})
    assert "2026年尚未结束" in page.content.decode()
    response = client.post(reverse("subsidy:run-create"), {"year": "2026", "budget": "1000"})
    assert response.status_code == 400 and "2026年尚未结束" in response.content.decode()
    assert not SubsidyRun.objects.exists()


def test_bad_budget_is_shown_and_kept(client, qz):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    client.force_login(qz.staff)
    page = client.get(reverse("subsidy:run-list"), {"year": "2025", "budget": "0"})
    assert "必须大于零" in page.content.decode()
    response = client.post(reverse("subsidy:run-create"), {"year": "2025", "budget": "-3"})
    assert response.status_code == 400 and not SubsidyRun.objects.exists()


def test_create_roles(client, qz):
    for reader in (qz.auditor, qz.accountant, qz.head):
        client.force_login(reader)
        response = client.post(reverse("subsidy:run-create"), {"year": "2025", "budget": "1"})
        assert response.status_code == 403, reader
    client.force_login(qz.other_staff)
    assert (
        client.post(reverse("subsidy:run-create"), {"year": "2025", "budget": "1"}).status_code
        == 404
    )
    client.force_login(qz.bank_user)
    assert client.get(reverse("subsidy:run-list")).status_code == 404
    client.force_login(qz.staff)
    assert client.get(reverse("subsidy:run-create")).status_code == 405


def test_every_stage_through_its_page_in_order(client, qz, clock, run):
    detail = url("run-detail", run)

    # 1. The accounting firm: its report, and the PBoC branch's confirmation.
    clock.move_to(shanghai(DAYS["audit"]), tick=False)
    client.force_login(qz.accountant)
    page = client.get(detail).content.decode()
    assert "stage-form" in page and 'action="' + url("run-audit", run) in page
    response = client.post(
        url("run-audit", run),
        {
            "opinion_file": pdf("审计报告.pdf"),
            "opinion": "经审核无误",
            "pboc_confirmer": "货币信贷管理科 王某",
            "pboc_confirmed_on": PBOC_CONFIRMED.isoformat(),
            "pboc_file": pdf("人行确认函.pdf"),
        },
    )
    assert response.status_code == 302 and state(run) == RunState.AUDITED
    assert client.get(reverse("subsidy:run-file", args=[run.pk, "opinion"])).status_code == 200
    assert client.get(reverse("subsidy:run-file", args=[run.pk, "pboc"])).status_code == 200
    assert client.get(reverse("subsidy:run-file", args=[run.pk, "minutes"])).status_code == 404
    assert client.get(reverse("subsidy:run-file", args=[run.pk, "other"])).status_code == 404

    # 2. Bureau staff: the compliance review.
    clock.move_to(shanghai(DAYS["review"]), tick=False)
    client.force_login(qz.staff)
    assert client.post(url("run-review", run), {"opinion": ""}).status_code == 400
    assert client.post(url("run-review", run), {"opinion": "符合方案"}).status_code == 302
    assert state(run) == RunState.REVIEWED

    # 3. The bureau head: the party-group meeting.
    clock.move_to(shanghai(DAYS["approve"]), tick=False)
    client.force_login(qz.head)
    response = post_confirmed(
        client,
        url("run-approve", run),
        {"meeting_date": MEETING.isoformat(), "minutes": pdf("纪要.pdf"), "note": "审定通过"},
    )
    assert response.status_code == 302 and state(run) == RunState.APPROVED

    # 4. Bureau staff: the publicity; the form offers today.
    clock.move_to(shanghai(DAYS["publicize"]), tick=False)
    client.force_login(qz.staff)
    assert 'value="2026-03-26"' in client.get(url("run-publicize", run)).content.decode()
    response = post_confirmed(client, url("run-publicize", run), {"start": "2026-03-25"})
    assert response.status_code == 400 and "不能早于今天" in response.content.decode()
    assert 'value="2026-03-25"' in response.content.decode()  # what was typed is kept
    response = post_confirmed(
        client, url("run-publicize", run), {"start": PUBLICITY_START.isoformat()}
    )
    assert response.status_code == 302 and state(run) == RunState.PUBLICIZED

    # 5. After the publicity, the funds document (a new day, a new session).
    clock.move_to(shanghai(DAYS["issue"]), tick=False)
    client.force_login(qz.staff)
    response = client.post(
        url("run-issue", run),
        {
            "document_no": "衢市科〔2026〕12号",
            "document_date": "2026-04-09",
            "document_file": pdf("文件.pdf"),
        },
    )
    assert response.status_code == 302 and state(run) == RunState.ISSUED

    # 6. A payment per bank from the run's page.
    clock.move_to(shanghai(DAYS["pay"]), tick=False)
    client.force_login(qz.staff)
    page = client.get(detail).content.decode()
    assert page.count('class="pay-form"') == 2
    for bank, voucher in ((qz.bank_a, "PZ-1"), (qz.bank_b, "PZ-2")):
        post_confirmed(
            client,
            url("run-pay", run),
            {"bank": bank.code, "paid_on": "2026-04-10", "voucher_no": voucher},
        )
    assert state(run) == RunState.PAID
    assert {p.bank.code: p.amount for p in BankPayment.objects.all()} == {
        "qz-a": Decimal("30.00"),
        "qz-b": Decimal("60.00"),
    }
    page = client.get(detail).content.decode()
    for text in ("货币信贷管理科 王某", "符合方案", "2026-03-24", "衢市科〔2026〕12号", "PZ-2"):
        assert text in page, text
    assert page.count("stage-done") == 7


@pytest.mark.parametrize(
    ("name", "who", "data"),
    [
        ("run-review", "staff", {"opinion": "符合方案"}),
        ("run-approve", "head", {"meeting_date": "2026-03-02", "note": "x"}),
        ("run-publicize", "staff", {"start": "2026-03-02"}),
        ("run-issue", "staff", {"document_no": "X", "document_date": "2026-03-02"}),
    ],
)
def test_a_stage_out_of_order_is_409_with_the_article(client, qz, run, name, who, data):
    client.force_login(getattr(qz, who))
    files = {"minutes": pdf(), "document_file": pdf()}
    response = post_confirmed(client, url(name, run), data | files)
    assert response.status_code == 409
    assert "四(一)" in response.content.decode() and "已计算" in response.content.decode()
    assert state(run) == RunState.COMPUTED
    client.force_login(qz.staff)
    response = post_confirmed(
        client,
        url("run-pay", run),
        {"bank": "qz-a", "paid_on": "2026-03-02", "voucher_no": "X"},
        follow=True,
    )
    assert "四(一)" in response.content.decode() and not BankPayment.objects.exists()


@pytest.mark.parametrize(
    ("name", "allowed", "readers"),
    [
        ("run-audit", "accountant", ("staff", "head", "auditor")),
        ("run-review", "staff", ("accountant", "head", "auditor")),
        ("run-approve", "head", ("staff", "accountant", "auditor")),
        ("run-publicize", "staff", ("head", "accountant", "auditor")),
        ("run-issue", "staff", ("head", "accountant", "auditor")),
        ("run-pay", "staff", ("head", "accountant", "auditor")),
        ("run-cancel", "head", ("staff", "accountant", "auditor")),
    ],
)
def test_each_stage_page_is_its_roles_alone(client, qz, run, name, allowed, readers):
    target = url(name, run)
    admin = UserFactory(username="qz_admin", role="admin", is_staff=True, is_superuser=True)
    for reader in (*(getattr(qz, r) for r in readers), admin):
        client.force_login(reader)
        if (
            reader is admin
        ):  # the administrator works in one program at a time: the run's, by the switch
            session = client.session
            session[SESSION_KEY] = run.program.code
            session.save()
        assert client.post(target, {}).status_code == 403, reader
    for outsider in (qz.other_staff, qz.bank_user):
        client.force_login(outsider)
        assert client.post(target, {}).status_code == 404
    client.force_login(getattr(qz, allowed))
    assert client.get(target).status_code == (405 if name == "run-pay" else 200)
    assert state(run) == RunState.COMPUTED


def test_cancelling_asks_for_the_reason(client, qz, run):
    client.force_login(qz.head)
    response = post_confirmed(client, url("run-cancel", run), {"reason": ""})
    assert response.status_code == 400 and state(run) == RunState.COMPUTED
    response = post_confirmed(client, url("run-cancel", run), {"reason": "预算调整，重新计算"})
    assert response.status_code == 302 and state(run) == RunState.CANCELLED
    assert "预算调整，重新计算" in client.get(url("run-detail", run)).content.decode()


def test_export_of_a_stored_run(client, qz, run):
    client.force_login(qz.head)
    response = client.get(url("run-export", run))
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_figures_are_frozen_after_commit(qz, run):
    from subsidy.models import SubsidyLine

    qz.interest(qz.bank_a.loans.get(contract_no="A-1"), "900.00", settled=dt.date(2025, 11, 21))
    assert SubsidyLine.objects.get(run=run, contract_no="A-1").amount == Decimal("30.00")


# --- the public notice and its objection form ------------------------------------------------------

PUBLIC = "/subsidy/public/quzhou/2025/"
OBJECT = "/subsidy/public/quzhou/2025/object/"


def test_the_notice_is_public_from_the_first_day_with_bank_names_and_amounts(
    client, qz, clock, run
):
    run = advance(qz, clock, run, "publicize")  # on 03-26, from 04-01
    assert client.get(PUBLIC).status_code == 404  # before it begins, nothing is public
    clock.move_to(shanghai(dt.date(2026, 4, 1)), tick=False)
    page = client.get(PUBLIC)
    text = page.content.decode()
    assert page.status_code == 200
    for shown in (
        "衢州甲银行",
        "衢州乙银行",
        "30.00",
        "60.00",
        "90.00",
        "2026-04-01",
        "2026-04-08",
        "30%",
    ):
        assert shown in text, shown
    assert (
        "qz-a" not in text and "A-1" not in text
    )  # internal codes and contract numbers stay inside
    assert OBJECT in text
    clock.move_to(shanghai(dt.date(2026, 4, 9)), tick=False)
    text = client.get(PUBLIC).content.decode()
    assert "公示已结束" in text and OBJECT not in text
    assert client.get(OBJECT).status_code == 404


def test_anyone_objects_without_logging_in_and_staff_rule_on_it(client, qz, clock, run):
    run = advance(qz, clock, run, "publicize")
    clock.move_to(shanghai(dt.date(2026, 4, 2)), tick=False)
    assert client.get(OBJECT).status_code == 200
    response = client.post(OBJECT, {"name": "张三", "contact": "", "reason": "我司贷款未列入"})
    assert response.status_code == 400 and "我司贷款未列入" in response.content.decode()
    response = client.post(
        OBJECT,
        {
            "name": "张三",
            "contact": "13800000000",
            "reason": "我司贷款未列入",
            "attachment": pdf("证明.pdf"),
        },
        REMOTE_ADDR="198.51.100.9",
    )
    assert response.status_code == 200 and "感谢" in response.content.decode()
    objection = RunObjection.objects.get()
    assert (objection.run_id, objection.ip_address, objection.ruling) == (
        run.pk,
        "198.51.100.9",
        RunObjection.Ruling.PENDING,
    )
    assert AuditEntry.objects.filter(action="subsidy.objection.submitted").exists()

    rule = reverse("subsidy:objection-rule", args=[objection.public_id])
    for reader in (qz.head, qz.accountant, qz.auditor):
        client.force_login(reader)
        assert client.post(rule, {"ruling": "dismissed", "note": "x"}).status_code == 403
        assert (
            client.get(reverse("subsidy:objection-file", args=[objection.public_id])).status_code
            == 200
        )
    client.force_login(qz.other_staff)
    assert client.post(rule, {"ruling": "dismissed", "note": "x"}).status_code == 404
    client.force_login(qz.staff)
    page = client.get(url("run-detail", run)).content.decode()
    assert "我司贷款未列入" in page and "ruling-form" in page
    response = client.post(rule, {"ruling": "dismissed", "note": ""})
    assert response.status_code == 400
    response = client.post(rule, {"ruling": "dismissed", "note": "该企业贷款于2026年发放"})
    assert response.status_code == 302
    objection = RunObjection.objects.get()
    assert objection.ruling == RunObjection.Ruling.DISMISSED and objection.ruled_by == qz.staff
    assert client.post(rule, {"ruling": "upheld", "note": "x"}).status_code == 409


def test_an_upheld_objection_on_the_page_cancels_the_run(client, qz, clock, run):
    run = advance(qz, clock, run, "publicize")
    clock.move_to(shanghai(dt.date(2026, 4, 3)), tick=False)
    client.post(OBJECT, {"name": "李四", "contact": "139", "reason": "B-1含逾期利息"})
    client.force_login(qz.staff)
    objection = RunObjection.objects.get()
    client.post(
        reverse("subsidy:objection-rule", args=[objection.public_id]),
        {"ruling": "upheld", "note": "核实成立"},
    )
    assert state(run) == RunState.CANCELLED
    assert Client().get(PUBLIC).status_code == 404


def test_the_objection_form_is_throttled_per_address(qz, clock, run):
    advance(qz, clock, run, "publicize")
    clock.move_to(shanghai(dt.date(2026, 4, 2)), tick=False)
    cache.clear()
    statuses = [
        Client(REMOTE_ADDR="203.0.113.7")
        .post(OBJECT, {"name": "张三", "contact": "138", "reason": f"理由{i}"})
        .status_code
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    assert RunObjection.objects.count() == 5
    assert (
        Client(REMOTE_ADDR="203.0.113.8")
        .post(OBJECT, {"name": "王五", "contact": "137", "reason": "另一地址"})
        .status_code
        == 200
    )
    cache.clear()
