"""Reading the history of money rows for a record's page: who, when, through what, before and after."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kedaitong.money import format_yuan
from kedaitong.roles import Role
from operations.history import TRACKED
from operations.models import RecordChange

# Who sees the history sections: the government side and the administrator, not banks or enterprises.
HISTORY_ROLES = frozenset(
    {Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN}
)
SHOWN = 200  # changes listed on a page, newest first
BULK = 10  # more inserts than this of one kind in one request or job are shown as one line

# Stored subsidy lines have no verbose names of their own (they are figures copied at commit).
LABELS = {
    "principal": gettext_lazy("Principal (yuan)"),
    "annual_rate": gettext_lazy("Annual rate (%)"),
    "lpr": gettext_lazy("LPR (%)"),
    "settled_interest": gettext_lazy("Interest settled (yuan)"),
    "overdue_interest": gettext_lazy("Overdue-period interest (yuan)"),
    "eligible_interest": gettext_lazy("Eligible interest (yuan)"),
    "share": gettext_lazy("Subsidy share (%)"),
    "computed": gettext_lazy("Subsidy before pro-rating (yuan)"),
    "amount": gettext_lazy("Amount (yuan)"),
    "bank_code": gettext_lazy("Bank code"),
    "contract_no": gettext_lazy("Contract number"),
    "enterprise_name": gettext_lazy("Enterprise"),
    "version_code": gettext_lazy("Program version"),
    "disbursement_date": gettext_lazy("Disbursement date"),
}


# Models without a verbose name of their own.
MODEL_LABELS = {
    "subsidy.subsidyline": gettext_lazy("subsidy line"),
    "subsidy.bankpayment": gettext_lazy("subsidy payment to a bank"),
}


def _model_label(model: type[models.Model]) -> str:
    return str(MODEL_LABELS.get(model._meta.label_lower, model._meta.verbose_name))


def may_see_history(user: Any) -> bool:
    return bool(user.is_authenticated and user.effective_role in HISTORY_ROLES)


@dataclass
class FieldChange:
    label: str
    before: str
    after: str
    column: str = ""


@dataclass
class Change:
    id: int
    at: dt.datetime
    actor: str
    role: str
    via: str
    via_detail: str
    record: str
    operation: str
    kind: str  # insert / update / delete
    model: type[models.Model] | None = None
    fields: list[FieldChange] = field(default_factory=list)
    count: int = 1  # >1: a bulk insert shown as one line


@dataclass
class History:
    changes: list[Change]
    total: int

    @property
    def more(self) -> int:
        return max(self.total - sum(c.count for c in self.changes), 0)


def _children() -> dict[str, list[tuple[str, str]]]:
    """Tracked model → the tracked models whose rows belong to its page, with their foreign key column."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for label, column in TRACKED.items():
        if not column:
            continue
        model = apps.get_model(label)
        fk = next(f for f in model._meta.concrete_fields if f.column == column)
        found[fk.related_model._meta.label_lower].append((label, column))
    return found


def _scope(root: str, ids: Iterable[Any]) -> Q:
    """The record(s) and, level by level, every tracked row under them (deleted ones included)."""
    ids = {str(i) for i in ids}
    q = Q(model=root, object_id__in=ids)
    children = _children()
    frontier = [(root, ids)]
    while frontier:
        parent, parent_ids = frontier.pop()
        for child, _column in children.get(parent, []):
            q |= Q(model=child, parent_id__in=parent_ids)
            if children.get(child):
                child_ids = set(
                    RecordChange.objects.filter(model=child, parent_id__in=parent_ids)
                    .values_list("object_id", flat=True)
                    .distinct()
                )
                if child_ids:
                    frontier.append((child, child_ids))
    return q


def history_of(obj: models.Model) -> History:
    return history_for(obj._meta.label_lower, [obj.pk])


def history_for(root: str, ids: Iterable[Any]) -> History:
    """The changes to the records `ids` of model `root` and to the tracked rows under them, newest first."""
    scope = _scope(root, ids)
    rows = RecordChange.objects.filter(scope)
    total = rows.count()
    # Bulk inserts (a subsidy run's lines, an import's rows) are shown as one line per kind and request.
    groups = (
        rows.filter(operation=RecordChange.Operation.INSERT)
        .exclude(context_id="")
        .values("model", "context_id")
        .annotate(n=Count("id"), last=Max("id"))
        .filter(n__gt=BULK)
    )
    bulk = {(g["model"], g["context_id"]): g for g in groups}
    singles = rows
    for model, context_id in bulk:
        singles = singles.exclude(
            model=model, context_id=context_id, operation=RecordChange.Operation.INSERT
        )
    picked = list(singles.order_by("-id")[:SHOWN])
    summaries = RecordChange.objects.in_bulk([g["last"] for g in bulk.values()])
    changes = [_change(r) for r in picked]
    for (model, _context), group in bulk.items():
        change = _change(summaries[group["last"]], fields=False)
        change.count = group["n"]
        change.record = _("%(count)s × %(kind)s") % {
            "count": group["n"],
            "kind": _model_label(apps.get_model(model)),
        }
        changes.append(change)
    changes.sort(key=lambda c: c.id, reverse=True)
    _resolve_names(changes)
    return History(changes=changes[:SHOWN], total=total)


# --- Presenting one change --------------------------------------------------------------------------

_SKIP = {"id", "public_id"}


def _via(via: str) -> tuple[str, str]:
    kind, _sep, detail = via.partition(":")
    if kind == "web":
        method, _space, path = detail.partition(" ")
        if path.startswith("/admin/"):
            return _("administration site"), path
        return _("portal page"), path
    if kind == "job":
        return _("background job"), detail
    if kind == "command":
        return _("command"), detail
    if not via:
        return _("outside the portal"), _("directly in the database")
    return via, ""


def _field_map(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {f.column: f for f in model._meta.concrete_fields if f.column}


def _label(f: models.Field[Any, Any]) -> str:
    if f.name in LABELS and str(f.verbose_name) == f.name.replace("_", " "):
        return str(LABELS[f.name])
    return str(f.verbose_name)


def _show(f: models.Field[Any, Any], value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        if isinstance(f, models.DecimalField):
            number = Decimal(str(value))
            return format_yuan(number) if f.decimal_places == 2 else f"{number:f}"
        if isinstance(f, models.BooleanField):
            return _("Yes") if value in (True, 1, "1", "true") else _("No")
        if isinstance(f, models.DateTimeField):
            moment = f.to_python(str(value).replace(" ", "T", 1))
            if moment is not None and timezone.is_naive(moment):
                moment = timezone.make_aware(moment, dt.UTC)
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else str(value)
        if isinstance(f, models.DateField):
            return str(f.to_python(value))
        if f.choices:
            return str(dict(f.flatchoices).get(value, value))
    except (ValueError, TypeError, InvalidOperation, Exception):
        return str(value)
    return str(value)


def _shown_field(f: models.Field[Any, Any]) -> bool:
    if f.column in _SKIP or f.primary_key:
        return False
    if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
        return False
    return True


def _change(row: RecordChange, *, fields: bool = True) -> Change:
    model = apps.get_model(row.model)
    via, via_detail = _via(row.via)
    columns = _field_map(model)
    change = Change(
        id=row.pk,
        at=row.at,
        actor=row.actor_name or (_("system") if row.via else _("unknown")),
        role=str(dict(Role.choices).get(row.actor_role, row.actor_role)),
        via=via,
        via_detail=via_detail,
        record=f"{_model_label(model)} #{row.object_id}",
        operation=row.get_operation_display(),
        kind=row.operation,
    )
    change.model = model
    if not fields:
        return change
    parent = TRACKED.get(row.model, "")
    for column, f in columns.items():
        if not _shown_field(f):
            continue
        if column == parent and row.operation != RecordChange.Operation.UPDATE:
            continue  # the record whose page this is
        before = (row.before or {}).get(column)
        after = (row.after or {}).get(column)
        if row.operation == RecordChange.Operation.UPDATE:
            if _same(before, after):
                continue
            change.fields.append(FieldChange(_label(f), _show(f, before), _show(f, after), column))
        elif row.operation == RecordChange.Operation.INSERT:
            if after not in (None, ""):
                change.fields.append(FieldChange(_label(f), "", _show(f, after), column))
        elif before not in (None, ""):
            change.fields.append(FieldChange(_label(f), _show(f, before), "", column))
    return change


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError):
        return False


def _resolve_names(changes: list[Change]) -> None:
    """Show the records a row points to by name (a person, an upload's file, a bank) rather than by number."""
    from loans.models import RecordUpload

    def name(obj: Any) -> str:
        return obj.original_name if isinstance(obj, RecordUpload) else str(obj)

    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    links = []
    for change in changes:
        columns = _field_map(change.model) if change.model else {}
        for item in change.fields:
            related = getattr(columns.get(item.column), "related_model", None)
            if related is not None:
                links.append((item, related))
                wanted[related] |= {v for v in (item.before, item.after) if v not in ("", "—")}
    names: dict[type[models.Model], dict[str, str]] = {}
    for model, ids in wanted.items():
        try:
            found = model._default_manager.in_bulk([int(i) for i in ids if str(i).isdigit()])
        except (ValueError, TypeError):
            continue
        names[model] = {str(pk): name(obj) for pk, obj in found.items()}
    for item, related in links:
        item.before = names.get(related, {}).get(item.before, item.before)
        item.after = names.get(related, {}).get(item.after, item.after)
