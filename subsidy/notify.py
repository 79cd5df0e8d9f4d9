"""Who is told at each stage of a subsidy run (四(一)): the next actor, and the banks once their figures are public.

Each message goes to the inbox at once and by e-mail when the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from kedaitong.models import User
from kedaitong.notifications import notify
from kedaitong.roles import Role

if TYPE_CHECKING:
    from subsidy.models import BankFiling, BankPayment, RunObjection, SubsidyRun


def _send(recipients: Iterable[User], message: str, body: str = "") -> None:
    """The portal's one inbox (kedaitong.notifications): each active recipient once, e-mail at commit."""
    notify(recipients, message, body=body)


def _program_users(run: SubsidyRun, *roles: str) -> list[User]:
    return list(User.objects.filter(is_active=True, role__in=roles, program=run.program_id))


def _bank_users(run: SubsidyRun, banks: Iterable[int] | None = None) -> list[User]:
    if banks is None:
        banks = run.lines.values_list("bank_id", flat=True).distinct()
    return list(User.objects.filter(is_active=True, role=Role.BANK, bank__in=list(banks)))


def notify_stage(run: SubsidyRun, *, actor: User) -> None:
    """Tell whoever acts next that the run has reached its stage (and the banks once it is public)."""
    from subsidy.models import RunState

    head = _("Interest subsidy %(year)d (%(program)s): %(state)s, by %(who)s.") % {
        "year": run.year,
        "program": run.program.name,
        "state": run.get_state_display(),
        "who": str(actor),
    }
    state = run.state
    if state == RunState.COMPUTED:
        _send(
            _program_users(run, Role.ACCOUNTANT),
            head + " " + _("Please audit it with the PBoC branch (Quzhou 四(一))."),
        )
    elif state == RunState.AUDITED:
        _send(
            _program_users(run, Role.BUREAU_STAFF),
            head + " " + _("The compliance review is next."),
            run.audit_note,
        )
    elif state == RunState.REVIEWED:
        _send(
            _program_users(run, Role.BUREAU_HEAD),
            head + " " + _("The party-group meeting approves it next."),
            run.review_opinion,
        )
    elif state == RunState.APPROVED:
        _send(
            _program_users(run, Role.BUREAU_STAFF),
            head + " " + _("The publicity is next."),
            run.meeting_note,
        )
    elif state == RunState.PUBLICIZED:
        period = _("Publicity from %(start)s to %(end)s.") % {
            "start": f"{run.publicity_start:%Y-%m-%d}",
            "end": f"{run.publicity_end:%Y-%m-%d}",
        }
        _send(
            _program_users(run, Role.BUREAU_STAFF, Role.BUREAU_HEAD) + _bank_users(run),
            head + " " + period,
        )
    elif state == RunState.ISSUED:
        _send(
            _program_users(run, Role.BUREAU_STAFF) + _bank_users(run),
            head + " " + _("Funds document %(no)s.") % {"no": run.document_no},
        )
    elif state == RunState.PAID:
        _send(_program_users(run, Role.BUREAU_STAFF, Role.BUREAU_HEAD), head)
    elif state == RunState.CANCELLED:
        _send(
            _program_users(run, Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.ACCOUNTANT),
            head,
            run.cancel_reason,
        )


def notify_objection(objection: RunObjection) -> None:
    run = objection.run
    _send(
        _program_users(run, Role.BUREAU_STAFF, Role.BUREAU_HEAD),
        _("Objection to the interest subsidy %(year)d publicity from %(name)s: please rule on it.")
        % {"year": run.year, "name": objection.name},
        objection.reason,
    )


def notify_payment(run: SubsidyRun, payment: BankPayment) -> None:
    _send(
        _bank_users(run, [payment.bank_id]),
        _(
            "Interest subsidy %(year)d paid to %(bank)s: %(amount)s yuan on %(day)s, voucher %(voucher)s."
        )
        % {
            "year": run.year,
            "bank": payment.bank.name,
            "amount": f"{payment.amount:,.2f}",
            "day": f"{payment.paid_on:%Y-%m-%d}",
            "voucher": payment.voucher_no,
        },
    )


def notify_filing(filing: BankFiling) -> None:
    """A new filing goes to the bureau, which records the four sign-offs; the decision goes to the bank."""
    from subsidy.models import BankFiling

    users = User.objects.filter(is_active=True)
    state = filing.state
    if state == BankFiling.State.FILED:
        _send(
            users.filter(role__in=[Role.BUREAU_STAFF, Role.BUREAU_HEAD], program=filing.program_id),
            _("%(bank)s filed to be on file for %(program)s: record the four bodies' sign-offs.")
            % {"bank": filing.bank.name, "program": filing.program.name},
            filing.statement,
        )
    elif state in (BankFiling.State.APPROVED, BankFiling.State.REJECTED):
        _send(
            users.filter(role=Role.BANK, bank=filing.bank_id),
            _("Your filing for %(program)s: %(state)s.")
            % {"program": filing.program.name, "state": filing.get_state_display()},
        )
