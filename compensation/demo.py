"""Demo records of risk compensation: this year's budget and one compensated claim with a recovery (fictional)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.models import Program
from compensation import services
from compensation.models import Claim, CompensationBudget, MaterialKind
from kedaitong.demo import DemoResult
from kedaitong.models import User
from loans.models import Loan, OverdueEvent

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CONTRACT = "ICBC-KDT-2026-001"


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def extend(result: DemoResult) -> None:
    program = Program.objects.filter(code="changjiang").first()
    loan = Loan.objects.filter(contract_no=CONTRACT, bank__code="icbc-xishi").first()
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["bank-icbc", "jingban", "fuzeren", "zhuanban"])
    }
    if program is None or loan is None or len(users) < 4:
        return
    today = timezone.localdate()
    if not CompensationBudget.objects.filter(program=program, year=today.year).exists():
        services.budget_set(
            actor=users["zhuanban"], program=program, year=today.year, amount="5000000.00"
        )
        result.created["compensation budget"] += 1
    if Claim.objects.filter(loan=loan).exists():
        return
    if not OverdueEvent.objects.filter(loan=loan).exists():
        OverdueEvent.objects.create(
            loan=loan,
            started_on=today - dt.timedelta(days=90),
            overdue_principal=loan.principal,
            overdue_interest="25875.00",
        )
    bank, staff, group = users["bank-icbc"], users["jingban"], users["zhuanban"]
    claim = services.claim_create(
        actor=bank,
        loan=loan,
        requested_amount="1200000.00",
        loss_principal=str(loan.principal),
        loss_interest="25875.00",
        case_number="（2026）赣0202民初1088号",
        description="企业主营产品订单骤减，贷款到期后未能偿还，本行已提起诉讼并获法院受理。",
    )
    for kind in MaterialKind.values:
        services.material_add(actor=bank, claim=claim, kind=kind, upload=_pdf(f"{kind}.pdf"))
    services.claim_submit(actor=bank, claim=claim)
    services.claim_opinion_draft(
        actor=staff,
        claim=claim,
        recommendation="approve",
        amount="1000000.00",
        text="材料齐全，符合第十一条规定，建议补偿",
    )
    services.claim_opinion_sign(actor=users["fuzeren"], claim=claim)
    services.claim_decide(
        actor=group,
        claim=claim,
        amount="1000000.00",
        covered_loss="3000000.00",
        minutes="专班会议审议通过",
    )
    services.claim_pay(actor=staff, claim=claim, paid_on=today, voucher_no="CZ-BC-0001")
    services.agreement_record(
        actor=staff, claim=claim, signed_on=today, upload=_pdf("追偿协议.pdf")
    )
    services.recovery_record(
        actor=bank,
        claim=claim,
        received_on=today,
        gross="600000.00",
        costs=[
            services.CostInput("litigation", "12000.00", _pdf("诉讼费.pdf")),
            services.CostInput("enforcement", "3000.00", _pdf("执行费.pdf")),
        ],
    )
    result.created["compensation claim"] += 1
