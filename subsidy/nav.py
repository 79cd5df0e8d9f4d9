"""Navigation items of the interest subsidy (Quzhou program roles and admins)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kedaitong.context_processors import NavItem
from kedaitong.models import User
from kedaitong.roles import PROGRAM_ROLES, Role


def items(user: User) -> list[NavItem]:
    role = user.effective_role
    if role == Role.ADMIN:
        return [
            NavItem(reverse("subsidy:run-list"), _("Interest subsidy")),
            NavItem(reverse("subsidy:filing-list"), _("Banks on file")),
            NavItem(reverse("subsidy:fraud-list"), _("Fraud records")),
            NavItem(reverse("subsidy:lpr-import"), _("LPR")),
        ]
    if (
        role == Role.ACCOUNTANT
    ):  # the accounting firm audits its program's runs (四(一)), nothing else
        has_subsidy = (
            user.program_id and user.program.versions.filter(subsidy_share__isnull=False).exists()  # type: ignore[union-attr]
        )
        return [NavItem(reverse("subsidy:run-list"), _("Interest subsidy"))] if has_subsidy else []
    if role in PROGRAM_ROLES and user.program_id and user.program.kind == "quzhou_coop_loan":
        return [
            NavItem(reverse("subsidy:run-list"), _("Interest subsidy")),
            NavItem(reverse("subsidy:filing-list"), _("Banks on file")),
            NavItem(reverse("subsidy:fraud-list"), _("Fraud records")),
        ]
    if role == Role.BANK and user.bank_id:
        return [
            NavItem(reverse("subsidy:bank-subsidy"), _("Interest subsidy")),
            NavItem(reverse("subsidy:filing-list"), _("Banks on file")),
        ]
    return []
