"""One lifecycle for every kind: lock the application, check the step against its kind's workflow, take it, log it,
tell whoever it is handed to.

Every app that moves an application calls `step` here — the enterprise's submission (applications.services),
the Changjiang review (review.services), the Quzhou bank and bureau (review.services), a disbursement typed or
imported (loans.services) — so the checks, the audit row (`applications.application.<transition>`) and the
notifications are the same whichever way a step is taken. The transitions and their guards are the kind's
(`kedaitong.programs`, `applications/workflow.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applications.models import Application, Program
from kedaitong import programs
from kedaitong.audit import log_action
from kedaitong.errors import Conflict, NotAllowed, Refused
from kedaitong.models import AuditEntry, User
from kedaitong.notifications import notify
from kedaitong.roles import Role


class StepRefused(Refused):
    """A step that is not possible now (state, kind or conditions); the message says which."""


class StepNotAllowed(StepRefused, NotAllowed):
    """The user's role or scope may not take this step on this application."""

    def __init__(self, problems: Any = None) -> None:
        super().__init__(problems or _("Your role may not take this step on this application."))


class StaleApplication(StepRefused, Conflict):
    """Someone else changed the application since this user loaded it."""

    def __init__(self, application: Application, change: AuditEntry | None) -> None:
        self.application = application
        self.change = change
        if change is not None:
            who = change.actor_name or _("someone")
            message = _(
                "%(who)s changed this application from “%(from)s” to “%(to)s” at %(at)s. Nothing was saved; what you typed is kept below."
            ) % {
                "who": who,
                "from": state_label(change.from_state),
                "to": state_label(change.to_state),
                "at": timezone.localtime(change.at).strftime("%Y-%m-%d %H:%M"),
            }
        else:
            message = _(
                "Someone else changed this application meanwhile. Nothing was saved; what you typed is kept below."
            )
        super().__init__(message)


def state_label(code: str) -> str:
    return str(Application.State(code).label) if code in Application.State.values else code


def last_change(application: Application) -> AuditEntry | None:
    return (
        AuditEntry.objects.for_object(application)
        .exclude(to_state="")
        .order_by("-at", "-pk")
        .first()
    )


def lock_program(program_id: int) -> None:
    """The program's row under a lock (FOR NO KEY UPDATE, tests/kedaitong/test_row_locks.py): the writers that must
    not overlap within one program queue here (its banks' files, API batches and disbursements, the all-banks cap,
    a subsidy run).

    The order of locks, which keeps PostgreSQL free of deadlocks (tests/loans/test_race.py): the program's row,
    then the applications' (`lock`), then the audit chain's, which the transaction's first audit entry takes and
    holds to commit (kedaitong/auditchain.py). A transaction that will need the program's row takes it first."""
    Program.objects.select_for_update(no_key=True).filter(pk=program_id).first()


def lock(application: Application, seen_state: str | None = None) -> Application:
    """The application under a row lock; `seen_state` (the state the user's page showed) must still hold."""
    locked = (
        Application.objects.select_for_update(no_key=True, of=("self",))
        .select_related("program_version__program", "enterprise", "bank")
        .get(pk=application.pk)
    )
    if seen_state is not None and locked.state != seen_state:
        raise StaleApplication(locked, last_change(locked))
    return locked


def permitted(application: Application, name: str, actor: User) -> bool:
    """The transition's role and scope only (conditions are checked apart, with their own message)."""
    method = getattr(application, name)
    meta = method._django_fsm
    found = meta.get_transition(meta.field.get_state(application))
    return found is not None and found.has_perm(application, actor)


def possible(application: Application, name: str) -> bool:
    """`name` belongs to the application's kind and leaves its current state (conditions aside)."""
    workflow = programs.spec(application).workflow
    method = getattr(application, name, None)
    return (
        workflow.has(name)
        and method is not None
        and can_proceed(method, check_conditions=False)
        and (name != "withdraw" or application.state in workflow.open_states)
    )


def step(
    application: Application,
    name: str,
    *,
    actor: User | None,
    comment: str = "",
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    action: str = "",
    check_role: bool = True,
    prepare: Callable[[Application], dict[str, Any] | None] | None = None,
) -> AuditEntry:
    """Take transition `name` (state only), save, log, tell the parties. The caller holds the lock (`lock`).

    `actor` None is the system (a command, a batch closing); otherwise the kind's role for the step is checked,
    unless the caller checked who may act itself (`check_role=False`: an import by its uploader).
    `prepare(application)` runs after the transition and before the save (the submission's kept PDF, dated by
    the transition); what it returns joins the audit row's data.
    """
    if not possible(application, name):
        raise StepRefused(
            _("This step is not possible while the application is “%(state)s”.")
            % {"state": application.get_state_display()}
        )
    if check_role and actor is not None and not permitted(application, name, actor):
        raise StepNotAllowed()
    method = getattr(application, name)
    if not can_proceed(method):
        raise StepRefused(_("The conditions of this step are not met yet."))
    from_state = application.state
    method()
    if prepare is not None:
        data = (data or {}) | (prepare(application) or {})
    application.save()
    entry = log_action(
        actor=actor,
        action=action or f"applications.application.{name}",
        obj=application,
        from_state=from_state,
        to_state=application.state,
        comment=comment,
        data=data,
        request=request,
    )
    # The audit row dated the entry into the new state in the database (applications.signals); so here.
    application.state_entered_at = entry.at
    tell_parties(application, entry)
    return entry


# --- who is told ------------------------------------------------------------------------------------------------


def parties(application: Application) -> list[User]:
    """The enterprise's users, the bank's users where the kind involves the bank, and the role whose queue it joins."""
    workflow = programs.spec(application).workflow
    users = User.objects.filter(is_active=True)
    found = list(users.filter(role=Role.ENTERPRISE, enterprise=application.enterprise_id))
    if application.bank_id and application.state in workflow.bank_states:
        found += list(users.filter(role=Role.BANK, bank=application.bank_id))
    next_role = workflow.next_role.get(application.state)
    if next_role and next_role not in (Role.BANK, Role.ENTERPRISE):
        found += list(users.filter(role=next_role, program=application.program_version.program_id))
    return found


def tell_parties(application: Application, entry: AuditEntry, *, message: str = "") -> None:
    """Inbox and e-mail (at commit) to `parties`: the hand-over of every step, the enterprise's submission included."""
    message = message or _("%(reference)s %(enterprise)s: %(state)s (by %(who)s)") % {
        "reference": application.display_reference,
        "enterprise": application.enterprise.name,
        "state": application.get_state_display(),
        "who": entry.actor_name,
    }
    notify(parties(application), message, body=entry.comment, application=application)


def tell_bureau(
    *, program_id: int | None, message: str, body: str = "", application: Any = None
) -> None:
    """Tell the bureau (staff and head of the program; every bureau user when no program): inbox now, e-mail on commit."""
    users = User.objects.filter(is_active=True, role__in=[Role.BUREAU_STAFF, Role.BUREAU_HEAD])
    if program_id is not None:
        users = users.filter(program=program_id)
    notify(users, message, body=body, application=application)
