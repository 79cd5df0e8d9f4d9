"""The restore drill: a portal with the demo data and money in every ledger, backed up with one command and
restored with one command into an empty database and media folder, compared table by table, yuan column by
yuan column (to the fen) and file by file (SHA-256) — on SQLite and on PostgreSQL (`make test` runs both).

The comparisons read both databases with plain SQL and both folders with plain file reads, not with the
backup code's own inventory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.db import connection, models

from compensation.models import ClaimMaterial, LegalCost, Recovery
from kedaitong.demo import demo_load
from kedaitong.models import AuditEntry
from loans.models import InterestSettlement, OverdueEvent, Repayment
from operations.history import TRACKED
from subsidy.models import SubsidyLine
from tests.clock import SHANGHAI
from tests.compensation import helpers
from tests.reports.test_every_export import world  # noqa: F401  (money in every ledger)

ROOT = Path(settings.BASE_DIR)
POSTGRES = connection.vendor == "postgresql"
pytestmark = pytest.mark.django_db(transaction=True)


# --- Reading a database and a folder, independently of the code under test ----------------------


def open_db(settings_dict: dict[str, Any]) -> Any:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return sqlite3.connect(settings_dict["NAME"])
    import psycopg

    return psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
    )


def tables_of(db: Any) -> list[str]:
    if isinstance(db, sqlite3.Connection):
        sql = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return sorted(row[0] for row in db.execute(sql).fetchall())


def row_counts(db: Any) -> dict[str, int]:
    return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables_of(db)}


def yuan_columns() -> list[tuple[str, str]]:
    return sorted(
        (m._meta.db_table, f.column)
        for m in apps.get_models()
        for f in m._meta.concrete_fields
        if isinstance(f, models.DecimalField) and f.decimal_places == 2
    )


def money_totals(db: Any) -> dict[str, Decimal]:
    """Every yuan column summed in Python, value by value, to the fen."""
    fen = Decimal("0.01")
    return {
        f"{table}.{column}": sum(
            (
                Decimal(str(v)).quantize(fen)
                for (v,) in db.execute(f'SELECT "{column}" FROM "{table}"').fetchall()
                if v is not None
            ),
            Decimal("0.00"),
        )
        for table, column in yuan_columns()
    }


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# --- Running the portal's commands as an operator would ---------------------------------------------


def url_of(settings_dict: dict[str, Any]) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    return (
        f"postgres://{quote(settings_dict['USER'])}:{quote(settings_dict['PASSWORD'])}"
        f"@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
    )


def manage(
    *args: str, database: dict[str, Any], media: Path, backups: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "MEDIA_ROOT", "BACKUP_DIR")
        },
        "DATABASE_URL": url_of(database),
        "MEDIA_ROOT": str(media),
        "BACKUP_DIR": str(backups),
        "BACKUP_S3_BUCKET": "",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """The portal's uploads go to a folder of this test's own (asked for before the data is made)."""
    folder = tmp_path / "media"
    folder.mkdir()
    settings.MEDIA_ROOT = folder
    return folder


@pytest.fixture
def target(tmp_path) -> dict[str, Any]:
    """An empty database for the restore: a new SQLite file, or a PostgreSQL database not yet created."""
    source = connection.settings_dict
    if not POSTGRES:
        yield {**source, "NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"{source['NAME']}_drill"
    admin = open_db({**source, "NAME": "postgres"})
    admin.autocommit = True
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    yield {**source, "NAME": name}
    # A plain DROP stops an autovacuum worker on the restored database itself (WITH (FORCE) would have to
    # terminate it, which only a superuser may: "must be a member of the role whose process is being
    # terminated"); FORCE is for the drill's own sessions left open, which the plain DROP refuses.
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    except psycopg.errors.ObjectInUse:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def more_money(w: Any) -> None:
    """What the exports' world lacks: a revoked decision, a reversed payment, a returned share, overdue-period
    interest in a subsidy line, and a subsidy paid to a bank."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from compensation import services as comp
    from subsidy import services as sub

    cast, qz = w.cast, w.qz
    comp.decision_revoke(
        actor=cast.leading_group, claim=helpers.decided(cast), reason="重复立项，撤销决定"
    )
    comp.payment_reverse(actor=cast.bureau_head, claim=helpers.paid(cast), reason="凭证号录错")
    recovery = Recovery.objects.filter(reverses__isnull=True).order_by("pk").first()
    comp.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="1000.01",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="JH-001",
    )
    loan = qz.loan(contract="QZ-OVERDUE", disbursed=dt.date(2023, 3, 1))
    qz.interest(loan, "40.00", settled=dt.date(2023, 6, 21))
    qz.interest(loan, "12.34", settled=dt.date(2023, 9, 21), overdue=True)

    # 四(一) in its order, each stage on its day (October 2026, before the demo's day): computed, audited by
    # the accounting firm with the PBoC branch, reviewed, approved at the party-group meeting, publicized
    # (an objection dismissed), the funds document, paid.
    def on(day: dt.date) -> Any:
        return time_machine.travel(
            dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI), tick=False
        )

    def scan(name: str) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, helpers.PDF)

    with on(dt.date(2026, 10, 12)):
        run = sub.run_commit(
            actor=qz.staff,
            program=qz.program,
            year=2023,
            budget="1000",
            cutoff=dt.date(2024, 3, 15),
        )
    with on(dt.date(2026, 10, 13)):
        run = sub.run_audit(
            actor=qz.accountant,
            run=run,
            opinion_file=scan("审计报告.pdf"),
            pboc_confirmer="货币信贷管理科 王某",
            pboc_confirmed_on=dt.date(2026, 10, 13),
            pboc_file=scan("人行确认函.pdf"),
        )
    with on(dt.date(2026, 10, 14)):
        run = sub.run_review(actor=qz.staff, run=run, opinion="材料齐全，计算规范")
    with on(dt.date(2026, 10, 15)):
        run = sub.run_approve(
            actor=qz.head, run=run, meeting_date=dt.date(2026, 10, 15), minutes=scan("纪要.pdf")
        )
    with on(dt.date(2026, 10, 16)):
        run = sub.run_publicize(actor=qz.staff, run=run, start=dt.date(2026, 10, 16))
        objection = sub.objection_submit(
            run=run, name="张三", contact="138", reason="金额有误", attachment=scan("异议.pdf")
        )
        sub.objection_rule(actor=qz.staff, objection=objection, upheld=False, note="经核，金额无误")
    with on(run.publicity_end + dt.timedelta(days=1)):
        run = sub.run_issue(
            actor=qz.staff,
            run=run,
            document_no="衢市科〔2026〕30号",
            document_date=run.publicity_end + dt.timedelta(days=1),
            document_file=scan("贴息资金文件.pdf"),
        )
        sub.run_record_payment(
            actor=qz.staff,
            run=run,
            bank=qz.bank_a,
            paid_on=run.publicity_end + dt.timedelta(days=1),
            voucher_no="PZ-1026",
        )


@pytest.mark.slow
def test_restore_drill_every_table_every_yuan_and_every_file_come_back(
    media,
    world,  # noqa: F811
    target,
    tmp_path,
):
    more_money(world)
    # The demo data on top (on a fixed day; its claim is decided within the year's budget, raised for it).
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC), tick=True):
        helpers.budget(world.cast, "9000000.00", 2026, reason="演练：为演示数据的补偿提高预算")
        demo_load()
    # Money in every ledger, and the files behind it.
    assert Repayment.objects.exists() and InterestSettlement.objects.exists()
    assert OverdueEvent.objects.exists() and Recovery.objects.exists()
    assert LegalCost.objects.exists() and SubsidyLine.objects.exists()
    assert ClaimMaterial.objects.count() >= 10
    source_db = open_db(connection.settings_dict)
    counts, totals = row_counts(source_db), money_totals(source_db)
    source_db.close()
    files = file_hashes(media)
    assert len(files) >= ClaimMaterial.objects.count() + LegalCost.objects.count()
    ledgers = {apps.get_model(label)._meta.db_table for label in TRACKED}
    empty = [key for key, total in totals.items() if key.split(".")[0] in ledgers and not total]
    assert empty == [], empty

    backups = tmp_path / "backups"
    made = manage("backup", database=connection.settings_dict, media=media, backups=backups)
    assert made.returncode == 0, made.stderr
    (set_file,) = backups.glob("kedaitong-*.tar")
    assert f"备份集已写入 {backups}/{set_file.name}" in made.stdout
    sidecar = (backups / f"{set_file.name}.sha256").read_text()
    assert sidecar == f"{hashlib.sha256(set_file.read_bytes()).hexdigest()}  {set_file.name}\n"

    restored_media = tmp_path / "restored-media"
    done = manage(
        "restore", "latest", "--json", database=target, media=restored_media, backups=backups
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)

    restored_db = open_db(target)
    try:
        assert row_counts(restored_db) == counts
        assert money_totals(restored_db) == totals
    finally:
        restored_db.close()
    assert file_hashes(restored_media) == files
    # What the command said it restored is what is there.
    assert report["tables"] == counts and report["files"] == len(files)
    assert {k: Decimal(v) for k, v in report["money"].items()} == totals
    assert report["applied"] == []
    head = AuditEntry.objects.order_by("-id").values_list("id", "row_hash").first()
    assert report["audit_head"] == {"id": head[0], "hash": head[1]}

    # The restored portal's audit trail still proves itself, against the anchor the set carries.
    verify = manage(
        "audit_verify",
        "--anchor",
        f"{head[0]}:{head[1]}",
        database=target,
        media=restored_media,
        backups=backups,
    )
    assert verify.returncode == 0, verify.stderr
    assert f"共{counts['kedaitong_auditentry']}行" in verify.stdout


# --- Refusals -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def made_sets(tmp_path_factory) -> dict[str, Path]:
    """Where the first refusal test of this process keeps the set it made (a backup is a Django process)."""
    return {"folder": tmp_path_factory.mktemp("made-set")}


@pytest.fixture
def one_set(media, cast, tmp_path, made_sets) -> Path:
    """A backup set of a portal with a claim and its five materials, in this test's own folder.

    The set is made once per process (the portal's `backup` command, as an operator runs it) and each test
    gets a copy with its sidecar: the tests corrupt, rewrite or restore their copy, never the original.
    The portal under test still holds the cast (a database that is not empty).
    """
    if "set" not in made_sets:
        helpers.draft(cast)  # a claim with its five materials: files to back up
        folder = made_sets["folder"]
        made = manage("backup", database=connection.settings_dict, media=media, backups=folder)
        assert made.returncode == 0, made.stderr
        made_sets["set"] = next(folder.glob("kedaitong-*.tar"))
    original = made_sets["set"]
    backups = tmp_path / "backups"
    backups.mkdir()
    for part in (original, Path(f"{original}.sha256")):
        shutil.copy2(part, backups / part.name)
    return backups / original.name


def rewrite(set_file: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Change the manifest of a set and make its checksum match again: only the content check can object."""
    work = set_file.parent / "work"
    work.mkdir()
    with tarfile.open(set_file) as archive:
        archive.extractall(work, filter="data")
    manifest = json.loads((work / "manifest.json").read_text())
    change(manifest)
    (work / "manifest.json").write_text(json.dumps(manifest))
    with tarfile.open(set_file, "w") as archive:
        for part in ("manifest.json", manifest["database"], "media.tar.gz"):
            archive.add(work / part, arcname=part)
    digest = hashlib.sha256(set_file.read_bytes()).hexdigest()
    Path(f"{set_file}.sha256").write_text(f"{digest}  {set_file.name}\n")


def restore(
    set_file: Path, target: dict[str, Any], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    return manage(
        "restore",
        str(set_file),
        database=target,
        media=tmp_path / "restored-media",
        backups=set_file.parent,
    )


def nothing_restored(target: dict[str, Any], tmp_path: Path) -> bool:
    media_empty = not any((tmp_path / "restored-media").rglob("*"))
    if not POSTGRES:
        path = Path(target["NAME"])
        return media_empty and (not path.exists() or not tables_of(sqlite3.connect(path)))
    try:
        db = open_db(target)
    except Exception:  # not even created
        return media_empty
    try:
        return media_empty and not tables_of(db)
    finally:
        db.close()


def test_a_set_whose_checksum_does_not_match_is_refused(one_set, target, tmp_path):
    data = bytearray(one_set.read_bytes())
    data[len(data) // 2] ^= 0xFF
    one_set.write_bytes(bytes(data))
    done = restore(one_set, target, tmp_path)
    assert done.returncode == 1
    assert "SHA-256 与校验文件不符" in done.stderr and "拒绝恢复，未作任何改动" in done.stderr
    assert nothing_restored(target, tmp_path)


def test_a_part_that_does_not_match_the_manifest_is_refused(one_set, target, tmp_path):
    rewrite(one_set, lambda m: m["members"]["media.tar.gz"].update(sha256="0" * 64))
    done = restore(one_set, target, tmp_path)
    assert done.returncode == 1 and "media.tar.gz 的 SHA-256 与 manifest.json 不符" in done.stderr
    assert nothing_restored(target, tmp_path)


def test_a_set_made_by_newer_code_is_refused(one_set, target, tmp_path):
    rewrite(one_set, lambda m: m["migrations"].append(["loans", "9999_from_the_future"]))
    done = restore(one_set, target, tmp_path)
    assert done.returncode == 1
    assert "由更新的代码生成" in done.stderr and "loans.9999_from_the_future" in done.stderr
    assert nothing_restored(target, tmp_path)


def test_a_database_that_is_not_empty_is_refused_without_replace(one_set, tmp_path):
    done = manage(
        "restore",
        str(one_set),
        database=connection.settings_dict,
        media=tmp_path / "other-media",
        backups=one_set.parent,
    )
    assert done.returncode == 1 and "目标数据库不是空的" in done.stderr


def test_check_says_a_set_is_whole_without_touching_anything(one_set, target, tmp_path):
    done = manage(
        "restore",
        str(one_set),
        "--check",
        database=target,
        media=tmp_path / "m",
        backups=one_set.parent,
    )
    assert done.returncode == 0 and "完好" in done.stdout
    assert nothing_restored(target, tmp_path)


@pytest.mark.slow
def test_replace_restores_over_a_portal_and_keeps_what_it_replaced(one_set, target, tmp_path):
    assert restore(one_set, target, tmp_path).returncode == 0
    again = restore(one_set, target, tmp_path)
    assert again.returncode == 1 and "目标数据库不是空的" in again.stderr
    replaced = manage(
        "restore",
        str(one_set),
        "--replace",
        database=target,
        media=tmp_path / "restored-media",
        backups=one_set.parent,
    )
    assert replaced.returncode == 0, replaced.stderr
    assert "已恢复备份集" in replaced.stdout
    kept_media = list(tmp_path.glob("restored-media.before-restore-*"))
    assert len(kept_media) == 1 and file_hashes(kept_media[0]) == file_hashes(
        tmp_path / "restored-media"
    )
    if not POSTGRES:
        (kept_db,) = tmp_path.glob("restored.sqlite3.before-restore-*")
        assert row_counts(sqlite3.connect(kept_db)) == row_counts(sqlite3.connect(target["NAME"]))
