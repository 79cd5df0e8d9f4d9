"""Database expressions that keep money exact on every backend.

SQLite stores DecimalField values with NUMERIC affinity, i.e. as binary
floats, and its SUM adds floats: 3,000 subsidy lines that add up to exactly
100,000.00 came back as 99,999.9999999999. `MoneySum` sums whole fens
(integers, exact up to 2**53 fen) and divides once, so the result is the exact
fen amount; PostgreSQL's numeric SUM is exact already and is left alone.
Use it for every sum of yuan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import CharField, DecimalField, Func, QuerySet, Sum
from django.db.models.lookups import IContains


class _FenSum(Sum):
    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        # A copy with its own template: Aggregate.as_sql builds the FILTER clause around `template`.
        fens = self.copy()
        fens.template = "%(function)s(ROUND(%(distinct)s%(expressions)s * 100))"
        return fens.as_sql(compiler, connection, **extra_context)


class MoneySum(Func):
    """SUM of a yuan column, exact to the fen on SQLite and PostgreSQL; accepts `filter=` like Sum."""

    template = "%(expressions)s"
    contains_aggregate = True

    def __init__(self, expression: Any, *, filter: Any = None, **extra: Any) -> None:  # noqa: A002
        super().__init__(
            _FenSum(expression, filter=filter),
            output_field=DecimalField(max_digits=18, decimal_places=2),
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        return super().as_sql(
            compiler, connection, template="(%(expressions)s / 100.0)", **extra_context
        )


@CharField.register_lookup
class Holds(IContains):
    """`name__holds=text`: `icontains`, searched on SQLite with INSTR when the text has no ASCII letter.

    Django's SQLite `icontains` is `LIKE '%text%' ESCAPE '\\'`, which matches every row through SQLite's LIKE
    function: about 5.7 ms over 20,000 enterprise names, against 1.8 ms for INSTR (the review queue's name
    search, issue 20). LIKE folds ASCII letters only, so for a text without one (a Chinese name, a number) the two
    match the same rows: INSTR takes `%` and `_` as they are, as the escaped pattern does, and a NULL matches
    neither. A text with an ASCII letter, and other databases, keep `icontains`' SQL (LOWER for INSTR cost as
    much as LIKE).
    """

    lookup_name = "holds"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        # The backends' operators, casts and patterns are keyed by lookup name: `icontains`' own.
        return IContains(self.lhs, self.rhs).as_sql(compiler, connection)  # type: ignore[no-any-return]

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if not isinstance(self.rhs, str) or any(c.isascii() and c.isalpha() for c in self.rhs):
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"INSTR({lhs}, %s) > 0", [*lhs_params, self.rhs]


class Unindexed(Func):
    """A column that SQLite reads from the row, not through an index of its own (`+column`, SQLite's way to keep
    the planner off an index); other databases get the column as it is.

    `queue.alias(e=Unindexed("enterprise_id")).filter(e__in=few_or_many)`: the queue's own index drives the
    query and each row's enterprise is looked up in the subquery's list, however long that list is; driven from
    the list instead, a name most enterprises share had SQLite visit every application of every state.
    """

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra_context)


def insert_many(model: Any, objs: Any, *, batch_size: int = 2000) -> int:
    """Insert new rows of `model` (unsaved instances) as fast as the database takes them; returns how many.

    On PostgreSQL the rows go in through one COPY (psycopg's `copy.write_row`: one statement and no SQL
    text or parameters to parse per batch, unlike `bulk_create`'s INSERTs); elsewhere through `bulk_create`. Like `bulk_create` it sends
    no signals and calls no `save()`; unlike it, the instances do not get their primary keys back.
    Every value goes through the field's `pre_save` and `get_db_prep_save`, as in an INSERT.
    """
    from django.db import connections, router

    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return len(model.objects.using(alias).bulk_create(objs, batch_size=batch_size))
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return _copy(
        alias,
        model,
        fields,
        ([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objs),
    )


def insert_rows(model: Any, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows given as tuples of database-ready values, one per name in `fields`; returns how many.

    The fast path of `insert_many` for large inserts whose values are already what the database stores
    (str, int, bool, date, Decimal at the column's scale, a foreign key as its id under the field's
    attname, e.g. `run_id`): no model instance is built and no field prepares a value. `fields` must name
    every concrete column but the primary key, since the COPY would leave an omitted one to the database's
    default, which Django does not set. On PostgreSQL one COPY (in one transaction, the money history's
    context sent first, as `insert_many`); elsewhere `bulk_create` of instances made from the tuples.
    """
    from django.db import connections, router

    by_attname = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    if set(fields) != set(by_attname) or len(fields) != len(by_attname):
        raise ValueError(
            f"insert_rows({model._meta.label}) needs every column but the key once: "
            f"missing {sorted(set(by_attname) - set(fields))}, unknown {sorted(set(fields) - set(by_attname))}"
        )
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        return len(model.objects.using(alias).bulk_create(objs, batch_size=2000))
    return _copy(alias, model, [by_attname[name] for name in fields], rows)


def _copy(alias: str, model: Any, fields: Sequence[Any], rows: Iterable[Sequence[Any]]) -> int:
    """One COPY of `rows` (database-ready values, in the order of `fields`) into `model`'s table on PostgreSQL."""
    from django.db import connections, transaction

    from operations.history import pg_send_context

    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    count = 0
    # The driver's own cursor; its errors are raised as Django's (IntegrityError…), as a query's would be.
    # One transaction: all rows or none, and the money history's context (who, through what) set in it
    # first, since the COPY does not pass through the wrapper that sends it with each write.
    with (
        transaction.atomic(using=alias),
        connection.cursor() as cursor,
        connection.wrap_database_errors,
    ):
        pg_send_context(cursor)
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


# The compiled inner SQL of counted querysets given a key (`count_many(keys=...)`), by key and database alias:
# compiling a queue's query (its scope, subqueries and joins) was a large part of every menu's cost.
_COMPILED: dict[tuple[Any, str], tuple[str, Sequence[Any]] | None] = {}
_COMPILED_LIMIT = 2048  # all are forgotten when full


def count_many(querysets: Sequence[QuerySet[Any]], keys: Sequence[Any] | None = None) -> list[int]:
    """The number of rows of each queryset, taken in one query: SELECT (SELECT COUNT(*) FROM (…)), (…).

    The menu's counts (kedaitong.context_processors) are taken this way: one round trip however many there
    are. A queryset that can match nothing (`none()`, `pk__in=[]`) is 0 without SQL.

    `keys`, one per queryset (or None): a key names everything its queryset is made of, so that the same key
    always builds the same SQL with the same parameters (nothing read from the clock or the database); its SQL
    is compiled once a process and reused.
    """
    from django.db import connections

    counts = [0] * len(querysets)
    by_alias: dict[str, list[tuple[int, str, Sequence[Any]]]] = {}
    for i, qs in enumerate(querysets):
        key = keys[i] if keys is not None else None
        alias = qs.db
        compiled = _COMPILED.get((key, alias), False) if key is not None else False
        if compiled is False:
            compiled = _compiled_count(qs)
            if key is not None:
                if len(_COMPILED) >= _COMPILED_LIMIT:
                    _COMPILED.clear()
                _COMPILED[key, alias] = compiled
        if compiled is None:
            continue
        sql, params = compiled
        by_alias.setdefault(alias, []).append((i, sql, params))
    for alias, parts in by_alias.items():
        select = ", ".join(f"(SELECT COUNT(*) FROM ({sql}) counted_{i})" for i, sql, _ in parts)
        with connections[alias].cursor() as cursor:
            cursor.execute(f"SELECT {select}", [p for _, _, params in parts for p in params])
            row = cursor.fetchone()
        for (i, _, _), count in zip(parts, row, strict=True):
            counts[i] = int(count)
    return counts


def _compiled_count(qs: QuerySet[Any]) -> tuple[str, Sequence[Any]] | None:
    """The SQL and parameters of `qs`'s primary keys, to be counted; None when it can match nothing."""
    from django.core.exceptions import EmptyResultSet

    if qs.query.is_empty():
        return None
    inner = qs.order_by().values("pk")
    try:
        return inner.query.get_compiler(using=inner.db).as_sql()
    except EmptyResultSet:
        return None
