"""Typed refusals: services raise these with translated messages; views map the TYPE (never the text) to a status.

    Refused      400  the request breaks a rule (the message cites the article)
    NotAllowed   403  the user's role may not take this step here
    Conflict     409  someone else changed the record meanwhile
    NotFound     404  the record is not there (or not in the user's scope)

Each app's own errors subclass these (`applications.services.DomainError(Refused)`,
`review.services.ReviewError(Refused)`, `loans.services.LoanRefused(Refused)` ...), so one
`except Refused` catches them all and `status_for(exc)` answers the status.
"""

from __future__ import annotations

from collections.abc import Iterable


class Refused(Exception):
    """An operation refused, with every reason (translated, for the user)."""

    status = 400

    def __init__(self, problems: Iterable[str] | str = "") -> None:
        if isinstance(problems, str):
            self.problems = [problems] if problems else []
        else:
            self.problems = [str(p) for p in problems]
        super().__init__("；".join(self.problems))


class NotAllowed(Refused):
    """The user's role or scope may not take this step."""

    status = 403


class Conflict(Refused):
    """The record changed since the user loaded it; nothing was saved."""

    status = 409


class NotFound(Refused):
    status = 404


def status_for(exc: BaseException) -> int:
    """The HTTP status a view answers for a refusal (400 for anything that is not typed)."""
    return getattr(exc, "status", 400) if isinstance(exc, Refused) else 400
