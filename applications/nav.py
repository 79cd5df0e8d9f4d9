"""Navigation items of the enterprise side."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kedaitong.context_processors import NavItem, nav_url
from kedaitong.models import User
from kedaitong.roles import Role


def items(user: User) -> list[NavItem]:
    from applications.models import AccountClaim

    role = user.effective_role
    if role == Role.ENTERPRISE and user.enterprise_id:
        return [
            NavItem(
                reverse("applications:enterprise-detail", args=[user.enterprise.public_id]),
                _("My enterprise"),
            ),
            NavItem(nav_url("applications:account"), _("Account")),
        ]
    if role == Role.BANK:
        return [NavItem(nav_url("applications:bank-invite"), _("Invite an enterprise"))]
    if role in (Role.BUREAU_STAFF, Role.BUREAU_HEAD) and user.program_id:
        waiting = AccountClaim.objects.filter(program=user.program_id).waiting()
        return [
            NavItem(
                nav_url("applications:claim-list"),
                _("Account claims"),
                counting=waiting,
                counting_key=("applications.claims", user.program_id),
            )
        ]
    if role == Role.ADMIN:
        return [NavItem(nav_url("applications:claim-list"), _("Account claims"))]
    return []
