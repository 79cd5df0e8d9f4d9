"""The navigation: each app's `nav.py` says what it offers the user; counts appear beside queues.

The menu is worked out only when a page shows it (base.html), once, and its counts are taken together: an item
gives a queryset to count (`NavItem.counting`), and all of them are counted in one query (`kedaitong.db.count_many`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject
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
    # The rows whose number `count` shows, counted with the menu's other counts in one query (`menu`).
    counting: QuerySet[Any] | None = dataclasses.field(default=None, compare=False, repr=False)
    # Told the number once counted, so a later part of the same page reuses it (the home page's review queue).
    counted: Callable[[int], None] | None = dataclasses.field(
        default=None, compare=False, repr=False
    )
    # What `counting` is made of, where the item can name it: its SQL is compiled once a process
    # (`kedaitong.db.count_many`'s keys; the same key must always build the same query).
    counting_key: Any = dataclasses.field(default=None, compare=False, repr=False)


# The URLs of the menu's argument-less pages, reversed once per URL configuration and script prefix: the same
# fifteen-odd names were reversed on every page.
_URLS: dict[tuple[str, str, Any], str] = {}


def nav_url(name: str) -> str:
    """`reverse(name)` for a URL name without arguments, remembered (the result depends only on the key)."""
    key = (name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    url = _URLS.get(key)
    if url is None:
        url = _URLS[key] = reverse(name)
    return url


@functools.cache
def _nav_modules() -> list[Any]:
    """The apps' `nav` modules in menu order, looked up once (an app without one is left out)."""
    found = []
    for app in NAV_APPS:
        try:
            found.append(import_module(f"{app}.nav"))
        except ModuleNotFoundError:
            continue
    return found


def menu(user: Any) -> list[NavItem]:
    """The user's menu in order, every count taken (one query for all of them)."""
    from kedaitong.db import count_many

    role = user.effective_role
    items: list[NavItem] = [NavItem(nav_url("home"), _("Home"))]
    if role:
        for module in _nav_modules():
            items.extend(module.items(user))
    if role == Role.ADMIN and user.is_staff:
        items.append(NavItem(nav_url("admin:index"), _("Administration")))
    lazy = [i for i, item in enumerate(items) if item.counting is not None]
    counts = count_many(
        [items[i].counting for i in lazy], keys=[items[i].counting_key for i in lazy]
    )
    for i, count in zip(lazy, counts, strict=True):
        if items[i].counted is not None:
            items[i].counted(count)
        items[i] = dataclasses.replace(
            items[i], count=count or None, counting=None, counted=None, counting_key=None
        )
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_role_label": ""}
    role = user.effective_role
    role_label = Role(role).label if role else _("No role")
    # Lazy: a page without the menu (a PDF, an e-mail, a fragment) counts nothing.
    return {"nav_items": SimpleLazyObject(lambda: menu(user)), "nav_role_label": role_label}
