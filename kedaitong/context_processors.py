"""The navigation: each app's `nav.py` says what it offers the user; counts appear beside queues."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kedaitong.roles import Role

# Apps asked for navigation items, in menu order. Each may have a `nav.py`
# with `items(user) -> list[NavItem]`; `programs` adds the current program's kind's own entries.
NAV_APPS = [
    "applications",
    "review",
    "loans",
    "compensation",
    "subsidy",
    "programs",
    "reports",
    "api",
]


@dataclass(frozen=True)
class NavItem:
    url: str
    label: Any
    count: int | None = None


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_role_label": ""}
    role = user.effective_role
    items: list[NavItem] = [NavItem(reverse("home"), _("Home"))]
    if role:
        for app in NAV_APPS:
            try:
                module = import_module(f"{app}.nav")
            except ModuleNotFoundError:
                continue
            items.extend(module.items(user))
    if role == Role.ADMIN and user.is_staff:
        items.append(NavItem(reverse("admin:index"), _("Administration")))
    role_label = Role(role).label if role else _("No role")
    return {"nav_items": items, "nav_role_label": role_label}
