"""Navigation items for the ledgers and the bureau's enterprise directory."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kedaitong.context_processors import NavItem, nav_url
from kedaitong.models import User
from reports.directory import DIRECTORY_ROLES
from reports.ledgers import ledgers_for


def items(user: User) -> list[NavItem]:
    found = [NavItem(nav_url("reports:index"), _("Ledgers"))] if ledgers_for(user) else []
    if user.effective_role in DIRECTORY_ROLES:
        found.append(NavItem(nav_url("reports:enterprise-list"), _("Enterprises")))
    return found
