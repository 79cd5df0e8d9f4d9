"""Navigation items of the review: the role's queue with its count, meetings, publicity, blacklist, inbox."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kedaitong.context_processors import NavItem
from kedaitong.models import User
from kedaitong.roles import Role
from review.models import Notification
from review.selectors import QUEUE_ROLES, queue_count

GOVERNMENT = (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)


def items(user: User) -> list[NavItem]:
    role = user.effective_role
    found: list[NavItem] = []
    if role in QUEUE_ROLES:
        found.append(NavItem(reverse("review:queue"), _("Review queue"), queue_count(user)))
    if role in GOVERNMENT:
        found.append(NavItem(reverse("review:meeting-list"), _("Meetings")))
        found.append(NavItem(reverse("review:publicity-manage"), _("Publicity")))
        found.append(NavItem(reverse("review:blacklist"), _("Blacklist")))
    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    found.append(NavItem(reverse("review:inbox"), _("Inbox"), unread or None))
    return found
