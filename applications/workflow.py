"""The application state machine (django-fsm-2). Transitions change state and timestamps only.

Operations (checks, audit rows, notifications) live in the services that call
these transitions; conditions here are pure guards. The Changjiang review
transitions join this class with the review workflow's issue; the diagram is
in shared DESIGN.md:

    draft ─submit→ submitted ─accept→ bureau_review ─approve→ group_review ─recommend→ bank_review
    returned ─resubmit(submit)→ submitted; bank_review ─approve→ publicity ─→ credit_granted ─disburse→ disbursed
    any open state ─withdraw→ withdrawn (enterprise)
"""

from __future__ import annotations

from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, transition

DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
WITHDRAWN = "withdrawn"
OPEN_STATES = ["draft", "submitted", "returned", "bureau_review", "group_review", "bank_review", "publicity"]


class ApplicationWorkflow(ConcurrentTransitionMixin):
    """Mixed into `Application`; `ConcurrentTransitionMixin` makes a stale save raise `ConcurrentTransition`."""

    @transition(field="state", source=[DRAFT, RETURNED], target=SUBMITTED)
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(field="state", source=OPEN_STATES, target=WITHDRAWN)
    def withdraw(self) -> None:
        pass
