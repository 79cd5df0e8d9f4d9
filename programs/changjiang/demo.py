"""Demo records of Changjiang's own articles (fictional): this year's credit plans (第五条), the joint
recovery cases of loans unpaid at maturity with one action of the lead bank (第七条), and the last closed
quarter's report to the province (第十条). Idempotent, like the rest of the demo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.models import Program
from kedaitong.demo import DemoResult
from kedaitong.models import Role, User
from loans.models import Bank
from programs.changjiang import services
from programs.changjiang.models import CreditPlan, ProvincialReport, RecoveryCase

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Each cooperating bank's plan for the year: 50 million yuan and 20 loans (fictional figures).
PLAN_AMOUNT = Decimal("50000000.00")
PLAN_COUNT = 20


def _last_closed_quarter(today: dt.date) -> tuple[int, int]:
    quarter = (today.month - 1) // 3  # the quarter before today's
    return (today.year, quarter) if quarter else (today.year - 1, 4)


def extend(result: DemoResult) -> None:
    program = Program.objects.filter(code="changjiang").first()
    users = {u.username: u for u in User.objects.filter(username__in=["zhuanban", "jingban"])}
    if program is None or len(users) < 2:
        return
    today = timezone.localdate()
    office, staff = users["zhuanban"], users["jingban"]
    for bank in Bank.objects.filter(agreements__program=program).distinct().order_by("code"):
        if CreditPlan.objects.filter(program=program, bank=bank, year=today.year).exists():
            continue
        services.credit_plan_set(
            actor=office,
            program=program,
            bank=bank,
            year=today.year,
            amount=PLAN_AMOUNT,
            count=PLAN_COUNT,
            reason="年度信贷计划（演示数据）",
        )
        result.created["credit plans"] += 1
    result.created["recovery cases"] += len(services.recovery_cases_open(on=today))
    for case in RecoveryCase.objects.filter(program=program, actions__isnull=True):
        clerk = User.objects.filter(role=Role.BANK, bank=case.bank_id, is_active=True).first()
        if clerk is None:
            continue
        services.recovery_action_record(
            actor=clerk,
            case=case,
            party=services.parties_for(clerk, case)[0],
            acted_on=today,
            what="电话催收并上门约谈企业法定代表人，送达催收通知书",
            result="企业承诺一个月内提出还款计划",
            documents=[SimpleUploadedFile("催收通知书.pdf", PDF, content_type="application/pdf")],
        )
    year, quarter = _last_closed_quarter(today)
    if not ProvincialReport.objects.filter(program=program, year=year, quarter=quarter).exists():
        services.provincial_report_produce(actor=staff, program=program, year=year, quarter=quarter)
        result.created["provincial reports"] += 1
