"""Conditions of the Quzhou steps (二): the bank's own decision, the voucher of the disbursement."""

from __future__ import annotations

from typing import Any

from review import selectors


def bank_accepted(application: Any) -> bool:
    """Quzhou 二: the bank approved on its own (审批通过后出具同意放贷意见书), with amount, rate and term."""
    decision = selectors.latest_bank_decision(application)
    return decision is not None and decision.approved


def bank_declined(application: Any) -> bool:
    """The bank declined, with its reason."""
    decision = selectors.latest_bank_decision(application)
    return decision is not None and not decision.approved


def voucher_filed(application: Any) -> bool:
    """Quzhou 二: the bank sends the bureau 附件1 (kept at submission) and a copy of the disbursement voucher."""
    from loans.models import LoanDocument

    return (
        bool(application.submitted_pdf)
        and LoanDocument.objects.filter(
            loan__application=application, kind=LoanDocument.Kind.DISBURSEMENT_VOUCHER
        ).exists()
    )


def granted_credit(application: Any) -> Any:
    """The amount of the bank's 同意放贷意见书, once it agreed; None before."""
    if application.state in ("draft", "bank_review", "rejected", "withdrawn"):
        return None
    decision = selectors.latest_bank_decision(application)
    return decision.credit_amount if decision is not None and decision.approved else None
