"""Navigation items a kind registers for its own pages (KindSpec.menu), for the user's current program."""

from __future__ import annotations

from django.db.models import QuerySet

from applications.scope import current_program
from kedaitong import programs
from kedaitong.context_processors import NavItem, nav_url
from kedaitong.models import User


def items(user: User) -> list[NavItem]:
    program = current_program(user)
    if program is None:
        return []
    role = user.effective_role
    found = []
    for entry in programs.spec(program).menu:
        if role not in entry.roles:
            continue
        count = entry.count(user) if entry.count else None
        # A queryset is counted with the menu's other counts (one query for all of them).
        found.append(
            NavItem(nav_url(entry.url_name), entry.label, counting=count)
            if isinstance(count, QuerySet)
            else NavItem(nav_url(entry.url_name), entry.label, count)
        )
    return found
