"""The application state machine (django-fsm-2). Transitions change state and timestamps only.

Operations (checks, audit rows, notifications) live in the services that call
these transitions (`applications/services.py` for submission, `review/services.py`
for the Changjiang review); conditions here are pure guards that may read the
review's records. Each review transition names the role that may take it
(`permission=`) and carries `custom={"label", "role", "conditions"}` for the
buttons of the review page and for the generated diagram (`manage.py
review_diagram` writes docs/review-states.md from this class):

    draft ─submit→ submitted ─accept→ bureau_review ─approve→ group_review ─recommend→ bank_review
    submitted / bureau_review ─return_for_changes→ returned ─submit→ submitted
    bureau_review / group_review / bank_review ─reject→ rejected
    bank_review ─bank_approve→ publicity ─grant→ credit_granted ─disburse→ disbursed
    publicity ─objection_reject→ rejected
    any open state ─withdraw→ withdrawn (enterprise)
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, transition

from kedaitong.roles import Role

DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
BUREAU_REVIEW = "bureau_review"
GROUP_REVIEW = "group_review"
BANK_REVIEW = "bank_review"
PUBLICITY = "publicity"
CREDIT_GRANTED = "credit_granted"
DISBURSED = "disbursed"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
OPEN_STATES = [
    "draft",
    "submitted",
    "returned",
    "bureau_review",
    "group_review",
    "bank_review",
    "publicity",
]


def may_act(role: str) -> Any:
    """A django-fsm permission: the user holds `role` and the application is in their scope.

    Government roles act on their own program's applications, a bank only on
    applications recommended to it. Nobody else, not even the admin, takes a
    review transition (the admin fixes data in the admin site, not decisions).
    """

    def check(instance: Any, user: Any) -> bool:
        if not getattr(user, "is_authenticated", False) or user.effective_role != role:
            return False
        if role == Role.BANK:
            return instance.bank_id is not None and instance.bank_id == user.bank_id
        return bool(user.program_id) and instance.program_version.program_id == user.program_id

    check.role = role
    return check


# Conditions read the review's own records (imported late: review.models imports applications).
def eligibility_not_failed(instance: Any) -> bool:
    """Changjiang 第六条: no rule of the checklist judged today fails (unknown is for the reviewer to weigh)."""
    from applications.eligibility import OPTIONAL
    from applications.selectors import eligibility_now

    # The alternatives of 第六条(一)2 fail on their own by design; their aggregate line decides.
    return all(
        result.status != "fail"
        for result in eligibility_now(instance)
        if result.code not in OPTIONAL
    )


def bureau_draft_recommends(instance: Any) -> bool:
    """Maker-checker: the head signs only an approval that staff have drafted."""
    from review.selectors import unsigned_bureau_draft

    draft = unsigned_bureau_draft(instance)
    return draft is not None and draft.recommendation == "approve"


def bureau_draft_rejects(instance: Any) -> bool:
    """Maker-checker: the head signs only a rejection that staff have drafted."""
    from review.selectors import unsigned_bureau_draft

    draft = unsigned_bureau_draft(instance)
    return draft is not None and draft.recommendation == "reject"


def group_recommended(instance: Any) -> bool:
    """Changjiang 第一条, 第三条: a leading-group meeting recommended it, with an amount."""
    from review.selectors import latest_group_decision

    decision = latest_group_decision(instance)
    return decision is not None and decision.recommended


def group_declined(instance: Any) -> bool:
    """A leading-group meeting declined to recommend it."""
    from review.selectors import latest_group_decision

    decision = latest_group_decision(instance)
    return decision is not None and not decision.recommended


def bank_approved(instance: Any) -> bool:
    """Changjiang 第一条 (由合作银行独立审核): the bank recorded an approval with amount, rate and term."""
    from review.selectors import latest_bank_decision

    decision = latest_bank_decision(instance)
    return decision is not None and decision.approved


def bank_declined(instance: Any) -> bool:
    """The bank recorded a rejection with its reason."""
    from review.selectors import latest_bank_decision

    decision = latest_bank_decision(instance)
    return decision is not None and not decision.approved


def publicity_over_without_upheld_objection(instance: Any) -> bool:
    """Changjiang 第八条: credit only after the publicity period, with no upheld objection."""
    from review.selectors import publicity_entry

    entry = publicity_entry(instance)
    return entry is not None and entry.batch.is_over() and not entry.has_upheld_objection()


def objection_upheld(instance: Any) -> bool:
    """Changjiang 第八条: 公示有不良影响的，不能获得“科贷通”贷款."""
    from review.selectors import publicity_entry

    entry = publicity_entry(instance)
    return entry is not None and entry.has_upheld_objection()


def loan_opened(instance: Any) -> bool:
    """The bank's loan for this application is registered in loans/ (loan_register)."""
    from loans.models import Loan

    return Loan.objects.filter(application=instance).exists()


def _custom(label: Any, role: str, *conditions: Any) -> dict[str, Any]:
    return {
        "label": label,
        "role": role,
        "conditions": [c.__doc__ or c.__name__ for c in conditions],
    }


class ApplicationWorkflow(ConcurrentTransitionMixin):
    """Mixed into `Application`; `ConcurrentTransitionMixin` makes a stale save raise `ConcurrentTransition`."""

    @transition(field="state", source=[DRAFT, RETURNED], target=SUBMITTED)
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(field="state", source=OPEN_STATES, target=WITHDRAWN)
    def withdraw(self) -> None:
        pass

    # --- Changjiang review (第一条: 区科技局审核 → 领导专班研究同意推荐 → 合作银行独立审核 → 第八条 公示) ---

    @transition(
        field="state",
        source=SUBMITTED,
        target=BUREAU_REVIEW,
        permission=may_act(Role.BUREAU_STAFF),
        conditions=[eligibility_not_failed],
        custom=_custom(_("Accept for review"), Role.BUREAU_STAFF, eligibility_not_failed),
    )
    def accept(self) -> None:
        pass

    @transition(
        field="state",
        source=[SUBMITTED, BUREAU_REVIEW],
        target=RETURNED,
        permission=may_act(Role.BUREAU_STAFF),
        custom=_custom(_("Return for changes"), Role.BUREAU_STAFF),
    )
    def return_for_changes(self) -> None:
        pass

    @transition(
        field="state",
        source=BUREAU_REVIEW,
        target=GROUP_REVIEW,
        permission=may_act(Role.BUREAU_HEAD),
        conditions=[bureau_draft_recommends, eligibility_not_failed],
        custom=_custom(
            _("Sign: recommend to the leading group"),
            Role.BUREAU_HEAD,
            bureau_draft_recommends,
            eligibility_not_failed,
        ),
    )
    def approve(self) -> None:
        pass

    @transition(
        field="state",
        source=BUREAU_REVIEW,
        target=REJECTED,
        permission=may_act(Role.BUREAU_HEAD),
        conditions=[bureau_draft_rejects],
        custom=_custom(_("Sign: reject"), Role.BUREAU_HEAD, bureau_draft_rejects),
    )
    def bureau_reject(self) -> None:
        pass

    @transition(
        field="state",
        source=GROUP_REVIEW,
        target=BANK_REVIEW,
        permission=may_act(Role.LEADING_GROUP),
        conditions=[group_recommended],
        custom=_custom(_("Recommend to the bank (meeting)"), Role.LEADING_GROUP, group_recommended),
    )
    def recommend(self) -> None:
        pass

    @transition(
        field="state",
        source=GROUP_REVIEW,
        target=REJECTED,
        permission=may_act(Role.LEADING_GROUP),
        conditions=[group_declined],
        custom=_custom(_("Decline (meeting)"), Role.LEADING_GROUP, group_declined),
    )
    def group_reject(self) -> None:
        pass

    @transition(
        field="state",
        source=BANK_REVIEW,
        target=PUBLICITY,
        permission=may_act(Role.BANK),
        conditions=[bank_approved],
        custom=_custom(_("Approve credit"), Role.BANK, bank_approved),
    )
    def bank_approve(self) -> None:
        pass

    @transition(
        field="state",
        source=BANK_REVIEW,
        target=REJECTED,
        permission=may_act(Role.BANK),
        conditions=[bank_declined],
        custom=_custom(_("Reject credit"), Role.BANK, bank_declined),
    )
    def bank_reject(self) -> None:
        pass

    @transition(
        field="state",
        source=PUBLICITY,
        target=CREDIT_GRANTED,
        permission=may_act(Role.BUREAU_STAFF),
        conditions=[publicity_over_without_upheld_objection],
        custom=_custom(
            _("Grant credit (publicity over)"),
            Role.BUREAU_STAFF,
            publicity_over_without_upheld_objection,
        ),
    )
    def grant(self) -> None:
        pass

    @transition(
        field="state",
        source=PUBLICITY,
        target=REJECTED,
        permission=may_act(Role.BUREAU_STAFF),
        conditions=[objection_upheld],
        custom=_custom(_("Reject (objection upheld)"), Role.BUREAU_STAFF, objection_upheld),
    )
    def objection_reject(self) -> None:
        pass

    @transition(
        field="state",
        source=CREDIT_GRANTED,
        target=DISBURSED,
        permission=may_act(Role.BANK),
        conditions=[loan_opened],
        custom=_custom(_("Disburse"), Role.BANK, loan_opened),
    )
    def disburse(self) -> None:
        pass
