"""Hypothesis settings shared by the three money state machines (the money faults, compensation, subsidy).

Their draws are derandomized: the examples are the same on every run, on SQLite and PostgreSQL, locally
and in CI, so the machines' cost is the same each time and a failure or a slow run is reproduced by
running the test again. Without this, Hypothesis derandomizes only where the `CI` variable is set (its
built-in `ci` profile): a developer's run, or `.ci/run` started by hand, drew other examples than CI.
The price is that each run checks the same sequences; to explore new ones, run a machine with
`derandomize=False` (and a larger `max_examples`) by hand.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

MONEY_SEQUENCES = settings(
    derandomize=True,
    database=None,  # implied by derandomize: no example is replayed from a local .hypothesis folder
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
