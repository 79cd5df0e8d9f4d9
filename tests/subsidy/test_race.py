"""Two makers committing the same year at once: one run is saved, the other is told (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from subsidy.models import SubsidyRun
from subsidy.services import SubsidyInputError, run_commit

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_concurrent_commits_save_one_run(reference_data, qz):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    qz.interest(qz.loan(contract="A-1"), "100.00")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def commit() -> None:
        try:
            barrier.wait()
            run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")
            outcomes.append("saved")
        except SubsidyInputError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert SubsidyRun.objects.count() == 1
