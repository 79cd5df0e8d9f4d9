"""Hypothesis settings shared by the three money state machines (the money faults, compensation, subsidy).

Their draws are derandomized: the examples are the same on every run, on SQLite and PostgreSQL, locally
and in CI, so the machines' cost is the same each time and a failure or a slow run is reproduced by
running the test again. Without this, Hypothesis derandomizes only where the `CI` variable is set (its
built-in `ci` profile): a developer's run, or `.ci/run` started by hand, drew other examples than CI.
The price is that each run checks the same sequences; to explore new ones, run a machine with
`derandomize=False` (and a larger `max_examples`) by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import connection
from hypothesis import HealthCheck, settings

from kedaitong.db import MoneySum

MONEY_SEQUENCES = settings(
    derandomize=True,
    database=None,  # implied by derandomize: no example is replayed from a local .hypothesis folder
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def sums_by(qs: Any, key: str | tuple[str, ...], name: str) -> dict[Any, Any]:
    """Σ `name` of the rows of `qs` for each value of `key` (a tuple of fields: a tuple key), in one query; a
    key with no rows is absent.

    The machines' invariants run after every step: one grouped query each instead of one per run, loan,
    claim or payment.
    """
    keys = (key,) if isinstance(key, str) else tuple(key)
    rows = qs.order_by().values_list(*keys).annotate(s=MoneySum(name)).values_list(*keys, "s")
    return {(row[0] if len(keys) == 1 else row[:-1]): row[-1] for row in rows}


def writes_so_far() -> int | None:
    """A number that grows with every row the test's connection inserts, updates or deletes, and with nothing else.

    SQLite counts them for the connection (`total_changes`, triggers' writes included); PostgreSQL for the
    transaction, over the portal's tables (`pg_stat_get_xact_tuples_*`: each machine's example runs in one).
    Both count a statement whose savepoint was rolled back as well: a refused step may look like a change,
    never the reverse. None outside a transaction on PostgreSQL, where the count starts again with each
    statement.
    """
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return int(connection.connection.total_changes)
    if not connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        # Over the portal's own tables only, by their ids: the view over every relation, catalogs included,
        # took 2.4 ms a call, more than the checks it saved.
        cursor.execute(
            "SELECT COALESCE(SUM(pg_stat_get_xact_tuples_inserted(r) + pg_stat_get_xact_tuples_updated(r)"
            " + pg_stat_get_xact_tuples_deleted(r)), 0) FROM unnest(%s::oid[]) AS r",
            [_portal_tables(connection.settings_dict["NAME"])],
        )
        return int(cursor.fetchone()[0])


@functools.cache
def _portal_tables(database: str) -> list[int]:  # noqa: ARG001 - the cache's key: each database its own ids
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oid FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace"
        )
        return [row[0] for row in cursor.fetchall()]


def after_a_write(check: Callable[[Any], None]) -> Callable[[Any], None]:
    """An invariant checked only when a row was written since it last held in this example.

    An invariant is a function of the database (and of the machine's lists of the rows it made, which grow
    only with a write, and the day, which the fixed clock keeps): where no row was written, it holds as it
    held. About one check in six of the money-faults machine follows a step that wrote nothing (a refused file
    still writes its upload record); skipping those took it from 35 to 30 s on SQLite. Put it under
    `@invariant()`.
    """

    @functools.wraps(check)
    def checked(self: Any) -> None:
        seen = writes_so_far()
        held = self.__dict__.setdefault("_held_at", {})
        if seen is not None and held.get(check.__name__) == seen:
            return
        check(self)
        held[check.__name__] = seen

    return checked
