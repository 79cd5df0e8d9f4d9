"""Quzhou 四(一)'s order, through the services: each stage by its one role, in order, on the bureau's dates.

computed (bureau staff, a closed year) → audited (the accounting firm, with the PBoC branch's confirmation)
→ reviewed (规范性审查, bureau staff) → approved (局党组会审定, the bureau head) → publicized (today or later,
the version's working days; anyone may object) → issued (下达贴息资金文件, once the publicity is over with no
objection pending or upheld) → paid (per bank). Every step out of order is refused, naming 四(一).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from applications.models import ProgramVersion
from kedaitong.models import AuditEntry, Notification
from subsidy import services
from subsidy.guards import FROZEN
from subsidy.models import FROZEN_STATES, BankPayment, RunObjection, RunState, SubsidyRun
from tests.clock import bureau
from tests.subsidy.conftest import (
    DAYS,
    PUBLICITY_END,
    PUBLICITY_START,
    advance,
    pdf,
    shanghai,
    take,
)


@pytest.fixture
def run(qz):
    qz.interest(qz.loan(contract="A-1"), "100.00")  # 30% of 100.00 = 30.00
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "200.00")  # 60.00
    return services.run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")


def trail(run):  # type: ignore[no-untyped-def]
    return list(
        AuditEntry.objects.filter(content_type__model="subsidyrun", object_id=str(run.pk))
        .order_by("pk")
        .values_list("action", "actor_name", "from_state", "to_state")
    )


def inbox(user) -> list[str]:  # type: ignore[no-untyped-def]
    return list(Notification.objects.filter(user=user).values_list("message", flat=True))


def test_the_whole_order_each_stage_by_its_role(qz, clock, run, django_capture_on_commit_callbacks):
    assert run.state == RunState.COMPUTED and run.created_by == qz.staff
    assert any("请会同人行审核" in m for m in inbox(qz.accountant))  # the next actor is told

    with django_capture_on_commit_callbacks(execute=True):
        run = take(qz, clock, run, "audit")
    assert run.state == RunState.AUDITED and run.audited_by == qz.accountant
    assert (run.pboc_confirmer, run.pboc_confirmed_on) == (
        "货币信贷管理科 王某",
        dt.date(2026, 3, 13),
    )
    assert run.audit_opinion_name == "审计报告.pdf" and run.pboc_file_name == "人行确认函.pdf"
    assert any("规范性审查" in m for m in inbox(qz.staff))
    assert [m.to for m in mail.outbox][-1] == [qz.staff.email]

    run = take(qz, clock, run, "review")
    assert run.state == RunState.REVIEWED and run.review_opinion == "材料齐全，计算规范"
    assert any("党组会审定" in m for m in inbox(qz.head))

    run = take(qz, clock, run, "approve")
    assert run.state == RunState.APPROVED and run.meeting_date == dt.date(2026, 3, 24)
    assert run.approved_by == qz.head and run.meeting_minutes_name == "党组会纪要.pdf"

    run = take(qz, clock, run, "publicize")
    # Five working days from Wednesday 04-01: 01, 02, 03, (weekend, 04-06 清明节), 07, 08.
    assert (run.publicity_start, run.publicity_end) == (PUBLICITY_START, PUBLICITY_END)
    assert run.state == RunState.PUBLICIZED
    assert any("公示期2026-04-01至2026-04-08" in m for m in inbox(qz.bank_user))

    run = take(qz, clock, run, "issue")
    assert run.state == RunState.ISSUED
    assert (run.document_no, run.document_date) == ("衢市科〔2026〕12号", dt.date(2026, 4, 9))

    clock.move_to(shanghai(DAYS["pay"]), tick=False)
    services.run_record_payment(
        actor=qz.staff, run=run, bank=qz.bank_a, paid_on=DAYS["pay"], voucher_no="PZ-1"
    )
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.ISSUED  # bank B not yet paid
    assert any("30.00" in m and "PZ-1" in m for m in inbox(qz.bank_user))
    services.run_record_payment(
        actor=qz.staff, run=run, bank=qz.bank_b, paid_on=DAYS["pay"], voucher_no="PZ-2"
    )
    run = SubsidyRun.objects.get(pk=run.pk)
    assert run.state == RunState.PAID
    assert dict(BankPayment.objects.values_list("bank__code", "amount")) == {
        "qz-a": Decimal("30.00"),
        "qz-b": Decimal("60.00"),
    }
    names = {qz.staff.pk: str(qz.staff), qz.accountant.pk: str(qz.accountant)}
    assert trail(run) == [
        ("subsidy.run.computed", names[qz.staff.pk], "", "computed"),
        ("subsidy.run.audited", names[qz.accountant.pk], "computed", "audited"),
        ("subsidy.run.reviewed", str(qz.staff), "audited", "reviewed"),
        ("subsidy.run.approved", str(qz.head), "reviewed", "approved"),
        ("subsidy.run.publicized", str(qz.staff), "approved", "publicized"),
        ("subsidy.run.issued", str(qz.staff), "publicized", "issued"),
        ("subsidy.payment.recorded", str(qz.staff), "", ""),
        ("subsidy.payment.recorded", str(qz.staff), "", ""),
        ("subsidy.run.paid", str(qz.staff), "issued", "paid"),
    ]


STEPS = ["audit", "review", "approve", "publicize", "issue"]


@pytest.mark.parametrize("at", ["computed", "audited", "reviewed", "approved"])
def test_every_step_but_the_next_is_refused_citing_the_article(qz, clock, run, at):
    through = {"audited": "audit", "reviewed": "review", "approved": "approve"}
    if at != "computed":
        run = advance(qz, clock, run, through[at])
    nxt = STEPS[[*through].index(at) + 1 if at != "computed" else 0]
    for step in STEPS:
        if step == nxt:
            continue
        with pytest.raises(services.StageRefused, match="四\\(一\\)") as refused:
            take(qz, clock, run, step)
        assert not isinstance(refused.value, services.NotAllowed)
        assert SubsidyRun.objects.get(pk=run.pk).state == at
    with pytest.raises(services.StageRefused, match="四\\(一\\)"):
        services.run_record_payment(
            actor=qz.staff, run=run, bank=qz.bank_a, paid_on=dt.date(2026, 3, 2), voucher_no="X"
        )
    assert not BankPayment.objects.exists()


@pytest.mark.parametrize(
    ("step", "allowed"),
    [
        ("audit", "accountant"),
        ("review", "staff"),
        ("approve", "head"),
        ("publicize", "staff"),
        ("issue", "staff"),
        ("cancel", "head"),
        ("commit", "staff"),
        ("pay", "staff"),
    ],
)
def test_each_step_belongs_to_one_role_of_the_program(qz, step, allowed):
    from tests.factories import UserFactory

    admin = UserFactory(username="qz_admin", role="admin", is_superuser=True)
    people = {
        "staff": qz.staff,
        "head": qz.head,
        "accountant": qz.accountant,
        "auditor": qz.auditor,
        "admin": admin,
        "outsider": qz.other_staff,
        "bank": qz.bank_user,
    }
    for name, user in people.items():
        if name == allowed:
            services.check_actor(user, qz.program, step)
            continue
        with pytest.raises(services.NotAllowed, match="四\\(一\\)"):
            services.check_actor(user, qz.program, step)


def test_a_run_of_the_current_year_is_refused(qz, clock):
    """On 2026-12-04 the year 2026 is not over: no run, not even a preview; 2025 is closed."""
    qz.interest(
        qz.loan(contract="A-1", disbursed=dt.date(2026, 3, 1)), "100.00", dt.date(2026, 6, 21)
    )
    clock.move_to(shanghai(dt.date(2026, 12, 4)), tick=False)
    for call in (services.compute_run, services.run_commit):
        kwargs = {"actor": qz.staff} if call is services.run_commit else {}
        with pytest.raises(services.SubsidyInputError, match="2026年尚未结束"):
            call(program=qz.program, year=2026, budget="1000", **kwargs)
    assert not SubsidyRun.objects.exists()
    # 31 December 2026, 23:59 in Shanghai (15:59 UTC): still open; one minute later it is closed.
    clock.move_to(bureau(2026, 12, 31, 23, 59), tick=False)
    with pytest.raises(services.SubsidyInputError, match="尚未结束"):
        services.compute_run(program=qz.program, year=2026, budget="1000")
    clock.move_to(bureau(2027, 1, 1, 0, 0), tick=False)
    assert services.compute_run(program=qz.program, year=2026, budget="1000").total == Decimal(
        "30.00"
    )


def test_the_cutoff_cannot_be_later_than_today(qz, run):
    with pytest.raises(services.SubsidyInputError, match="晚于今天"):
        services.compute_run(program=qz.program, year=2025, budget="1000", cutoff="2026-03-03")


def test_the_audit_needs_the_pboc_branch_and_a_date_that_happened(qz, clock, run):
    clock.move_to(shanghai(DAYS["audit"]), tick=False)
    base = {
        "actor": qz.accountant,
        "run": run,
        "opinion_file": pdf(),
        "pboc_confirmer": "货币信贷管理科 王某",
        "pboc_confirmed_on": dt.date(2026, 3, 13),
        "pboc_file": pdf(),
    }
    for change, message in [
        ({"pboc_confirmer": " "}, "人行"),
        ({"pboc_confirmed_on": dt.date(2026, 3, 17)}, "晚于今天"),
        ({"pboc_confirmed_on": dt.date(2026, 3, 1)}, "早于批次计算日"),
    ]:
        with pytest.raises(services.SubsidyInputError, match=message):
            services.run_audit(**(base | change))
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.COMPUTED


def test_the_meeting_comes_after_the_review_and_has_happened(qz, clock, run):
    run = advance(qz, clock, run, "review")  # reviewed on 03-18
    clock.move_to(shanghai(DAYS["approve"]), tick=False)
    for day, message in [
        (dt.date(2026, 3, 17), "早于规范性审查"),
        (dt.date(2026, 3, 26), "晚于今天"),
    ]:
        with pytest.raises(services.SubsidyInputError, match=message):
            services.run_approve(actor=qz.head, run=run, meeting_date=day, minutes=pdf())
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.REVIEWED


def test_the_publicity_is_never_backdated_and_lasts_the_versions_working_days(qz, clock, run):
    run = advance(qz, clock, run, "approve")
    clock.move_to(shanghai(DAYS["publicize"]), tick=False)  # 2026-03-26
    with pytest.raises(services.SubsidyInputError, match="不能早于今天"):
        services.run_publicize(actor=qz.staff, run=run, start=dt.date(2026, 3, 25))
    # The version's figure, not a fixed five: seven working days from Thursday 03-26 end 04-03.
    ProgramVersion.objects.filter(program=qz.program, code="2023").update(publicity_workdays=7)
    run = services.run_publicize(actor=qz.staff, run=run, start=dt.date(2026, 3, 26))
    assert (run.publicity_start, run.publicity_end) == (dt.date(2026, 3, 26), dt.date(2026, 4, 3))


def test_without_a_publicity_period_in_the_version_the_publicity_waits(qz, clock, run):
    run = advance(qz, clock, run, "approve")
    ProgramVersion.objects.filter(program=qz.program).update(publicity_workdays=None)
    with pytest.raises(services.SubsidyInputError, match="公示期"):
        take(qz, clock, run, "publicize")
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.APPROVED


def test_the_funds_document_waits_for_the_end_of_the_publicity_and_every_ruling(qz, clock, run):
    run = advance(qz, clock, run, "publicize")
    clock.move_to(shanghai(dt.date(2026, 4, 2)), tick=False)
    objection = services.objection_submit(
        run=run, name="某企业", contact="13800000000", reason="我司2025年贷款未列入"
    )
    assert any("某企业" in m for m in inbox(qz.staff))
    document = {
        "actor": qz.staff,
        "run": run,
        "document_no": "衢市科〔2026〕12号",
        "document_date": dt.date(2026, 4, 8),
        "document_file": pdf(),
    }
    clock.move_to(shanghai(PUBLICITY_END, hour=23), tick=False)  # the last day of the publicity
    with pytest.raises(services.StageRefused, match="公示期至2026-04-08"):
        services.run_issue(**document)
    clock.move_to(shanghai(dt.date(2026, 4, 9)), tick=False)
    with pytest.raises(services.StageRefused, match="1件异议尚未处理"):
        services.run_issue(**(document | {"document_date": dt.date(2026, 4, 9)}))
    services.objection_rule(
        actor=qz.staff, objection=objection, upheld=False, note="该贷款2026年发放，不属本年度"
    )
    with pytest.raises(services.SubsidyInputError, match="公示期内"):
        services.run_issue(**document)  # dated within the publicity
    assert RunObjection.objects.get().ruling == RunObjection.Ruling.DISMISSED
    run = services.run_issue(**(document | {"document_date": dt.date(2026, 4, 9)}))
    assert run.state == RunState.ISSUED


def test_objections_only_while_the_publicity_runs(qz, clock, run):
    run = advance(qz, clock, run, "publicize")  # publicized on 03-26, from 04-01 to 04-08
    objection = {"run": run, "name": "张三", "contact": "138", "reason": "有误"}
    with pytest.raises(services.StageRefused, match="不在公示期"):
        services.objection_submit(**objection)  # 03-26: not started
    clock.move_to(shanghai(dt.date(2026, 4, 9)), tick=False)
    with pytest.raises(services.StageRefused, match="不在公示期"):
        services.objection_submit(**objection)
    assert not RunObjection.objects.exists()


def test_an_upheld_objection_cancels_the_run_and_frees_the_year(qz, clock, run):
    run = advance(qz, clock, run, "publicize")
    clock.move_to(shanghai(dt.date(2026, 4, 7)), tick=False)
    objection = services.objection_submit(
        run=run, name="某银行", contact="0570-1234567", reason="B-1的利息含逾期期间利息"
    )
    with pytest.raises(services.SubsidyInputError, match="理由"):
        services.objection_rule(actor=qz.staff, objection=objection, upheld=True, note="")
    with pytest.raises(services.NotAllowed):
        services.objection_rule(actor=qz.head, objection=objection, upheld=True, note="x")
    services.objection_rule(
        actor=qz.staff, objection=objection, upheld=True, note="经核实，B-1利息含逾期利息"
    )
    run = SubsidyRun.objects.get(pk=run.pk)
    assert run.state == RunState.CANCELLED and run.cancelled_by == qz.staff
    assert "经核实，B-1利息含逾期利息" in run.cancel_reason
    assert trail(run)[-2:] == [
        ("subsidy.objection.upheld", str(qz.staff), "", ""),
        ("subsidy.run.cancelled", str(qz.staff), "publicized", "cancelled"),
    ]
    with pytest.raises(services.StageRefused, match="已经处理"):
        services.objection_rule(actor=qz.staff, objection=objection, upheld=False, note="x")
    # The inputs unfreeze; the corrected year is computed again and starts from the first stage.
    second = services.run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")
    assert second.state == RunState.COMPUTED and second.pk != run.pk


def test_payments_follow_the_document_and_cancelling_stops_before_the_first(qz, clock, run):
    run = advance(qz, clock, run, "issue")  # document dated 04-09
    clock.move_to(shanghai(DAYS["pay"]), tick=False)
    payment = {"actor": qz.staff, "run": run, "bank": qz.bank_a, "voucher_no": "PZ-1"}
    with pytest.raises(services.SubsidyInputError, match="早于贴息资金文件"):
        services.run_record_payment(**payment, paid_on=dt.date(2026, 4, 8))
    with pytest.raises(services.SubsidyInputError, match="晚于今天"):
        services.run_record_payment(**payment, paid_on=dt.date(2026, 4, 16))
    services.run_record_payment(**payment, paid_on=dt.date(2026, 4, 10))
    with pytest.raises(services.StageRefused, match="已登记拨付"):
        services.run_record_payment(**payment, paid_on=dt.date(2026, 4, 10))
    with pytest.raises(services.StageRefused, match="不能撤销"):
        services.run_cancel(actor=qz.head, run=run, reason="重新计算")
    assert BankPayment.objects.count() == 1


def test_cancelling_needs_the_head_and_a_reason(qz, run):
    with pytest.raises(services.SubsidyInputError, match="撤销"):
        services.run_cancel(actor=qz.head, run=run, reason=" ")
    with pytest.raises(services.NotAllowed):
        services.run_cancel(actor=qz.staff, run=run, reason="重新计算")
    run = services.run_cancel(actor=qz.head, run=run, reason="预算调整，重新计算")
    assert run.state == RunState.CANCELLED and run.cancel_reason == "预算调整，重新计算"
    with pytest.raises(services.StageRefused, match="已撤销"):
        services.run_cancel(actor=qz.head, run=run, reason="again")


def test_frozen_from_the_audit_on_in_every_later_stage():
    assert FROZEN == tuple(str(s) for s in FROZEN_STATES)
    assert RunState.COMPUTED not in FROZEN and RunState.CANCELLED not in FROZEN


def test_runs_of_the_earlier_flow_are_mapped_onto_the_order(qz, run):
    """The data migration: unpaid runs past "computed" start again from it; a run with a payment stays payable."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("subsidy.migrations.0007_run_stages_in_order")
    runs = {}
    for year, old in [
        (2021, "audited"),
        (2022, "publicized"),
        (2023, "approved"),
        (2024, "approved"),
    ]:
        runs[year] = SubsidyRun.objects.create(
            program=qz.program,
            year=year,
            budget=Decimal("100"),
            cutoff=dt.date(year, 12, 31),
            computed_total=Decimal("60"),
            total=Decimal("60"),
        )
        SubsidyRun.objects.filter(pk=runs[year].pk).update(state=old)
    BankPayment.objects.create(
        run=runs[2024],
        bank=qz.bank_a,
        amount=Decimal("30"),
        paid_on=dt.date(2025, 4, 1),
        voucher_no="OLD-1",
        recorded_by=qz.staff,
    )
    migration.stages_in_order(apps, None)
    states = dict(SubsidyRun.objects.values_list("year", "state"))
    assert states == {
        2021: "computed",
        2022: "computed",
        2023: "computed",
        2024: "issued",
        2025: "computed",
    }
