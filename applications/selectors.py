"""Reads of the enterprise side that other apps use (the review page, the bank portal).

The eligibility engine (issue 3) fills these; until it does they return empty
checklists, so callers can be written against the final shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from applications.models import Application

Status = Literal["pass", "fail", "unknown"]


@dataclass(frozen=True)
class RuleResult:
    """One line of an eligibility checklist: the rule, the article it applies, the outcome and why (in Chinese)."""

    code: str
    article: str
    status: Status
    reason: str


def eligibility_now(application: Application) -> list[RuleResult]:
    """The application's eligibility checklist judged against the enterprise's records today."""
    return []


def eligibility_at_submission(application: Application) -> list[RuleResult] | None:
    """The checklist stored when the application was (last) submitted; None if it never was."""
    return None
