"""Parts that several kinds share: guards of the application's state machine, and small submission helpers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def eligibility_not_failed(application: Any) -> bool:
    """No rule of the checklist judged today fails (unknown is for the reviewer to weigh)."""
    from applications.eligibility import OPTIONAL
    from applications.selectors import eligibility_now

    # The alternatives of Changjiang 第六条(一)2 fail on their own by design; their aggregate line decides.
    return all(
        result.status != "fail"
        for result in eligibility_now(application)
        if result.code not in OPTIONAL
    )


def loan_opened(application: Any) -> bool:
    """The bank's loan for this application is registered (loans.services.loan_register)."""
    return application.loans.exists()


def missing(value: Any, label: Any) -> list[str]:
    """[“<label> is missing.”] when `value` is empty, else []."""
    if value in (None, ""):
        return [_("%(field)s is missing.") % {"field": label}]
    return []
