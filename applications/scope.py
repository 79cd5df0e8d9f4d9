"""Which program a user works in: their own program, or the one chosen with the program switch.

Government roles (bureau staff and head, leading group, auditor) belong to one program. A bank with
agreements (or loans, or applications) in several programs, and the administrator, work in one program at a
time: the switch in the page header stores the choice in the session (`SESSION_KEY`), and without a choice
the first of their programs (by creation) is theirs. Enterprises are not scoped: their records are their own,
whatever the program.

`Model.objects.visible_to(user)` narrows banks and administrators to `current_program(user)`, so lists,
queues, menus, dashboards, ledgers and exports show one program; the switch shows another.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from applications.models import Application, Program, ProgramVersion
from kedaitong.roles import PROGRAM_ROLES, Role

SESSION_KEY = "program"


def programs_of(user: Any) -> list[Program]:
    """The programs `user` may work in (the switch offers them when there is more than one)."""
    cache = getattr(
        user, "_scope_cache", None
    )  # per request (ProgramMiddleware); never on a long-lived object
    if cache is not None and "programs" in cache:
        return cache["programs"]
    found: list[Program] = []
    if getattr(user, "is_authenticated", False):
        role = user.effective_role
        if role == Role.ADMIN:
            found = list(Program.objects.order_by("pk"))
        elif role in PROGRAM_ROLES and user.program_id:
            found = [user.program]
        elif role == Role.BANK and user.bank_id:
            # Agreements and loans are the bank side's models (reached through the relations, not imported).
            agreement = Program._meta.get_field("agreements").related_model
            loan = ProgramVersion._meta.get_field("loans").related_model
            found = list(
                Program.objects.filter(
                    Exists(agreement.objects.filter(program=OuterRef("pk"), bank=user.bank_id))
                    | Exists(
                        loan.objects.filter(
                            program_version__program=OuterRef("pk"), bank=user.bank_id
                        )
                    )
                    | Exists(
                        Application.objects.filter(
                            program_version__program=OuterRef("pk"), bank=user.bank_id
                        )
                    )
                ).order_by("pk")
            )
    if cache is not None:
        cache["programs"] = found
    return found


def current_program(user: Any) -> Program | None:
    """The program `user` is working in now (None for enterprises, anonymous visitors and users without one)."""
    if not getattr(user, "is_authenticated", False):
        return None
    cache = getattr(user, "_scope_cache", None)
    if cache is not None and "current" in cache:
        return cache["current"]
    options = programs_of(user)
    chosen = getattr(user, "program_choice", None)
    program = next((p for p in options if p.code == chosen), options[0] if options else None)
    if cache is not None:
        cache["current"] = program
    return program


def current_program_id(user: Any) -> int | None:
    program = current_program(user)
    return program.pk if program is not None else None


def choose(request: Any, code: str) -> Program | None:
    """The switch: remember `code` in the session if it is one of the user's programs; returns the program."""
    program = next((p for p in programs_of(request.user) if p.code == code), None)
    if program is not None:
        request.session[SESSION_KEY] = program.code
        request.user.program_choice = program.code
        getattr(request.user, "_scope_cache", {}).pop("current", None)
    return program


def program_filter(user: Any, path: str = "program") -> Q:
    """`Q(<path>=current program)` for banks and administrators; everything for other roles (already scoped)."""
    if getattr(user, "is_authenticated", False) and user.effective_role in (Role.BANK, Role.ADMIN):
        return Q(**{path: current_program_id(user)})
    return Q()


class ProgramMiddleware:
    """Puts the session's program choice on the user, for `current_program` (after the authentication middleware).

    A link may carry `?program=<code>` (the inbox's links do): when it names one of the user's programs, it
    becomes the user's choice, so a record of another of their programs opens in that program.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            user.program_choice = request.session.get(SESSION_KEY)
            user._scope_cache = {}
            wanted = request.GET.get(SESSION_KEY)
            if wanted and wanted != user.program_choice:
                choose(request, wanted)
        return self.get_response(request)
