"""SQLite with IMMEDIATE transactions and a busy timeout: concurrent writers queue instead of failing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from kedaitong.audit import log_action
from kedaitong.models import AuditEntry


@pytest.mark.django_db(transaction=True)
def test_forty_concurrent_read_then_write_transactions_all_succeed():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite behaviour")
    if connection.settings_dict["NAME"] == ":memory:" or "mode=memory" in str(
        connection.settings_dict["NAME"]
    ):
        pytest.skip("needs a file database")
    errors: list[Exception] = []
    barrier = threading.Barrier(40)

    def writer(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                AuditEntry.objects.count()  # read, then write in the same transaction
                log_action(actor=None, action="test.write", data={"i": i})
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEntry.objects.filter(action="test.write").count() == 40
