"""Restoring a backup set into a fresh checkout: checked first, then the database, then the files.

`restore_set` takes these steps and stops at the first refusal, having changed nothing:

1. Find the set: a file path, a set's name in the backup storage, or `latest`.
2. Check the whole file against its `.sha256`, then every part against the
   SHA-256 the manifest lists. A set that does not match is refused.
3. Refuse a set made by newer code: every migration the set's database had
   must be known to this checkout (update the checkout first). A set from
   another database engine is refused too.
4. Refuse a database or media storage that is not empty, unless `replace`
   (then a SQLite file and a media folder are kept beside as `….before-restore-<time>`;
   PostgreSQL's tables are dropped, so take a backup first).
5. Put the database in place: SQLite's file is checked (`PRAGMA
   integrity_check`) and moved over the target; PostgreSQL's dump goes in with
   `pg_restore` in one transaction (the database is created when missing).
6. Put every uploaded file back under its own name, checking its SHA-256.
7. Count every table and total every yuan column of the restored database and
   compare them with the manifest; a difference is an error.
8. Apply this checkout's newer migrations (`migrate`), when it has any.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.core.management import call_command
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from operations import backup
from operations.backup import DATABASE, MANIFEST, MEDIA, sha256_of


class RestoreRefused(Exception):
    """The set or the target is not fit for a restore; nothing was changed."""


class RestoreFailed(Exception):
    """The restore ran but its result does not match the set (the message names what differs)."""


@dataclass
class Report:
    name: str
    manifest: dict[str, Any]
    tables: dict[str, int] = field(default_factory=dict)
    money: dict[str, str] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    applied: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"已恢复备份集 {self.name}（{self.manifest['created_at']}，{self.manifest['engine']}）"
        ]
        out.append(f"数据表 {len(self.tables)} 张，共 {sum(self.tables.values())} 行：")
        out += [f"  {table}: {rows}" for table, rows in sorted(self.tables.items())]
        out.append(f"上传文件 {self.files} 个，共 {self.bytes} 字节，SHA-256 均已核对")
        out.append("各资金列合计（元）：")
        out += [f"  {column}: {total}" for column, total in sorted(self.money.items())]
        head = self.manifest.get("audit_head")
        if head:
            out.append(f"审计日志最后一行 audit_head {head['id']}:{head['hash']}")
        if self.manifest.get("missing_files"):
            out.append(
                f"注意：备份时数据库引用的 {len(self.manifest['missing_files'])} 个文件已不在存储中（见 manifest.json）"
            )
        if self.applied:
            out.append("已应用本代码较新的迁移：" + "、".join(self.applied))
        return out


# --- Steps 1 and 2 ---------------------------------------------------------------------------------


def fetch(source: str, folder: Path) -> tuple[Path, Path | None]:
    """The set as a local file, and its .sha256 if there is one (step 1)."""
    path = Path(source)
    if path.is_file():
        sidecar = path.with_name(path.name + ".sha256")
        return path, sidecar if sidecar.is_file() else None
    storage = backup.backup_storage()
    if source == "latest":
        sets = backup.list_sets(storage)
        if not sets:
            raise RestoreRefused("备份存储中没有备份集")
        source = sets[-1]
    if not storage.exists(source):
        raise RestoreRefused(f"找不到备份集 {source}（既不是文件，也不在备份存储中）")
    local = folder / Path(source).name
    _copy_out(storage, source, local)
    sidecar = None
    if storage.exists(f"{source}.sha256"):
        sidecar = folder / f"{local.name}.sha256"
        _copy_out(storage, f"{source}.sha256", sidecar)
    return local, sidecar


def _copy_out(storage: Storage, name: str, target: Path) -> None:
    with storage.open(name, "rb") as handle, open(target, "wb") as out:
        shutil.copyfileobj(handle, out, backup.CHUNK)


def check_set(path: Path, sidecar: Path | None, folder: Path) -> dict[str, Any]:
    """Step 2: the whole file, then each part; returns the manifest. Parts are unpacked into `folder`."""
    if sidecar is None:
        raise RestoreRefused(
            f"{path.name} 旁没有校验文件 {path.name}.sha256，无法确认备份集完好，拒绝恢复"
        )
    expected = sidecar.read_text(encoding="utf-8").split()[0].lower()
    actual = sha256_of(path)
    if actual != expected:
        raise RestoreRefused(
            f"{path.name} 的 SHA-256 与校验文件不符（应为 {expected}，实为 {actual}）：备份集已损坏或被改动，拒绝恢复"
        )
    try:
        with tarfile.open(path, "r:") as archive:
            names = archive.getnames()
            for member in (MANIFEST, *DATABASE.values(), MEDIA):
                if member in names:
                    archive.extract(member, folder, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise RestoreRefused(f"{path.name} 无法读取：{exc}") from None
    if not (folder / MANIFEST).is_file():
        raise RestoreRefused(f"{path.name} 中没有 manifest.json，不是本平台的备份集")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != backup.FORMAT:
        raise RestoreRefused(
            f"备份集格式 {manifest.get('format')} 不是本代码支持的格式 {backup.FORMAT}"
        )
    for part, facts in manifest["members"].items():
        target = folder / part
        if not target.is_file():
            raise RestoreRefused(f"备份集缺少 {part}")
        digest = sha256_of(target)
        if digest != facts["sha256"]:
            raise RestoreRefused(
                f"{part} 的 SHA-256 与 manifest.json 不符（应为 {facts['sha256']}，实为 {digest}），拒绝恢复"
            )
    return manifest


# --- Steps 3 and 4 -----------------------------------------------------------------------------------


def check_code(manifest: dict[str, Any], alias: str = "default") -> None:
    """Step 3: the set's migrations must all be known to this checkout, and the engine the same."""
    engine = backup.engine_of(alias)
    if manifest["engine"] != engine:
        raise RestoreRefused(
            f"备份集来自 {manifest['engine']} 数据库，当前配置的是 {engine}：请在同类数据库中恢复"
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    newer = [f"{app}.{name}" for app, name in manifest["migrations"] if (app, name) not in known]
    if newer:
        raise RestoreRefused(
            "备份集的数据库含有本代码没有的迁移，说明它由更新的代码生成，拒绝恢复；请先把代码更新到含有这些迁移的版本："
            + "、".join(newer)
        )


def check_target(*, replace: bool, alias: str = "default") -> None:
    """Step 4: an empty database and media storage, unless the caller asked to replace them."""
    if replace:
        return
    tables = connections[alias].introspection.table_names()
    if tables:
        raise RestoreRefused(
            f"目标数据库不是空的（已有 {len(tables)} 张表）：请在空数据库中恢复，或确认覆盖后加 --replace"
        )
    present = next(backup.walk_storage(default_storage), None)
    if present is not None:
        raise RestoreRefused(
            f"上传文件存储不是空的（例如 {present}）：请在空的 MEDIA_ROOT 中恢复，或确认覆盖后加 --replace"
        )


# --- Step 5 -----------------------------------------------------------------------------------------


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M%S")


def _restore_sqlite(alias: str, packed: Path, folder: Path, *, replace: bool) -> None:
    connection = connections[alias]
    target = Path(connection.settings_dict["NAME"])
    unpacked = folder / "database.sqlite3"
    with gzip.open(packed, "rb") as source, open(unpacked, "wb") as out:
        shutil.copyfileobj(source, out, backup.CHUNK)
    check = sqlite3.connect(unpacked)
    try:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if result != "ok":
        raise RestoreFailed(f"备份中的 SQLite 数据库未通过完整性检查：{result}")
    connections.close_all()
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(unpacked, staged)
    if replace and target.exists() and target.stat().st_size:
        # --replace keeps what it replaces beside it, in one consistent file, until someone deletes it.
        kept = sqlite3.connect(target.with_name(f"{target.name}.before-restore-{_stamp()}"))
        current = sqlite3.connect(target)
        try:
            current.backup(kept)
        finally:
            current.close()
            kept.close()
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm"), Path(f"{target}-journal")):
        leftover.unlink(missing_ok=True)
    os.replace(staged, target)


def _ensure_pg_database(alias: str) -> None:
    connection = connections[alias]
    name = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")


def _empty_pg_database(alias: str) -> None:
    """--replace: drop what the portal made (tables, their sequences and triggers, its functions)."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
        cursor.execute("DROP FUNCTION IF EXISTS kd_history_record() CASCADE")
        cursor.execute("DROP FUNCTION IF EXISTS kd_refuse_change() CASCADE")


def _restore_postgresql(alias: str, dump: Path, *, replace: bool) -> None:
    _ensure_pg_database(alias)
    if replace:
        _empty_pg_database(alias)
    connection = connections[alias]
    args, env = backup.pg_command(
        connection.settings_dict,
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={connection.settings_dict['NAME']}",
        str(dump),
    )
    connections.close_all()
    try:
        backup._run(args, env)
    except backup.BackupError as exc:
        raise RestoreFailed(str(exc)) from None


# --- Step 6 -------------------------------------------------------------------------------------------


def _restore_media(packed: Path, manifest: dict[str, Any], *, replace: bool) -> tuple[int, int]:
    expected: dict[str, str] = manifest["media"]["sha256"]
    if replace:
        location = getattr(default_storage, "location", None)
        if isinstance(default_storage, FileSystemStorage) and location and Path(location).is_dir():
            # A folder is moved aside whole (kept until someone deletes it); a bucket's files are deleted.
            Path(location).rename(f"{Path(location)}.before-restore-{_stamp()}")
            Path(location).mkdir(parents=True)
        else:
            for name in list(backup.walk_storage(default_storage)):
                default_storage.delete(name)
    count = size = 0
    with tarfile.open(packed, "r:gz") as archive:
        for member in archive:
            if not member.isfile():
                continue
            name = member.name
            if name.startswith("/") or ".." in Path(name).parts:
                raise RestoreFailed(f"备份集中的文件名不安全：{name}")
            handle = archive.extractfile(member)
            assert handle is not None
            data = handle.read()
            digest = hashlib.sha256(data).hexdigest()
            if digest != expected.get(name):
                raise RestoreFailed(f"文件 {name} 的 SHA-256 与 manifest.json 不符")
            with tempfile.SpooledTemporaryFile(max_size=backup.CHUNK * 8) as spool:
                spool.write(data)
                spool.seek(0)
                stored = default_storage.save(name, File(spool, name=name))
            if stored != name:
                raise RestoreFailed(f"文件 {name} 被存为 {stored}：存储中已有同名文件")
            count += 1
            size += member.size
    if count != manifest["media"]["files"]:
        raise RestoreFailed(
            f"恢复了 {count} 个文件，manifest.json 列有 {manifest['media']['files']} 个"
        )
    return count, size


# --- Steps 7 and 8 -----------------------------------------------------------------------------------


def _compare(manifest: dict[str, Any], alias: str) -> backup.Inventory:
    connection = connections[alias]
    money = [tuple(key.split(".", 1)) for key in manifest["money"]]
    with connection.cursor() as cursor:
        inventory = backup.take_inventory(cursor, connection.vendor, money)  # type: ignore[arg-type]
    differences = [
        f"{table}: 备份 {rows} 行，恢复后 {inventory.tables.get(table)} 行"
        for table, rows in manifest["tables"].items()
        if inventory.tables.get(table) != rows
    ] + [
        f"{column}: 备份合计 {total}，恢复后 {inventory.money.get(column)}"
        for column, total in manifest["money"].items()
        if inventory.money.get(column) != total
    ]
    if differences:
        raise RestoreFailed("恢复后的数据库与备份集不符：" + "；".join(differences))
    return inventory


def _pending_migrations(alias: str) -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _backwards in plan]


def restore_set(
    source: str, *, replace: bool = False, migrate: bool = True, alias: str = "default"
) -> Report:
    with tempfile.TemporaryDirectory(prefix="kedaitong-restore-") as tmp:
        folder = Path(tmp)
        path, sidecar = fetch(source, folder)
        parts = folder / "parts"
        parts.mkdir()
        manifest = check_set(path, sidecar, parts)
        check_code(manifest, alias)
        if manifest["engine"] == "postgresql":
            _ensure_pg_database(alias)
        check_target(replace=replace, alias=alias)
        if manifest["engine"] == "sqlite":
            _restore_sqlite(alias, parts / manifest["database"], folder, replace=replace)
        else:
            _restore_postgresql(alias, parts / manifest["database"], replace=replace)
        files, size = _restore_media(parts / MEDIA, manifest, replace=replace)
        inventory = _compare(manifest, alias)
        report = Report(
            name=manifest["name"],
            manifest=manifest,
            tables=inventory.tables,
            money=inventory.money,
            files=files,
            bytes=size,
        )
        if migrate:
            report.applied = _pending_migrations(alias)
            if report.applied:
                call_command("migrate", interactive=False, verbosity=0, database=alias)
        return report


def check_only(source: str, alias: str = "default") -> dict[str, Any]:
    """Steps 1–3 alone: is this set whole, and can this checkout restore it? (`restore --check`)"""
    with tempfile.TemporaryDirectory(prefix="kedaitong-check-") as tmp:
        folder = Path(tmp)
        path, sidecar = fetch(source, folder)
        parts = folder / "parts"
        parts.mkdir()
        manifest = check_set(path, sidecar, parts)
        check_code(manifest, alias)
        return manifest
