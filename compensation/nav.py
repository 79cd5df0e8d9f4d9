"""Navigation items of risk compensation, where the user's current program runs it (Changjiang 第十一条)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from applications.scope import current_program
from kedaitong.context_processors import NavItem, nav_url
from kedaitong.models import User
from kedaitong.programs import Feature, has_feature
from kedaitong.roles import PROGRAM_ROLES, Role


def items(user: User) -> list[NavItem]:
    role = user.effective_role
    if not has_feature(current_program(user), Feature.COMPENSATION):
        return []
    if role == Role.BANK and user.bank_id:
        return [NavItem(nav_url("compensation:claim-list"), _("Compensation claims"))]
    if role == Role.ADMIN or role in PROGRAM_ROLES:
        from compensation.models import Claim, ClaimState

        queue = {
            Role.BUREAU_STAFF: ClaimState.SUBMITTED,
            Role.BUREAU_HEAD: ClaimState.SUBMITTED,
            Role.LEADING_GROUP: ClaimState.GROUP_REVIEW,
        }.get(role)
        waiting = Claim.objects.visible_to(user).filter(state=queue) if queue else None
        return [
            NavItem(
                nav_url("compensation:claim-list"),
                _("Compensation claims"),
                counting=waiting,
                # what `waiting` is built from: the role's state and visible_to's program
                counting_key=("compensation.claims", role, user.program_id),
            ),
            NavItem(nav_url("compensation:ledger"), _("Compensation ledger")),
            NavItem(nav_url("compensation:budget-list"), _("Compensation budgets")),
        ]
    return []
