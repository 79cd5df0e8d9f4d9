"""Navigation: the bank's API tokens (and, for the administrator, every bank's)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kedaitong.context_processors import NavItem, nav_url
from kedaitong.models import User
from kedaitong.roles import Role


def items(user: User) -> list[NavItem]:
    if user.effective_role in (Role.BANK, Role.ADMIN):
        return [NavItem(nav_url("api-tokens:list"), _("API tokens"))]
    return []
