"""The audit trail proves itself: a hash chain that `audit_verify` walks, and PostgreSQL refuses edits."""

from __future__ import annotations

import io
import threading
from importlib import import_module

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from kedaitong import auditchain
from kedaitong.audit import log_action
from kedaitong.models import AuditEntry
from operations.audit import audit_verify
from operations.models import AuditCheck

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"


def trail(cast, n: int = 5) -> list[AuditEntry]:
    return [
        log_action(
            actor=cast.bureau_staff,
            action="review.application.approved",
            obj=cast.application_a,
            comment=f"第{i}条意见",
            data={"amount": "1234.56", "n": i, "rate": 3.5},
        )
        for i in range(n)
    ]


def run_verify(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def raw_edits():
    """On PostgreSQL the table's owner can still switch the guard off: do it, as a tamperer would.

    (Inside the test's transaction, whose rollback switches it on again.)
    """
    if POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE kedaitong_auditentry DISABLE TRIGGER kd_append_only")


def test_each_row_carries_the_hash_of_the_row_before_and_the_walk_finds_them_intact(cast):
    rows = trail(cast)
    stored = list(AuditEntry.objects.order_by("id").values_list("prev_hash", "row_hash"))
    assert stored[0][0] == auditchain.GENESIS
    assert all(stored[i][0] == stored[i - 1][1] for i in range(1, len(stored)))
    assert len({h for _p, h in stored}) == len(rows)
    code, out, err = run_verify()
    assert code == 0 and "审计日志完整：共5行" in out and f"audit_head {rows[-1].pk}:" in out
    check = AuditCheck.objects.get()
    assert (check.ok, check.rows, check.last_id, check.last_hash) == (
        True,
        5,
        rows[-1].pk,
        stored[-1][1],
    )


def test_an_edit_in_the_database_is_named_by_audit_verify(cast, raw_edits):
    rows = trail(cast)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE kedaitong_auditentry SET comment = %s WHERE id = %s", ["改过的意见", rows[2].pk]
        )
    code, _out, err = run_verify()
    assert code == 1
    assert f"审计日志第{rows[2].pk}行与其哈希值不符：写入后被改动过。其前2行完整。" in err
    check = AuditCheck.objects.get()
    assert (check.ok, check.first_bad_id, check.rows) == (False, rows[2].pk, 2)


def test_a_deleted_row_breaks_the_link_of_the_row_after_it(cast, raw_edits):
    rows = trail(cast)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM kedaitong_auditentry WHERE id = %s", [rows[1].pk])
    code, _out, err = run_verify()
    assert code == 1 and f"审计日志第{rows[2].pk}行记录的上一行哈希值不符" in err


def test_rows_cut_from_the_end_are_found_through_the_last_check(cast, raw_edits):
    rows = trail(cast)
    assert run_verify()[0] == 0
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM kedaitong_auditentry WHERE id >= %s", [rows[3].pk])
    code, _out, err = run_verify()
    assert code == 1 and f"此前核验或备份所见的审计日志第{rows[4].pk}行已不存在" in err


def test_an_anchor_from_a_backup_catches_a_rewritten_chain(cast, raw_edits):
    rows = trail(cast)
    head = AuditEntry.objects.get(pk=rows[-1].pk).row_hash
    # A tamperer edits row 3 and recomputes every hash after it: the walk alone cannot tell.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE kedaitong_auditentry SET comment = 'x' WHERE id = %s", [rows[2].pk])
    rehash_all()
    assert run_verify()[0] == 0
    code, _out, err = run_verify("--anchor", f"{rows[-1].pk}:{head}")
    assert code == 1 and "哈希链被改写" in err


def rehash_all() -> None:
    """What the migration does for rows written before the chain existed (and what a tamperer would do)."""
    from django.db.migrations.loader import MigrationLoader

    name = "0005_audit_chain"
    migration = import_module(f"kedaitong.migrations.{name}")
    state = MigrationLoader(connection).project_state(("kedaitong", name))

    class Editor:
        connection = connections["default"]

    migration.chain_existing(state.apps, Editor())


def test_the_migration_chains_rows_written_before_the_chain_existed(cast, raw_edits):
    rows = trail(cast, 4)
    expected = list(AuditEntry.objects.order_by("id").values_list("prev_hash", "row_hash"))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE kedaitong_auditentry SET prev_hash = '', row_hash = ''")
    rehash_all()
    assert list(AuditEntry.objects.order_by("id").values_list("prev_hash", "row_hash")) == expected
    assert audit_verify().ok and len(rows) == 4


def test_the_hash_does_not_depend_on_how_the_database_returns_json_or_addresses(cast, rf):
    request = rf.post("/", REMOTE_ADDR="::ffff:10.0.0.1")
    log_action(
        actor=None,
        action="system.test",
        obj=cast.loan_a,
        data={
            "big": 1e20,
            "nested": {"b": [1.5, 2], "a": None},
            "day": cast.loan_a.disbursement_date,
        },
        request=request,
    )
    assert audit_verify().ok


@pytest.mark.skipif(not POSTGRES, reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_the_edit_itself(cast):
    rows = trail(cast, 2)
    for sql in (
        "UPDATE kedaitong_auditentry SET comment = 'x' WHERE id = %s",
        "DELETE FROM kedaitong_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [rows[0].pk])
    assert AuditEntry.objects.get(pk=rows[0].pk).comment == "第0条意见"
    assert audit_verify().ok


@pytest.mark.skipif(not POSTGRES, reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain(cast):
    errors = []

    def write(i: int) -> None:
        try:
            for j in range(5):
                with transaction.atomic():
                    log_action(actor=None, action="system.race", comment=f"{i}-{j}")
        except Exception as exc:  # pragma: no cover - shown in the assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEntry.objects.filter(action="system.race").count() == 40
    check = audit_verify()
    assert check.ok and check.rows == AuditEntry.objects.count()


def test_the_admin_home_page_shows_the_last_check(client, cast, raw_edits):
    client.force_login(cast.admin)
    page = client.get("/").content.decode()
    assert "审计哈希链尚未核验" in page
    rows = trail(cast, 3)
    audit_verify()
    page = client.get("/").content.decode()
    assert "审计日志完整：共3行" in page and "integrity-ok" in page
    with connection.cursor() as cursor:
        cursor.execute("UPDATE kedaitong_auditentry SET action = 'x' WHERE id = %s", [rows[1].pk])
    audit_verify()
    page = client.get("/").content.decode()
    assert f"审计日志第{rows[1].pk}行与其哈希值不符" in page and "integrity-broken" in page
