"""Keeping the dashboards' tallies (reports.models) current, in the transaction of each change (issue 20).

Every write that changes a counted figure passes here: a save or delete of an application or a loan
(pre_save/pre_delete note the row as the database holds it, post_save/post_delete count the difference),
a change of an enterprise's technology field (its loans move to the new field), and the loans' bulk
writes (`loans.models.bulk_write` before, `bulk_written` after: the bank importer's bulk_create).
A change is applied as "minus the old row, plus the new one", by an upsert on the tally's key, so two
transactions touching the same key add up instead of overwriting each other. `rebuild()` recounts
everything from the records (`manage.py rebuild_tallies`, the migration that creates the tables, and
bench/seed.py after its bulk inserts, which bypass the signals).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

# The fields whose change moves a record between tallies.
APPLICATION_FIELDS = frozenset({"program_version", "state", "submitted_at", "created_at", "amount"})
LOAN_FIELDS = frozenset(
    {"program_version", "bank", "disbursement_date", "maturity_date", "enterprise", "principal"}
)

Delta = dict[tuple[Any, ...], list[int]]  # key → [count, fen]


def fen(amount: Decimal | None) -> int:
    return int((Decimal(amount or 0) * 100).to_integral_value())


def yuan(fen_total: int | None) -> Decimal:
    return (Decimal(fen_total or 0) / 100).quantize(Decimal("0.01"))


def entered_day(submitted_at: dt.datetime | None, created_at: dt.datetime | None) -> dt.date:
    """The Asia/Shanghai day an application entered the charts: submitted, or (a draft) created."""
    moment = submitted_at or created_at or timezone.now()
    return timezone.localtime(moment).date()


# --- reading the rows as the database holds them -------------------------------------------------


def _application_rows(pks: Iterable[int]) -> list[tuple[Any, ...]]:
    from applications.models import Application

    pks = list(pks)
    rows = []
    for i in range(0, len(pks), 500):
        rows += [
            (
                (program, entered_day(submitted_at, created_at), state, submitted_at is not None),
                amount,
            )
            for program, state, submitted_at, created_at, amount in Application.objects.filter(
                pk__in=pks[i : i + 500]
            )
            .order_by()
            .values_list(
                "program_version__program", "state", "submitted_at", "created_at", "amount"
            )
        ]
    return rows


def _loan_rows(pks: Iterable[int]) -> list[tuple[Any, ...]]:
    from loans.models import Loan

    pks = list(pks)
    rows = []
    for i in range(0, len(pks), 500):
        rows += [
            ((program, bank, day, field or 0, maturity), principal)
            for program, bank, day, field, maturity, principal in Loan.objects.filter(
                pk__in=pks[i : i + 500]
            )
            .order_by()
            .values_list(
                "program_version__program",
                "bank_id",
                "disbursement_date",
                "enterprise__tech_field",
                "maturity_date",
                "principal",
            )
        ]
    return rows


def _delta(minus: Iterable[tuple[Any, ...]] = (), plus: Iterable[tuple[Any, ...]] = ()) -> Delta:
    delta: Delta = defaultdict(lambda: [0, 0])
    for sign, rows in ((-1, minus), (1, plus)):
        for key, amount in rows:
            delta[key][0] += sign
            delta[key][1] += sign * fen(amount)
    return {k: v for k, v in delta.items() if v != [0, 0]}


def _apply(model: Any, keys: tuple[str, ...], value: str, delta: Delta) -> None:
    """Add each key's [count, fen] to its tally row (made when missing); drop rows that fall to zero."""
    if not delta:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    cols = ", ".join(qn(c) for c in keys)
    count, amount = qn("count"), qn(value)
    marks = ", ".join(["%s"] * (len(keys) + 2))
    where = " AND ".join(f"{qn(c)} = %s" for c in keys)
    # One order of keys for every writer, so two transactions upserting the same rows lock them in the
    # same order (no deadlock on PostgreSQL).
    keyed = sorted(delta.items(), key=lambda item: repr(item[0]))
    rows = [(*key, n, f) for key, (n, f) in keyed]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({cols}, {count}, {amount}) VALUES ({marks}) "
            f"ON CONFLICT ({cols}) DO UPDATE SET {count} = {table}.{count} + excluded.{count}, "
            f"{amount} = {table}.{amount} + excluded.{amount}",
            rows,
        )
        cursor.executemany(
            f"DELETE FROM {table} WHERE {where} AND {count} = 0", [key for key, _v in keyed]
        )


def apply_applications(delta: Delta) -> None:
    from reports.models import ApplicationTally

    _apply(ApplicationTally, ("program", "day", "state", "submitted"), "amount_fen", delta)


def apply_loans(delta: Delta) -> None:
    from reports.models import LoanTally

    _apply(LoanTally, ("program", "bank", "day", "tech_field", "maturity"), "principal_fen", delta)


# --- the signals ---------------------------------------------------------------------------------


def _touches(update_fields: Any, fields: frozenset[str]) -> bool:
    return update_fields is None or bool(fields & {f.removesuffix("_id") for f in update_fields})


class _Receivers:
    """The four receivers that keep one model's tallies: the row as the database holds it is noted before a
    save or delete, and the difference counted after (`rows` reads rows, `apply` adds a delta)."""

    def __init__(self, rows: Any, apply: Any, fields: frozenset[str]) -> None:
        self.rows, self.apply, self.fields = rows, apply, fields

    def before_save(self, sender: Any, instance: Any, update_fields: Any = None, **kw: Any) -> None:
        instance._tally_old = (
            self.rows([instance.pk])
            if instance.pk and _touches(update_fields, self.fields)
            else None
        )

    def after_save(self, sender: Any, instance: Any, update_fields: Any = None, **kw: Any) -> None:
        old = getattr(instance, "_tally_old", None)
        instance._tally_old = None
        if old is None and not kw.get("created") and not _touches(update_fields, self.fields):
            return
        self.apply(_delta(old or [], self.rows([instance.pk])))

    def before_delete(self, sender: Any, instance: Any, **kw: Any) -> None:
        instance._tally_old = self.rows([instance.pk])

    def after_delete(self, sender: Any, instance: Any, **kw: Any) -> None:
        self.apply(_delta(getattr(instance, "_tally_old", None) or []))

    def connect(self, sender: Any, uid: str) -> None:
        pre_save.connect(self.before_save, sender=sender, dispatch_uid=f"{uid}.1", weak=False)
        post_save.connect(self.after_save, sender=sender, dispatch_uid=f"{uid}.2", weak=False)
        pre_delete.connect(self.before_delete, sender=sender, dispatch_uid=f"{uid}.3", weak=False)
        post_delete.connect(self.after_delete, sender=sender, dispatch_uid=f"{uid}.4", weak=False)


_applications = _Receivers(_application_rows, apply_applications, APPLICATION_FIELDS)
_loans = _Receivers(_loan_rows, apply_loans, LOAN_FIELDS)


def _enterprise_before(sender: Any, instance: Any, update_fields: Any = None, **kw: Any) -> None:
    from applications.models import Enterprise

    instance._tally_field = (
        Enterprise.objects.filter(pk=instance.pk).values_list("tech_field", flat=True).first()
        if instance.pk and _touches(update_fields, frozenset({"tech_field"}))
        else None
    )


def _enterprise_after(sender: Any, instance: Any, created: bool = False, **kw: Any) -> None:
    """A changed technology field moves the enterprise's loans to the new field's tallies."""
    from loans.models import Loan

    if created or not _touches(kw.get("update_fields"), frozenset({"tech_field"})):
        return
    old_field = getattr(instance, "_tally_field", None) or 0
    new_field = instance.tech_field_id or 0
    if old_field == new_field:
        return
    rows = list(
        Loan.objects.filter(enterprise=instance.pk)
        .order_by()
        .values_list(
            "program_version__program", "bank_id", "disbursement_date", "maturity_date", "principal"
        )
    )
    apply_loans(
        _delta(
            [((p, b, d, old_field, m), a) for p, b, d, m, a in rows],
            [((p, b, d, new_field, m), a) for p, b, d, m, a in rows],
        )
    )


# Bulk writes of loans: the rows before an update(), noted by the queryset object the write passes to both
# signals; a bulk delete sends each loan's pre/post_delete anyway.
# The entry holds its object, so the id is not reused while noted (a write that failed leaves it behind).
_noted: dict[int, tuple[Any, list[int], list[tuple[Any, ...]]]] = {}


def _note(token: Any, pks: list[int], rows: list[tuple[Any, ...]]) -> None:
    _noted[id(token)] = (token, pks, rows)


def _take(token: Any) -> tuple[list[int], list[tuple[Any, ...]]] | None:
    entry = _noted.get(id(token))
    if entry is None or entry[0] is not token:
        return None
    del _noted[id(token)]
    return entry[1], entry[2]


def _bulk_before(sender: Any, kind: str, objs: Any = None, queryset: Any = None, **kw: Any) -> None:
    from loans.models import Loan

    # bulk_update writes through update() on a queryset of its batch, which comes here as "update".
    if sender is not Loan or kind != "update" or not _touches(kw["values"], LOAN_FIELDS):
        return
    pks = list(queryset.order_by().values_list("pk", flat=True))
    _note(queryset, pks, _loan_rows(pks))


def _bulk_after(sender: Any, kind: str, objs: Any = None, queryset: Any = None, **kw: Any) -> None:
    from loans.models import Loan

    if sender is not Loan:
        return
    if kind == "create":
        apply_loans(_delta([], _loan_rows([o.pk for o in objs if o.pk])))
    elif kind == "update":
        noted = _take(queryset)
        if noted is not None:
            apply_loans(_delta(noted[1], _loan_rows(noted[0])))


def _updating(sender: Any, queryset: Any, values: dict[str, Any], **kw: Any) -> None:
    """Before a queryset update() of applications (or of enterprises' technology field): note the rows."""
    from applications.models import Application, Enterprise

    if sender is Application and _touches(values, APPLICATION_FIELDS):
        pks = list(queryset.order_by().values_list("pk", flat=True))
        _note(queryset, pks, _application_rows(pks))
    elif sender is Enterprise and _touches(values, frozenset({"tech_field"})):
        from loans.models import Loan

        pks = list(
            Loan.objects.filter(enterprise__in=queryset.order_by().values("pk")).values_list(
                "pk", flat=True
            )
        )
        _note(queryset, pks, _loan_rows(pks))


def _updated(sender: Any, queryset: Any, values: dict[str, Any], **kw: Any) -> None:
    from applications.models import Application

    noted = _take(queryset)
    if noted is None:
        return
    pks, old = noted
    if sender is Application:
        apply_applications(_delta(old, _application_rows(pks)))
    else:
        apply_loans(_delta(old, _loan_rows(pks)))


def connect() -> None:
    from applications.models import Application, Enterprise, updated, updating
    from loans.models import Loan, bulk_write, bulk_written

    uid = "reports.tallies"
    _applications.connect(Application, f"{uid}.a")
    _loans.connect(Loan, f"{uid}.l")
    pre_save.connect(_enterprise_before, sender=Enterprise, dispatch_uid=f"{uid}.e1")
    post_save.connect(_enterprise_after, sender=Enterprise, dispatch_uid=f"{uid}.e2")
    updating.connect(_updating, dispatch_uid=f"{uid}.u1", weak=False)
    updated.connect(_updated, dispatch_uid=f"{uid}.u2", weak=False)
    bulk_write.connect(_bulk_before, dispatch_uid=f"{uid}.b1", weak=False)
    bulk_written.connect(_bulk_after, dispatch_uid=f"{uid}.b2", weak=False)


# --- recounting ----------------------------------------------------------------------------------


def counted(application_model: Any = None, loan_model: Any = None) -> tuple[Delta, Delta]:
    """The tallies as the records say they are: ({application key: [count, fen]}, {loan key: ...})."""
    from applications.models import Application
    from loans.models import Loan

    application_model = application_model or Application
    loan_model = loan_model or Loan
    applications: Delta = defaultdict(lambda: [0, 0])
    for program, state, submitted_at, created_at, amount in (
        application_model.objects.order_by()
        .values_list("program_version__program", "state", "submitted_at", "created_at", "amount")
        .iterator(chunk_size=5000)
    ):
        row = applications[
            (program, entered_day(submitted_at, created_at), state, submitted_at is not None)
        ]
        row[0] += 1
        row[1] += fen(amount)
    loans: Delta = defaultdict(lambda: [0, 0])
    for program, bank, day, field, maturity, principal in (
        loan_model.objects.order_by()
        .values_list(
            "program_version__program",
            "bank_id",
            "disbursement_date",
            "enterprise__tech_field",
            "maturity_date",
            "principal",
        )
        .iterator(chunk_size=5000)
    ):
        row = loans[(program, bank, day, field or 0, maturity)]
        row[0] += 1
        row[1] += fen(principal)
    return dict(applications), dict(loans)


def kept() -> tuple[Delta, Delta]:
    """The tallies as stored (zero rows are never kept)."""
    from reports.models import ApplicationTally, LoanTally

    return (
        {
            (t.program, t.day, t.state, t.submitted): [t.count, t.amount_fen]
            for t in ApplicationTally.objects.all()
        },
        {
            (t.program, t.bank, t.day, t.tech_field, t.maturity): [t.count, t.principal_fen]
            for t in LoanTally.objects.all()
        },
    )


def rebuild(
    application_model: Any = None, loan_model: Any = None, tally_models: Any = None
) -> None:
    """Recount every tally from the records, in one transaction."""
    from reports.models import ApplicationTally, LoanTally

    application_tally, loan_tally = tally_models or (ApplicationTally, LoanTally)
    applications, loans = counted(application_model, loan_model)
    with transaction.atomic():
        application_tally.objects.all().delete()
        loan_tally.objects.all().delete()
        application_tally.objects.bulk_create(
            [
                application_tally(program=p, day=d, state=s, submitted=sub, count=n, amount_fen=f)
                for (p, d, s, sub), (n, f) in applications.items()
            ],
            batch_size=2000,
        )
        loan_tally.objects.bulk_create(
            [
                loan_tally(
                    program=p, bank=b, day=d, tech_field=t, maturity=m, count=n, principal_fen=f
                )
                for (p, b, d, t, m), (n, f) in loans.items()
            ],
            batch_size=2000,
        )
