"""Navigation items of the bank side, for the user's current program (post-loan reports only where it has them)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from applications.scope import current_program
from kedaitong.context_processors import NavItem, nav_url
from kedaitong.models import User
from kedaitong.programs import Feature, has_feature
from kedaitong.roles import PROGRAM_ROLES, Role


def items(user: User) -> list[NavItem]:
    role = user.effective_role
    records = [
        NavItem(nav_url("loans:loan-list"), _("Loans")),
        NavItem(nav_url("loans:upload-list"), _("Uploads")),
    ]
    if has_feature(current_program(user), Feature.POST_LOAN_REPORTS):
        records.append(NavItem(nav_url("loans:report-overview"), _("Post-loan reports")))
    if role == Role.BANK and user.bank_id:
        return [
            NavItem(reverse("loans:bank-detail", args=[user.bank.code]), _("My bank")),
            *records,
        ]
    if role in PROGRAM_ROLES or role == Role.ADMIN:
        return [NavItem(nav_url("loans:bank-list"), _("Banks")), *records]
    if role == Role.ENTERPRISE:
        return [NavItem(nav_url("loans:loan-list"), _("Loans"))]
    return []
