"""The navigation: what each role may reach, computed once per request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kedaitong.roles import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_role_label": ""}
    role = user.effective_role
    items: list[tuple[str, Any]] = [(reverse("home"), _("Home"))]
    if role == Role.ENTERPRISE and user.enterprise_id:
        items.append((reverse("applications:enterprise-detail", args=[user.enterprise.public_id]), _("My enterprise")))
    if role == Role.BANK and user.bank_id:
        items.append((reverse("loans:bank-detail", args=[user.bank.code]), _("My bank")))
    if role in (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN):
        items.append((reverse("loans:bank-list"), _("Banks")))
    if role == Role.ADMIN and user.is_staff:
        items.append((reverse("admin:index"), _("Administration")))
    role_label = Role(role).label if role else _("No role")
    return {"nav_items": items, "nav_role_label": role_label}
