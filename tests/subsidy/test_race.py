"""Two makers committing the same year at once: one run is saved, the other is told (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connections

from subsidy.models import SubsidyRun
from subsidy.services import SubsidyInputError, run_commit

pytestmark = [
    pytest.mark.postgres,
    # Skip before any database fixture runs: a transactional test's flush is not always undone for the next one.
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_concurrent_commits_save_one_run(qz):
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
