"""Telling people: one inbox row per recipient now, one e-mail per address when the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from kedaitong.models import Notification, User


def notify(
    users: Iterable[User], message: str, *, body: str = "", application: Any = None
) -> list[User]:
    """Each of `users` (once, active ones only) gets `message` in the inbox; their e-mail addresses get it at commit.

    Returns the recipients. Nothing is sent if the transaction rolls back.
    """
    seen: set[int] = set()
    recipients = []
    for user in users:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        recipients.append(user)
    Notification.objects.bulk_create(
        Notification(user=u, application=application, message=message[:300]) for u in recipients
    )
    emails = sorted({u.email for u in recipients if u.email})
    if emails:
        text = message + ("\n\n" + body if body else "")
        transaction.on_commit(
            lambda: send_mail(
                message[:150], text, settings.DEFAULT_FROM_EMAIL, emails, fail_silently=True
            )
        )
    return recipients


def notify_users(
    recipients: Sequence[User], *, message: str, body: str = "", application: Any = None
) -> None:
    """One inbox row per recipient now, and one e-mail to those with an address once the transaction commits."""
    notify(recipients, message, body=body, application=application)


def notify_program(
    *,
    roles: Sequence[str],
    program_id: int | None,
    message: str,
    body: str = "",
    application: Any = None,
) -> list[User]:
    """Tell the users of `roles` in a program (every such user when no program): inbox now, e-mail on commit."""
    users = User.objects.filter(is_active=True, role__in=list(roles))
    if program_id is not None:
        users = users.filter(program=program_id)
    recipients = list(users)
    notify_users(recipients, message=message, body=body, application=application)
    return recipients
