"""Navigation item for the ledgers."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kedaitong.context_processors import NavItem
from kedaitong.models import User
from reports.ledgers import ledgers_for


def items(user: User) -> list[NavItem]:
    return [NavItem(reverse("reports:index"), _("Ledgers"))] if ledgers_for(user) else []
