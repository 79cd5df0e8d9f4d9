"""Backup sets: the database and the uploaded files together, compressed, checksummed, kept N days.

A set is one file `kedaitong-YYYYMMDD-HHMMSS.tar` (the bureau's local time) with
a `.sha256` beside it (`sha256sum -c` reads it). Inside, uncompressed since
each part is compressed already:

- `manifest.json`: when, which database engine, the SHA-256 and size of each
  part, the migrations the database had, every table's row count, the total of
  every yuan column, the last audit row (id and hash: an anchor for
  `audit_verify --anchor`), and each uploaded file's SHA-256;
- `database.sqlite3.gz` (SQLite's online backup API: a running portal is not
  stopped) or `database.pgdump` (pg_dump's compressed custom format);
- `media.tar.gz`: every file of the default storage (MEDIA_ROOT or its bucket).

`backup_create` takes these steps:

1. Snapshot the database, and count and total it *in that same snapshot*:
   SQLite copies the file with the backup API and counts the copy; PostgreSQL
   opens a REPEATABLE READ transaction, exports its snapshot, counts in it and
   runs `pg_dump --snapshot` on it, so the manifest describes exactly the dump.
2. Archive the uploaded files after the snapshot (files are only ever added,
   never rewritten, so every file the snapshot names is there; one uploaded
   meanwhile is simply extra). Files the database names but the storage lacks
   are listed in the manifest (`missing_files`).
3. Write the set to a temporary folder, checksum it, store it and its
   `.sha256` in the backup storage (`STORAGES["backups"]`: `BACKUP_DIR`, or an
   S3-compatible bucket through django-storages).
4. Remove the sets of days older than the last `BACKUP_KEEP_DAYS` days that
   have a set (every set of a kept day stays).
5. Record the run (`BackupRun`) for the administrator's home page.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import django
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, default_storage, storages
from django.db import connections, models
from django.db.backends.postgresql.client import DatabaseClient
from django.utils import timezone

from operations.models import BackupRun

FORMAT = 1
PREFIX = "kedaitong-"
SET_NAME = re.compile(r"^kedaitong-(\d{8})-(\d{6})(?:-(\d+))?\.tar$")
MANIFEST = "manifest.json"
MEDIA = "media.tar.gz"
DATABASE = {"sqlite": "database.sqlite3.gz", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """The set could not be written; nothing was stored (the message says why)."""


# --- What a database holds -----------------------------------------------------------------------


def money_columns() -> list[tuple[str, str]]:
    """Every yuan column of the portal: (table, column) of each DecimalField with two places."""
    return sorted(
        {
            (m._meta.db_table, f.column)
            for m in apps.get_models()
            if m._meta.managed and not m._meta.proxy
            for f in m._meta.concrete_fields
            if isinstance(f, models.DecimalField) and f.decimal_places == 2
        }
    )


def file_columns() -> list[tuple[str, str]]:
    return sorted(
        {
            (m._meta.db_table, f.column)
            for m in apps.get_models()
            if m._meta.managed and not m._meta.proxy
            for f in m._meta.concrete_fields
            if isinstance(f, models.FileField)
        }
    )


@dataclass
class Inventory:
    """Row counts, yuan totals, migrations, the audit head and the files named: read from one snapshot."""

    tables: dict[str, int] = field(default_factory=dict)
    money: dict[str, str] = field(default_factory=dict)  # "table.column" → total, exact to the fen
    migrations: list[list[str]] = field(default_factory=list)
    audit_head: dict[str, Any] | None = None
    files_named: set[str] = field(default_factory=set)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def take_inventory(
    cursor: Any, vendor: str, money: list[tuple[str, str]] | None = None
) -> Inventory:
    """Count and total through a DB-API cursor (a sqlite3 one or Django's), in the caller's snapshot."""
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    else:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    tables = [row[0] for row in cursor.fetchall()]
    inventory = Inventory()
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
        inventory.tables[table] = int(cursor.fetchone()[0])
    for table, column in money if money is not None else money_columns():
        if table not in inventory.tables:
            continue
        if vendor == "sqlite":
            # SQLite keeps decimals as floats: add whole fens (exact up to 2**53 fen), as kedaitong.db.MoneySum.
            cursor.execute(f"SELECT SUM(ROUND({_quote(column)} * 100)) FROM {_quote(table)}")
            fens = cursor.fetchone()[0]
            total = Decimal(int(round(fens or 0))) / 100
        else:
            cursor.execute(f"SELECT SUM({_quote(column)}) FROM {_quote(table)}")
            total = Decimal(cursor.fetchone()[0] or 0)
        inventory.money[f"{table}.{column}"] = f"{total:.2f}"
    if "django_migrations" in inventory.tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        inventory.migrations = [[app, name] for app, name in cursor.fetchall()]
    if "kedaitong_auditentry" in inventory.tables:
        cursor.execute("SELECT id, row_hash FROM kedaitong_auditentry ORDER BY id DESC LIMIT 1")
        head = cursor.fetchone()
        inventory.audit_head = {"id": int(head[0]), "hash": head[1]} if head else None
    for table, column in file_columns():
        if table in inventory.tables:
            cursor.execute(
                f"SELECT {_quote(column)} FROM {_quote(table)} WHERE {_quote(column)} <> ''"
            )
            inventory.files_named.update(row[0] for row in cursor.fetchall())
    return inventory


# --- Database snapshots --------------------------------------------------------------------------


def _snapshot_sqlite(alias: str, target: Path) -> Inventory:
    connection = connections[alias]
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    patience = float(getattr(settings, "BACKUP_BUSY_SECONDS", 300))
    deadline = time.monotonic() + patience

    def give_up_when_locked_too_long(status: int, remaining: int, total: int) -> None:
        # sqlite3's backup retries a busy or locked source for ever (SQLITE_BUSY 5, SQLITE_LOCKED 6:
        # another process writing, or this very connection inside a write transaction). A daily
        # backup that never ends protects nothing and holds its worker: give up after a while.
        if status in (5, 6) and time.monotonic() > deadline:
            raise BackupError(
                f"数据库持续被写入锁定超过 {patience:g} 秒，未能取得一致副本（BACKUP_BUSY_SECONDS）"
            )

    try:
        # One consistent copy while the portal keeps running.
        connection.connection.backup(copy, progress=give_up_when_locked_too_long)
    finally:
        copy.close()
    copy = sqlite3.connect(target)
    try:
        inventory = take_inventory(copy.cursor(), "sqlite")
    finally:
        copy.close()
    with open(target, "rb") as raw, gzip.open(f"{target}.gz", "wb", compresslevel=6) as packed:
        shutil.copyfileobj(raw, packed, CHUNK)
    target.unlink()
    return inventory


def pg_command(
    settings_dict: dict[str, Any], program: str, *extra: str
) -> tuple[list[str], dict[str, str]]:
    """The connection arguments of pg_dump / pg_restore / psql, and their environment (password, TLS)."""
    _args, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    options = settings_dict.get("OPTIONS") or {}
    args = [program]
    user = options.get("user") or settings_dict.get("USER")
    host = options.get("host") or settings_dict.get("HOST")
    port = options.get("port") or settings_dict.get("PORT")
    if user:
        args += ["-U", str(user)]
    if host:
        args += ["-h", str(host)]
    if port:
        args += ["-p", str(port)]
    return [*args, *extra], {**os.environ, **{k: str(v) for k, v in env.items()}}


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"{args[0]} is not installed (Debian: apt-get install postgresql-client)"
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()[-2000:]}")


def _snapshot_postgresql(alias: str, target: Path) -> Inventory:
    connection = connections.create_connection(alias)  # its own transaction, whatever the caller's
    try:
        connection.ensure_connection()
        connection.set_autocommit(False)
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            inventory = take_inventory(cursor, "postgresql")
            args, env = pg_command(
                connection.settings_dict,
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={target}",
                f"--dbname={connection.settings_dict['NAME']}",
            )
            _run(args, env)  # while the exporting transaction is still open
        connection.rollback()
    finally:
        connection.close()
    return inventory


# --- Uploaded files --------------------------------------------------------------------------------


def walk_storage(storage: Storage, path: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(path)
    except FileNotFoundError:  # no MEDIA_ROOT yet: nothing uploaded
        return
    for name in sorted(files):
        yield f"{path}/{name}" if path else name
    for folder in sorted(folders):
        yield from walk_storage(storage, f"{path}/{folder}" if path else folder)


class _Hashing:
    """A reader that hashes what passes through it (tarfile reads each file exactly once)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha256.update(data)
        return data


def _archive_media(storage: Storage, target: Path) -> dict[str, Any]:
    hashes: dict[str, str] = {}
    total = 0
    with tarfile.open(target, "w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as archive:
        for name in walk_storage(storage):
            size = storage.size(name)
            info = tarfile.TarInfo(name)
            info.size = size
            info.mode = 0o600
            try:
                info.mtime = int(storage.get_modified_time(name).timestamp())
            except (NotImplementedError, OSError):
                info.mtime = 0
            with storage.open(name, "rb") as handle:
                reader = _Hashing(handle)
                archive.addfile(info, reader)  # type: ignore[arg-type]
            hashes[name] = reader.sha256.hexdigest()
            total += size
    return {"files": len(hashes), "bytes": total, "sha256": hashes}


# --- The set -----------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def backup_storage() -> Storage:
    return storages["backups"]


def _where(storage: Storage) -> str:
    location = getattr(storage, "location", "")
    bucket = getattr(storage, "bucket_name", "")
    return f"s3://{bucket}/{location}".rstrip("/") if bucket else str(location)


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def engine_of(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in DATABASE:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def _set_name(storage: Storage, now: dt.datetime) -> str:
    stem = f"{PREFIX}{timezone.localtime(now):%Y%m%d-%H%M%S}"
    name, n = f"{stem}.tar", 1
    while storage.exists(name):
        n += 1
        name = f"{stem}-{n}.tar"
    return name


@dataclass
class Written:
    name: str
    size: int
    sha256: str
    manifest: dict[str, Any]
    removed: list[str]


def write_set(*, alias: str = "default", now: dt.datetime | None = None) -> Written:
    """Steps 1–3 of the module's docstring; returns the stored set's name, size, checksum and manifest."""
    now = now or timezone.now()
    engine = engine_of(alias)
    storage = backup_storage()
    with tempfile.TemporaryDirectory(prefix="kedaitong-backup-") as tmp:
        folder = Path(tmp)
        database = folder / DATABASE[engine]
        if engine == "sqlite":
            inventory = _snapshot_sqlite(alias, folder / "database.sqlite3")
        else:
            inventory = _snapshot_postgresql(alias, database)
        media = _archive_media(default_storage, folder / MEDIA)
        members = {
            part.name: {"sha256": sha256_of(part), "size": part.stat().st_size}
            for part in (database, folder / MEDIA)
        }
        name = _set_name(storage, now)
        manifest = {
            "format": FORMAT,
            "name": name,
            "created_at": now.isoformat(),
            "engine": engine,
            "database": database.name,
            "members": members,
            "tables": inventory.tables,
            "money": inventory.money,
            "migrations": inventory.migrations,
            "audit_head": inventory.audit_head,
            "media": media,
            "missing_files": sorted(inventory.files_named - set(media["sha256"])),
            "portal": {
                "commit": _git_commit(),
                "django": django.get_version(),
                "python": platform.python_version(),
            },
        }
        (folder / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
        )
        bundle = folder / name
        with tarfile.open(bundle, "w", format=tarfile.PAX_FORMAT) as archive:
            for part in (MANIFEST, database.name, MEDIA):
                archive.add(folder / part, arcname=part)
        checksum = sha256_of(bundle)
        with open(bundle, "rb") as handle:
            stored = storage.save(name, File(handle, name=name))
        if stored != name:
            raise BackupError(f"the backup storage saved the set as {stored}, not {name}")
        sidecar = f"{name}.sha256"
        storage.save(sidecar, ContentFile(f"{checksum}  {name}\n".encode(), name=sidecar))
        return Written(name, bundle.stat().st_size, checksum, manifest, [])


def list_sets(storage: Storage | None = None) -> list[str]:
    """The sets in the backup storage, oldest first."""
    storage = storage or backup_storage()
    try:
        _folders, files = storage.listdir("")
    except FileNotFoundError:
        return []
    return sorted(
        (f for f in files if SET_NAME.match(f)),
        key=lambda f: (SET_NAME.match(f)[1], SET_NAME.match(f)[2], int(SET_NAME.match(f)[3] or 1)),  # type: ignore[index]
    )


def prune(*, keep_days: int, storage: Storage | None = None) -> list[str]:
    """Step 4: keep the sets of the last `keep_days` days that have one; remove the older ones."""
    storage = storage or backup_storage()
    sets = list_sets(storage)
    days = sorted({SET_NAME.match(s)[1] for s in sets}, reverse=True)  # type: ignore[index]
    kept = set(days[:keep_days])
    removed = []
    for name in sets:
        if SET_NAME.match(name)[1] not in kept:  # type: ignore[index]
            for part in (name, f"{name}.sha256"):
                if storage.exists(part):
                    storage.delete(part)
            removed.append(name)
    return removed


def backup_create(*, keep_days: int | None = None, now: dt.datetime | None = None) -> BackupRun:
    """Write one set, prune the old ones, record the run (the daily task and `manage.py backup`)."""
    started = timezone.now()
    try:
        written = write_set(now=now)
        written.removed = prune(keep_days=keep_days or settings.BACKUP_KEEP_DAYS)
    except (BackupError, OSError, subprocess.SubprocessError) as exc:
        BackupRun.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            ok=False,
            location=_where(backup_storage()),
            message=str(exc)[:2000],
        )
        raise BackupError(str(exc)) from exc
    return BackupRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        ok=True,
        name=written.name,
        location=_where(backup_storage()),
        size=written.size,
        sha256=written.sha256,
        removed=written.removed,
        message=summary(written.manifest),
    )


def summary(manifest: dict[str, Any]) -> str:
    rows = sum(manifest["tables"].values())
    return (
        f"{len(manifest['tables'])} tables, {rows} rows, {manifest['media']['files']} files "
        f"({manifest['media']['bytes']} bytes)"
    )
