"""Issue 16 item 9: the notices the rules imply.

- 第九条 纳入…黑名单并报领导专班: a blacklist proposal, and the bureau's decision on it, reach the leading group.
- 第十条 将贷后管理情况及时通报领导专班、区科技局: a filed post-loan report reaches the bureau and the group.
- 第十条 做好贷款到期的提示催收: banks are reminded N days before each maturity, by a daily command, once.
- 第十一条 4: `compensation_late_certificates` says when a due day is provisional (a year not in the calendar).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from loans.models import Loan, MaturityReminder, OverdueEvent, PostLoanReport, Repayment
from review.models import BlacklistEntry, Notification
from tests.factories import LoanFactory, UserFactory
from tests.review.helpers import on_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def addresses(cast):
    """Every cast member with an e-mail address, and a Quzhou leading-group member who must hear nothing."""
    for user in cast.users().values():
        user.email = f"{user.username}@example.invalid"
        user.save()
    return UserFactory(
        username="qz-group",
        role=Role.LEADING_GROUP,
        program=cast.quzhou,
        email="qzg@example.invalid",
    )


def sent_to() -> set[str]:
    return {a for m in mail.outbox for a in m.to}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- 第九条: blacklist proposals and decisions are reported to the leading group ----------------------------


def test_a_blacklist_proposal_and_its_confirmation_are_reported_to_the_leading_group(
    cast, addresses, django_capture_on_commit_callbacks
):
    """A loan overdue since 2026-10-20 is more than six months overdue on 2027-04-21 (10-20 + 6 months =
    04-20): `refresh_delinquency` proposes the entry; the leading group hears of it at once, and of the
    bureau's confirmation."""
    OverdueEvent.objects.create(
        loan=cast.loan_a, started_on=dt.date(2026, 10, 20), overdue_principal=Decimal("1000")
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("refresh_delinquency", "--on", "2027-04-21", stdout=io.StringIO())
    entry = BlacklistEntry.objects.get()
    note = Notification.objects.get(user=cast.leading_group)
    assert (
        note.message.startswith("已报领导专班（第九条）") and cast.enterprise_a.name in note.message
    )
    assert "group@example.invalid" in sent_to() and "qzg@example.invalid" not in sent_to()
    assert not Notification.objects.filter(user=addresses).exists()

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.bureau_staff).post(
            f"/review/blacklist/{entry.public_id}/decide/",
            {f"e{entry.pk}-decision": "listed", f"e{entry.pk}-reason": "经核实逾期超过6个月"},
        )
    assert response.status_code == 302
    latest = Notification.objects.filter(user=cast.leading_group).order_by("-pk").first()
    assert "已列入" in latest.message and cast.enterprise_a.name in latest.message
    assert [m.body for m in mail.outbox if "group@example.invalid" in m.to] == [
        latest.message + "\n\n经核实逾期超过6个月"
    ]


# --- 第十条: a filed post-loan report notifies the bureau (and the group) -----------------------------------


def test_a_filed_post_loan_report_notifies_the_bureau_and_the_leading_group(
    cast, addresses, django_capture_on_commit_callbacks
):
    loan = cast.loan_a  # X银行, disbursed 2026-02-10
    with on_day(dt.date(2026, 7, 3)), django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.bank_x_user).post(
            f"/loans/{loan.public_id}/reports/new/",
            {
                "year": 2026,
                "quarter": 2,
                "status": "risk",
                "operations": "订单大幅下滑",
                "risks": "已约谈企业",
            },
        )
    assert response.status_code == 302
    report = PostLoanReport.objects.get()
    assert (report.year, report.quarter, report.status) == (2026, 2, "risk")
    expected = f"贷后报告（第十条）：X银行报送了{loan.contract_no} 甲科技有限公司 2026年第2季度的贷后管理情况：有风险。"
    for user in (cast.bureau_staff, cast.bureau_head, cast.leading_group):
        assert Notification.objects.get(user=user).message == expected, user
    for user in (cast.bank_x_user, cast.auditor, cast.applicant):
        assert not Notification.objects.filter(user=user).exists()
    assert sent_to() == {"staff@example.invalid", "head@example.invalid", "group@example.invalid"}
    assert "订单大幅下滑" in mail.outbox[0].body and "已约谈企业" in mail.outbox[0].body


# --- 第十条: 到期提示, N days before each maturity, once ---------------------------------------------------


def reminders(on: str, *extra: str) -> str:
    out = io.StringIO()
    call_command("loan_maturity_reminders", "--on", on, *extra, stdout=out)
    return out.getvalue()


def test_banks_are_reminded_thirty_days_before_each_maturity_once(
    cast, addresses, settings, django_capture_on_commit_callbacks
):
    """N = 30 (MATURITY_REMINDER_DAYS). Worked by hand:

    - loan HT-DUE matures 2027-01-08; 1,000,000.00 lent, 400,000.00 repaid: 600,000.00 outstanding.
      On 2026-12-08, 12-08 + 30 days = 2027-01-07 < 01-08: not yet. On 12-09, + 30 = 01-08: reminded.
    - loan HT-PAID matures 2026-12-20 but is repaid in full (1,000,000.00): never reminded.
    - loan HT-PAST matured on 2026-12-01, before the run: overdue, not a maturity notice (delinquency's job).
    A second run on 12-09, and the run of 12-10, remind nobody again. When the maturity of HT-DUE is
    extended to 2027-06-30, that maturity is reminded on 2027-05-31 (06-30 − 30 days).
    """
    settings.MATURITY_REMINDER_DAYS = 30
    cast.loan_a.delete()
    cast.loan_b.delete()
    due = LoanFactory(
        enterprise=cast.enterprise_a,
        bank=cast.bank_x,
        contract_no="HT-DUE",
        disbursement_date=dt.date(2026, 1, 9),
        maturity_date=dt.date(2027, 1, 8),
    )
    Repayment.objects.create(
        loan=due, repaid_on=dt.date(2026, 7, 9), principal=Decimal("400000.00")
    )
    paid = LoanFactory(
        enterprise=cast.enterprise_b,
        bank=cast.bank_y,
        contract_no="HT-PAID",
        disbursement_date=dt.date(2025, 12, 21),
        maturity_date=dt.date(2026, 12, 20),
    )
    Repayment.objects.create(loan=paid, repaid_on=dt.date(2026, 11, 30), principal=paid.principal)
    LoanFactory(
        enterprise=cast.enterprise_b,
        bank=cast.bank_y,
        contract_no="HT-PAST",
        disbursement_date=dt.date(2025, 12, 2),
        maturity_date=dt.date(2026, 12, 1),
    )

    assert reminders("2026-12-08") == "2026-12-08：30天内到期的贷款，新发到期提示0笔\n"
    with django_capture_on_commit_callbacks(execute=True):
        out = reminders("2026-12-09")
    assert out == (
        "X银行\tHT-DUE\t甲科技有限公司\t2027-01-08到期\t未还本金600,000.00元\n"
        "2026-12-09：30天内到期的贷款，新发到期提示1笔\n"
    )
    reminder = MaturityReminder.objects.get()
    assert (reminder.loan, reminder.maturity_date, reminder.outstanding, reminder.days_before) == (
        due,
        dt.date(2027, 1, 8),
        Decimal("600000.00"),
        30,
    )
    note = Notification.objects.get(user=cast.bank_x_user)
    assert note.message == (
        "到期提示（第十条）：甲科技有限公司的贷款HT-DUE将于2027-01-08到期，尚有本金600,000.00元未还，"
        "请做好到期提示催收。"
    )
    assert sent_to() == {"bankx@example.invalid"}
    assert not Notification.objects.exclude(user=cast.bank_x_user).exists()
    assert AuditEntry.objects.filter(action="loans.loan.maturity_reminded").count() == 1

    assert reminders("2026-12-09").endswith("新发到期提示0笔\n")
    assert reminders("2026-12-10").endswith("新发到期提示0笔\n")
    assert MaturityReminder.objects.count() == 1 and Notification.objects.count() == 1

    Loan.objects.filter(pk=due.pk).update(maturity_date=dt.date(2027, 6, 30))
    assert reminders("2027-05-30").endswith("新发到期提示0笔\n")
    assert "HT-DUE\t甲科技有限公司\t2027-06-30到期" in reminders("2027-05-31")
    assert MaturityReminder.objects.filter(loan=due).count() == 2


def test_the_reminder_days_can_be_given_on_the_command_line_and_bad_input_is_refused(cast):
    from django.core.management import CommandError

    LoanFactory(contract_no="HT-7", bank=cast.bank_x, maturity_date=dt.date(2026, 12, 16))
    assert reminders("2026-12-09", "--days", "6").endswith("新发到期提示0笔\n")  # 12-15 < 12-16
    assert "HT-7" in reminders("2026-12-09", "--days", "7")
    with pytest.raises(CommandError, match="无效"):
        reminders("2026-13-01")
    with pytest.raises(CommandError, match="无效"):
        reminders("2026-12-09", "--days", "-1")


# --- 第十一条 4: provisional due days are said so ------------------------------------------------------------


def test_late_certificates_say_when_the_due_day_is_provisional(cast):
    """A write-off on Mon 2026-12-28: five working days by weekends only are 12-29, 12-30, 12-31, 2027-01-01
    and Mon 01-04, so the certificate is due 2027-01-04 — provisional, since 2027's official calendar is not
    loaded (01-01 is New Year's Day there, which would move it). Missing on 2027-01-05, it is late."""
    from compensation import services
    from kedaitong.models import CalendarYear
    from tests.compensation import helpers

    assert not CalendarYear.objects.filter(year=2027).exists()
    claim = helpers.paid(cast)
    write_off = services.writeoff_record(
        actor=cast.bank_x_user, claim=claim, written_off_on=dt.date(2026, 12, 28)
    )
    assert (write_off.certificate_due_on, write_off.calendar_unknown) == (dt.date(2027, 1, 4), True)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("compensation_late_certificates", "--as-of", "2027-01-05", stdout=out)
    assert exited.value.code == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        f"{claim.reference}\tX银行\t甲科技有限公司\t核销2026-12-28"
        "\t应于2027-01-04前提交（暂定：2027年官方节假日安排未录入，仅按周末计算）\t未提交"
    )
    assert lines[1] == "截至2027-01-05，核销凭据逾期1笔"
    assert lines[2] == (
        "共有1笔核销凭据的截止日为暂定：2027年官方节假日安排尚未录入，仅按周末计算；"
        "管理员在“日历年度”录入后将重新计算（第十一条第4款：核销后5个工作日内）"
    )
    # Not late yet on 01-04, the provisional day is still said.
    out = io.StringIO()
    call_command("compensation_late_certificates", "--as-of", "2027-01-04", stdout=out)
    assert out.getvalue().splitlines()[-1].startswith("共有1笔核销凭据的截止日为暂定：2027年")
