"""Documents of the bank's review: Quzhou 二 同意放贷意见书, printed from the bank's decision when it uploaded none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from kedaitong.money import rmb_capitals
from kedaitong.pdf import Issue, render_pdf
from review.models import BankDecision

if TYPE_CHECKING:
    from kedaitong.models import User


def approval_letter(decision: BankDecision, actor: User | None = None) -> bytes:
    """同意放贷意见书: the bank agrees to lend the amount, at the rate and term it decided (衢州方案二).

    Issued in the bank's name (issue 21: number, SHA-256, QR code of /verify/); `actor` printed it.
    """
    application = decision.application
    return render_pdf(
        "pdf/approval_letter.html",
        {
            "decision": decision,
            "application": application,
            "program": application.program_version.program,
            "bank": application.bank,
            "enterprise": application.enterprise,
            "amount_capitals": rmb_capitals(decision.credit_amount),
            "day": timezone.localdate(decision.decided_at),
        },
        issue=Issue(
            kind="review.approval_letter",
            title="同意放贷意见书",
            issuer=application.bank.name,
            subject=decision,
            actor=actor,
        ),
    )
