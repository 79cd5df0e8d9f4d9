"""Navigation items of the review: the role's queue with its count, and the current program's review pages.

Meetings, publicity and the blacklist appear only where the user's current program runs them (its kind's
features, kedaitong.programs): a Quzhou user has none of them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from applications.scope import current_program
from kedaitong.context_processors import NavItem, nav_url
from kedaitong.models import Notification, User
from kedaitong.programs import Feature, has_feature
from kedaitong.roles import Role
from review.selectors import (
    QUEUE_ROLES,
    known_queue_count,
    queue_for,
    queue_key,
    queue_states,
    remember_queue_count,
)

GOVERNMENT = (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
PAGES = (
    (Feature.MEETINGS, "review:meeting-list", _("Meetings")),
    (Feature.PUBLICITY, "review:publicity-manage", _("Publicity")),
    (Feature.BLACKLIST, "review:blacklist", _("Blacklist")),
)


def items(user: User) -> list[NavItem]:
    role = user.effective_role
    found: list[NavItem] = []
    if role in QUEUE_ROLES and queue_states(user):
        # Counted with the menu's other counts, unless the queue page counted it already.
        known = known_queue_count(user)
        found.append(
            NavItem(nav_url("review:queue"), _("Review queue"), known)
            if known is not None
            else NavItem(
                nav_url("review:queue"),
                _("Review queue"),
                counting=queue_for(user),
                counting_key=("review.queue", queue_key(user)),
                # the home page's queue section, drawn after the menu, shows the same count
                counted=lambda n: remember_queue_count(user, n),
            )
        )
    if role in GOVERNMENT:
        program = current_program(user)
        found += [
            NavItem(nav_url(url), label)
            for feature, url, label in PAGES
            if has_feature(program, feature)
        ]
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    found.append(
        NavItem(
            nav_url("review:inbox"),
            _("Inbox"),
            counting=unread,
            counting_key=("review.inbox", user.pk),
        )
    )
    return found
