"""The application state machine (django-fsm-2): every transition of every kind, each guarded by the kind's spec.

One `Application` model serves every kind of program. Its transitions are declared here once, with their
source and target states; which of them a kind uses, the role that takes each and its conditions are the
kind's (`kedaitong.programs.WorkflowSpec`, registered by the kind's package under `programs/`). Every
transition carries two generic checks that ask the registry:

- `permission=acting_role(name)`: the user holds the role the kind names for this transition and the
  application is in their scope (the enterprise its own, a bank its own, government roles their program);
- `conditions=[kind_allows(name)]`: the transition belongs to the application's kind's workflow and the
  kind's guards for it hold (a Changjiang approval needs the head's signature on a staff draft, a Quzhou
  report needs the disbursement voucher ...).

Transitions change state and timestamps only. Operations (lock, checks, audit row, notifications) are in
`applications/lifecycle.py`, which every app calls. `manage.py review_diagram` draws each kind's workflow
(docs/review-states.md). The two flows:

    Changjiang (第一条, 第八条):
    draft ─submit→ submitted ─accept→ bureau_review ─approve→ group_review ─recommend→ bank_review
    submitted / bureau_review ─return_for_changes→ returned ─submit→ submitted
    bureau_review ─bureau_reject / group_review ─group_reject / bank_review ─bank_reject→ rejected
    bank_review ─bank_approve→ publicity ─grant→ credit_granted ─disburse→ disbursed
    publicity ─objection_reject→ rejected

    Quzhou (二):
    draft ─submit_to_bank→ bank_review ─bank_accept→ credit_granted ─disburse→ disbursed ─report→ reported
    bank_review ─bank_decline→ rejected
    reported ─acknowledge→ acknowledged;  reported ─request_correction→ correction_requested ─report→ reported

    any open state ─withdraw→ withdrawn (enterprise)
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, transition

from kedaitong import programs
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
REPORTED = "reported"
CORRECTION_REQUESTED = "correction_requested"
ACKNOWLEDGED = "acknowledged"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
# Every state from which some kind lets the enterprise withdraw; the kind's `open_states` narrow it.
OPEN_STATES = [
    "draft",
    "submitted",
    "returned",
    "bureau_review",
    "group_review",
    "bank_review",
    "publicity",
]


def _spec_transition(instance: Any, name: str) -> programs.TransitionSpec | None:
    try:
        return programs.spec(instance).workflow.get(name)
    except programs.UnknownKind:
        return None


def in_scope(instance: Any, user: Any, role: str) -> bool:
    """The application is within the scope in which `user` acts as `role`."""
    if role == Role.ENTERPRISE:
        return bool(user.enterprise_id) and instance.enterprise_id == user.enterprise_id
    if role == Role.BANK:
        return instance.bank_id is not None and instance.bank_id == user.bank_id
    return bool(user.program_id) and instance.program_version.program_id == user.program_id


def acting_role(name: str) -> Any:
    """A django-fsm permission: the user holds the role the application's kind names for `name`, within scope.

    Nobody else, not even the admin, takes a step of an application (the admin fixes data in the admin
    site, not decisions).
    """

    def check(instance: Any, user: Any) -> bool:
        spec = _spec_transition(instance, name)
        if spec is None or not getattr(user, "is_authenticated", False):
            return False
        return user.effective_role == spec.role and in_scope(instance, user, spec.role)

    check.__name__ = f"acting_role_{name}"
    return check


def kind_allows(name: str) -> Any:
    """A django-fsm condition: `name` belongs to the application's kind's workflow and the kind's guards hold."""

    def check(instance: Any) -> bool:
        spec = _spec_transition(instance, name)
        if spec is None:
            return False
        if (
            name == "withdraw"
            and instance.state not in programs.spec(instance).workflow.open_states
        ):
            return False
        return all(guard(instance) for guard in spec.guards)

    check.__name__ = f"kind_allows_{name}"
    check.__doc__ = (
        "The transition belongs to the application's kind, and the kind's conditions hold."
    )
    return check


def _t(name: str, source: Any, target: str) -> Any:
    return transition(
        field="state",
        source=source,
        target=target,
        permission=acting_role(name),
        conditions=[kind_allows(name)],
    )


class ApplicationWorkflow(ConcurrentTransitionMixin):
    """Mixed into `Application`; `ConcurrentTransitionMixin` makes a stale save raise `ConcurrentTransition`."""

    # --- the enterprise ---

    @_t("submit", [DRAFT, RETURNED], SUBMITTED)
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @_t("submit_to_bank", DRAFT, BANK_REVIEW)
    def submit_to_bank(self) -> None:
        self.submitted_at = timezone.now()

    @_t("withdraw", OPEN_STATES, WITHDRAWN)
    def withdraw(self) -> None:
        pass

    # --- Changjiang review (第一条: 区科技局审核 → 领导专班研究同意推荐 → 合作银行独立审核 → 第八条 公示) ---

    @_t("accept", SUBMITTED, BUREAU_REVIEW)
    def accept(self) -> None:
        pass

    @_t("return_for_changes", [SUBMITTED, BUREAU_REVIEW], RETURNED)
    def return_for_changes(self) -> None:
        pass

    @_t("approve", BUREAU_REVIEW, GROUP_REVIEW)
    def approve(self) -> None:
        pass

    @_t("bureau_reject", BUREAU_REVIEW, REJECTED)
    def bureau_reject(self) -> None:
        pass

    @_t("recommend", GROUP_REVIEW, BANK_REVIEW)
    def recommend(self) -> None:
        pass

    @_t("group_reject", GROUP_REVIEW, REJECTED)
    def group_reject(self) -> None:
        pass

    @_t("bank_approve", BANK_REVIEW, PUBLICITY)
    def bank_approve(self) -> None:
        pass

    @_t("bank_reject", BANK_REVIEW, REJECTED)
    def bank_reject(self) -> None:
        pass

    @_t("grant", PUBLICITY, CREDIT_GRANTED)
    def grant(self) -> None:
        pass

    @_t("objection_reject", PUBLICITY, REJECTED)
    def objection_reject(self) -> None:
        pass

    # --- Quzhou 二 (企业向备案银行申请 → 银行独立审核、同意放贷 → 放款凭证 → 报送市科技局) ---

    @_t("bank_accept", BANK_REVIEW, CREDIT_GRANTED)
    def bank_accept(self) -> None:
        pass

    @_t("bank_decline", BANK_REVIEW, REJECTED)
    def bank_decline(self) -> None:
        pass

    @_t("report", [DISBURSED, CORRECTION_REQUESTED], REPORTED)
    def report(self) -> None:
        pass

    @_t("acknowledge", REPORTED, ACKNOWLEDGED)
    def acknowledge(self) -> None:
        pass

    @_t("request_correction", REPORTED, CORRECTION_REQUESTED)
    def request_correction(self) -> None:
        pass

    # --- both ---

    @_t("disburse", CREDIT_GRANTED, DISBURSED)
    def disburse(self) -> None:
        pass
