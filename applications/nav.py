"""Navigation items of the enterprise side."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kedaitong.context_processors import NavItem
from kedaitong.models import User
from kedaitong.roles import Role


def items(user: User) -> list[NavItem]:
    if user.effective_role == Role.ENTERPRISE and user.enterprise_id:
        return [
            NavItem(
                reverse("applications:enterprise-detail", args=[user.enterprise.public_id]),
                _("My enterprise"),
            )
        ]
    return []
