"""Conditions of the Changjiang review steps: pure guards that read the review's own records (review/)."""

from __future__ import annotations

from typing import Any

from review import selectors


def bureau_draft_recommends(application: Any) -> bool:
    """Maker-checker: the head signs only an approval that staff have drafted."""
    draft = selectors.unsigned_bureau_draft(application)
    return draft is not None and draft.recommendation == "approve"


def bureau_draft_rejects(application: Any) -> bool:
    """Maker-checker: the head signs only a rejection that staff have drafted."""
    draft = selectors.unsigned_bureau_draft(application)
    return draft is not None and draft.recommendation == "reject"


def group_recommended(application: Any) -> bool:
    """Changjiang 第一条, 第三条: a leading-group meeting recommended it, with an amount."""
    decision = selectors.latest_group_decision(application)
    return decision is not None and decision.recommended


def group_declined(application: Any) -> bool:
    """A leading-group meeting declined to recommend it."""
    decision = selectors.latest_group_decision(application)
    return decision is not None and not decision.recommended


def bank_approved(application: Any) -> bool:
    """Changjiang 第一条 (由合作银行独立审核): the bank recorded an approval with amount, rate and term."""
    decision = selectors.latest_bank_decision(application)
    return decision is not None and decision.approved


def bank_declined(application: Any) -> bool:
    """The bank recorded a rejection with its reason."""
    decision = selectors.latest_bank_decision(application)
    return decision is not None and not decision.approved


def publicity_over_without_upheld_objection(application: Any) -> bool:
    """Changjiang 第八条: credit only after the publicity period, with no upheld objection."""
    entry = selectors.publicity_entry(application)
    return entry is not None and entry.batch.is_over() and not entry.has_upheld_objection()


def objection_upheld(application: Any) -> bool:
    """Changjiang 第八条: 公示有不良影响的，不能获得“科贷通”贷款."""
    entry = selectors.publicity_entry(application)
    return entry is not None and entry.has_upheld_objection()


def granted_credit(application: Any) -> Any:
    """Changjiang 第八条: the credit amount the bank approved, once publicity has granted it; None before."""
    if application.state not in ("credit_granted", "disbursed"):
        return None
    entry = selectors.publicity_entry(application)
    return entry.credit_amount if entry is not None else None
