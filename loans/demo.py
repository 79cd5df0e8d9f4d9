"""Demo records of the bank side: Quzhou's enterprise list, an interest upload, repayments, an overdue event, a post-loan report.

Idempotent: everything is found by its natural key and created only when missing;
the upload goes through the real importer once (found again by its checksum).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from applications.models import Program, ProgramListing, RegistrationPlace
from kedaitong.models import User
from loans.models import Loan, LoanDocument, OverdueEvent, PostLoanReport, RecordUpload, Repayment

if TYPE_CHECKING:
    from kedaitong.demo import DemoResult

QUZHOU_LIST = [
    ("91330800MA2DX00012", "衢州云帆新材料科技有限公司", "zhizao"),
    ("91330800MA2DX00025", "衢州智慧芯联信息技术有限公司", "zhihui"),
]
INTEREST_CSV = (
    "贷款合同编号,银行代码,结息日期,计息起始日,计息截止日,利息金额（元）,是否逾期利息\r\n"
    'QZA-2025-012,qz-demo-a,2025-03-21,2025-01-15,2025-03-20,"5,597.22",否\r\n'
    'QZA-2025-012,qz-demo-a,2025-06-21,2025-03-21,2025-06-20,"7,836.11",否\r\n'
    'QZA-2025-012,qz-demo-a,2025-09-21,2025-06-21,2025-09-20,"7,836.11",否\r\n'
)


def extend(result: DemoResult) -> None:
    import hashlib

    from loans.importer import context_for, run_import

    quzhou = Program.objects.filter(code="quzhou").first()
    if quzhou is None:
        return
    places = {p.code: p for p in RegistrationPlace.objects.filter(program=quzhou)}
    for code, name, place in QUZHOU_LIST:
        _, created = ProgramListing.objects.get_or_create(
            program=quzhou,
            credit_code=code,
            defaults={
                "name": name,
                "registration_place": places.get(place),
                "listed_on": dt.date(2024, 1, 1),
            },
        )
        result.created["program listings"] += created

    data = INTEREST_CSV.encode("utf-8")
    clerk = User.objects.filter(username="qz-bank").first()
    if clerk is not None and Loan.objects.filter(contract_no="QZA-2025-012").exists():
        if not RecordUpload.objects.filter(checksum=hashlib.sha256(data).hexdigest()).exists():
            context = context_for(kind="interest", program=quzhou, actor=clerk)
            outcome = run_import(
                kind="interest",
                data=data,
                filename="2025年结息.csv",
                context=context,
                commit=True,
                source="web",
            )
            result.created["interest settlements"] += outcome.created

    loan = Loan.objects.filter(contract_no="QZA-2025-012").first()
    if loan is not None:
        _, created = Repayment.objects.get_or_create(
            loan=loan, repaid_on=dt.date(2025, 7, 15), defaults={"principal": Decimal("300000.00")}
        )
        result.created["repayments"] += created
        clerk = User.objects.filter(username="qz-bank").first()
        if (
            clerk is not None
            and not LoanDocument.objects.filter(
                loan=loan, kind=LoanDocument.Kind.APPLICATION_FORM
            ).exists()
        ):
            # Quzhou 二: the application form was sent; the voucher copy is still missing (shown on the loan page).
            from django.core.files.base import ContentFile

            data = b"%PDF-1.4\n% demo application form\n%%EOF\n"
            document = LoanDocument(
                loan=loan,
                kind=LoanDocument.Kind.APPLICATION_FORM,
                original_name="贷款申请表.pdf",
                checksum=hashlib.sha256(data).hexdigest(),
                uploaded_by=clerk,
            )
            document.file.save("application-form.pdf", ContentFile(data), save=False)
            document.save()
            result.created["loan documents"] += 1

    # Quzhou 二: the loan that followed QZ-2026-0001 was reported with its voucher; the bureau has yet to acknowledge.
    reported = Loan.objects.filter(contract_no="QZA-2026-001").first()
    clerk = User.objects.filter(username="qz-bank").first()
    if (
        reported is not None
        and clerk is not None
        and not LoanDocument.objects.filter(
            loan=reported, kind=LoanDocument.Kind.DISBURSEMENT_VOUCHER
        ).exists()
    ):
        from django.core.files.base import ContentFile

        data = b"%PDF-1.4\n% demo disbursement voucher\n%%EOF\n"
        document = LoanDocument(
            loan=reported,
            kind=LoanDocument.Kind.DISBURSEMENT_VOUCHER,
            original_name="放款凭证.pdf",
            checksum=hashlib.sha256(data).hexdigest(),
            uploaded_by=clerk,
        )
        document.file.save("voucher.pdf", ContentFile(data), save=False)
        document.save()
        result.created["loan documents"] += 1

    changjiang_loan = Loan.objects.filter(contract_no="ICBC-KDT-2026-001").first()
    if changjiang_loan is not None:
        _, created = OverdueEvent.objects.get_or_create(
            loan=changjiang_loan,
            started_on=dt.date(2026, 8, 10),
            defaults={
                "overdue_principal": Decimal("250000.00"),
                "overdue_interest": Decimal("8625.00"),
            },
        )
        result.created["overdue events"] += created
        clerk = User.objects.filter(username="bank-icbc").first()
        if clerk is not None:
            _, created = PostLoanReport.objects.get_or_create(
                loan=changjiang_loan,
                year=2026,
                quarter=2,
                defaults={
                    "status": PostLoanReport.Status.WATCH,
                    "filed_by": clerk,
                    "operations": "企业经营正常，贷款用于研发设备采购，已到货安装。",
                    "repayment": "按季付息，无拖欠。",
                    "risks": "主要客户回款放缓，已要求企业按月报送资金流水。",
                },
            )
            result.created["post-loan reports"] += created
    from loans.services import delinquency_refresh

    delinquency_refresh(on=timezone.localdate())
