"""Hypothesis settings shared by the three money state machines (the money faults, compensation, subsidy).

Their draws are derandomized: the examples are the same on every run, on SQLite and PostgreSQL, locally
and in CI, so the machines' cost is the same each time and a failure or a slow run is reproduced by
running the test again. Without this, Hypothesis derandomizes only where the `CI` variable is set (its
built-in `ci` profile): a developer's run, or `.ci/run` started by hand, drew other examples than CI.
The price is that each run checks the same sequences; to explore new ones, run a machine with
`derandomize=False` (and a larger `max_examples`) by hand.
"""

from __future__ import annotations

from typing import Any

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
