"""The roles a user can hold, and which of them are scoped to a program."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    BUREAU_STAFF = "bureau_staff", _("Bureau staff")
    BUREAU_HEAD = "bureau_head", _("Bureau head")
    LEADING_GROUP = "leading_group", _("Leading group")
    BANK = "bank", _("Bank")
    AUDITOR = "auditor", _("Finance bureau / auditor")
    # Quzhou 四(一): the qualified third-party accounting firm the bureau retains each March to audit the
    # previous year's interest subsidy with the PBoC branch. Reads its program like the auditor; its one
    # act is the audit of a subsidy run.
    ACCOUNTANT = "accountant", _("Third-party accounting firm")
    ADMIN = "admin", _("Administrator")


# Government roles see the applications and loans of one program: their own.
PROGRAM_ROLES = frozenset(
    {Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ACCOUNTANT}
)
# Roles that may change nothing anywhere (the accounting firm only records its audit of a subsidy run).
READ_ONLY_ROLES = frozenset({Role.AUDITOR})
