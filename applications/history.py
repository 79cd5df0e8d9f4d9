"""An application's history in words (办理记录, issue 18 item 3): "企业提交申请", "科技局经办人受理审核".

The audit rows keep their codes (`applications.application.accept`, states `submitted`); people read a sentence:
the actor's role in words, then what was done. A transition's words come from its kind's workflow
(`WorkflowSpec.done`, else the transition's label), other actions from `ACTIONS` below; an action without
words reads as "handled the application", never as its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kedaitong import programs
from kedaitong.roles import Role

if TYPE_CHECKING:
    from applications.models import Application
    from kedaitong.models import AuditEntry

TRANSITION_PREFIX = "applications.application."

# Actions on an application that are not transitions of its state machine.
ACTIONS: dict[str, Any] = {
    "applications.application.created": _("created the draft"),
    "applications.application.saved": _("saved the draft"),
    "applications.material.added": _("uploaded a material"),
    "applications.material.removed": _("removed a material"),
    "applications.material.added_by_bank": _("added the bank's material (附件2 第11项)"),
    "applications.material.replaced_by_bank": _("replaced the bank's material (附件2 第11项)"),
    "applications.team_member.added": _("added a team member"),
    "applications.team_member.removed": _("removed a team member"),
    "review.opinion.drafted": _("drafted an opinion"),
    "review.publicity.started": _("started the publicity"),
    "review.objection.submitted": _("received an objection"),
    "review.objection.upheld": _("upheld an objection"),
    "review.objection.dismissed": _("dismissed an objection"),
}


@dataclass(frozen=True)
class HistoryLine:
    entry: AuditEntry
    role: str  # the actor's role in words ("科技局经办人"), "" for the system
    words: str  # the whole sentence: "科技局经办人受理审核"
    from_state: str  # state labels, "" when the state did not change
    to_state: str


def role_words(code: str) -> str:
    if not code:
        return ""
    try:
        return str(Role(code).label)
    except ValueError:
        return code


def action_words(application: Application, action: str) -> str:
    """What was done, in words, for `action` on `application` (its kind's words for its transitions)."""
    workflow = programs.spec(application).workflow
    if action == "applications.application.submitted":
        action = TRANSITION_PREFIX + workflow.submit
    if action in ACTIONS:
        return str(ACTIONS[action])
    if action.startswith(TRANSITION_PREFIX):
        name = action[len(TRANSITION_PREFIX) :]
        if name in workflow.done:
            return str(workflow.done[name])
        found = workflow.get(name)
        if found is not None:
            return str(found.label)
    return gettext("handled the application")


def line(application: Application, entry: AuditEntry) -> HistoryLine:
    from applications.models import Application as Model

    labels = dict(Model.State.choices)
    role = role_words(entry.actor_role)
    what = action_words(application, entry.action)
    words = gettext("%(role)s %(action)s") % {"role": role, "action": what} if role else what
    changed = bool(entry.to_state) and entry.from_state != entry.to_state
    return HistoryLine(
        entry=entry,
        role=role,
        words=words,
        from_state=str(labels.get(entry.from_state, entry.from_state)) if changed else "",
        to_state=str(labels.get(entry.to_state, entry.to_state)) if changed else "",
    )


def lines(application: Application, entries: Any) -> list[HistoryLine]:
    return [line(application, e) for e in entries]
