"""Building claims at each stage for the compensation tests and the access matrix (objects of enterprise A and bank X)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from compensation import services
from compensation.models import Claim, CompensationBudget, MaterialKind, Recovery
from loans.models import Loan, OverdueEvent
from tests.conftest import Cast
from tests.factories import ApplicationFactory, LoanFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ON = dt.date(2026, 11, 20)  # the day the tests file and decide
OVERDUE_SINCE = dt.date(2026, 9, 1)


def pdf(name: str = "file.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def bad_loan(
    cast: Cast,
    *,
    bank=None,
    enterprise=None,
    overdue_since: dt.date = OVERDUE_SINCE,
    state: str = "disbursed",
    contract: str | None = None,
) -> Loan:
    """A Changjiang loan granted through the program (第六条) and overdue since `overdue_since`."""
    bank = bank or cast.bank_x
    enterprise = enterprise or cast.enterprise_a
    version = cast.changjiang.versions.order_by("-effective_from").first()  # the cast's district
    application = ApplicationFactory(
        enterprise=enterprise, bank=bank, state=state, program_version=version
    )
    kw = {"contract_no": contract} if contract else {}
    loan = LoanFactory(
        enterprise=enterprise,
        bank=bank,
        application=application,
        principal=Decimal("1000000.00"),
        program_version=version,
        **kw,
    )
    OverdueEvent.objects.create(
        loan=loan,
        started_on=overdue_since,
        overdue_principal=Decimal("800000.00"),
        overdue_interest=Decimal("12000.00"),
    )
    return loan


def draft(cast: Cast, loan: Loan | None = None, *, materials: bool = True) -> Claim:
    loan = loan or bad_loan(cast)
    claim = services.claim_create(
        actor=cast.bank_x_user,
        loan=loan,
        requested_amount="400000.00",
        loss_principal="800000.00",
        loss_interest="12000.00",
        case_number="(2026)赣0202民初123号",
        description="企业停产，经催收未还",
        on=ON,
    )
    if materials:
        for kind in MaterialKind.values:
            services.material_add(
                actor=cast.bank_x_user, claim=claim, kind=kind, upload=pdf(f"{kind}.pdf")
            )
    return claim


def submitted(cast: Cast, loan: Loan | None = None) -> Claim:
    return services.claim_submit(actor=cast.bank_x_user, claim=draft(cast, loan), on=ON)


def bureau_approves(cast: Cast, claim: Claim, amount: str = "400000.00") -> Claim:
    """第十一条 2(2), maker-checker: staff draft the approval with the amount they propose, the head signs it."""
    services.claim_opinion_draft(
        actor=cast.bureau_staff,
        claim=claim,
        recommendation="approve",
        amount=amount,
        text="材料齐全，同意提交领导专班",
    )
    services.claim_opinion_sign(actor=cast.bureau_head, claim=claim)
    return Claim.objects.get(pk=claim.pk)


def in_group_review(cast: Cast, loan: Loan | None = None) -> Claim:
    return bureau_approves(cast, submitted(cast, loan))


def budget(
    cast: Cast, amount: str = "1000000.00", year: int = 2026, reason: str = "领导专班会议纪要"
) -> CompensationBudget:
    return services.budget_set(
        actor=cast.leading_group, program=cast.changjiang, year=year, amount=amount, reason=reason
    )


def decided(
    cast: Cast, loan: Loan | None = None, *, amount: str = "300000.00", covered: str = "800000.00"
) -> Claim:
    claim = in_group_review(cast, loan)
    if not CompensationBudget.objects.filter(program=cast.changjiang, year=ON.year).exists():
        budget(cast)
    services.claim_decide(
        actor=cast.leading_group, claim=claim, amount=amount, covered_loss=covered, on=ON
    )
    return Claim.objects.get(pk=claim.pk)


def paid(cast: Cast, loan: Loan | None = None, **kw) -> Claim:
    claim = decided(cast, loan, **kw)
    services.claim_pay(
        actor=cast.bureau_staff, claim=claim, paid_on=dt.date(2026, 11, 23), voucher_no="BF-001"
    )
    return Claim.objects.get(pk=claim.pk)


def recovering(cast: Cast, loan: Loan | None = None, **kw) -> Claim:
    claim = paid(cast, loan, **kw)
    services.agreement_record(
        actor=cast.bureau_staff,
        claim=claim,
        signed_on=dt.date(2026, 11, 24),
        upload=pdf("agreement.pdf"),
    )
    return Claim.objects.get(pk=claim.pk)


def with_recovery(
    cast: Cast,
    gross: str = "100000.00",
    costs: tuple[tuple[str, str], ...] = (("litigation", "5000.00"),),
) -> Recovery:
    claim = recovering(cast)
    return services.recovery_record(
        actor=cast.bank_x_user,
        claim=claim,
        received_on=dt.date(2026, 11, 24),
        gross=gross,
        costs=[services.CostInput(kind, amount, pdf(f"{kind}.pdf")) for kind, amount in costs],
    )
