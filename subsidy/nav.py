"""Navigation items of the interest subsidy and the banks on file, where the user's current program runs them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from applications.scope import current_program
from kedaitong.context_processors import NavItem, nav_url
from kedaitong.models import User
from kedaitong.programs import Feature, has_feature
from kedaitong.roles import PROGRAM_ROLES, Role


def items(user: User) -> list[NavItem]:
    role = user.effective_role
    program = current_program(user)
    subsidy = has_feature(program, Feature.SUBSIDY)
    filing = has_feature(program, Feature.BANK_FILING)
    fraud = has_feature(program, Feature.FRAUD_RECORDS)
    found: list[NavItem] = []
    if (
        role == Role.ACCOUNTANT
    ):  # the accounting firm audits its program's runs (四(一)), nothing else
        if subsidy:
            found.append(NavItem(nav_url("subsidy:run-list"), _("Interest subsidy")))
    elif role == Role.ADMIN or role in PROGRAM_ROLES:
        if subsidy:
            found.append(NavItem(nav_url("subsidy:run-list"), _("Interest subsidy")))
        if filing:
            found.append(NavItem(nav_url("subsidy:filing-list"), _("Banks on file")))
        if fraud:
            found.append(NavItem(nav_url("subsidy:fraud-list"), _("Fraud records")))
        if role == Role.ADMIN:
            found.append(NavItem(nav_url("subsidy:lpr-import"), _("LPR")))
    elif role == Role.BANK and user.bank_id:
        if subsidy:
            found.append(NavItem(nav_url("subsidy:bank-subsidy"), _("Interest subsidy")))
        if filing:
            found.append(NavItem(nav_url("subsidy:filing-list"), _("Banks on file")))
    return found
