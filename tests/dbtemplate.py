"""A migrated SQLite test database, kept as a template and copied by every later pytest process.

`migrate` renders about 12,000 historical models for this project's migrations: some 20 s in each
pytest process (each xdist worker, then the browser tests, then the suite under faketime). The first
process to migrate saves its database as `var/test-template-<key>.sqlite3`; a later process copies it
to its own test database and only checks that nothing is left to apply. The key is a hash of what the
migrated database depends on: every app's migrations and the data files they load, the modules they
import, the locked requirements (third-party apps' migrations) and the Python and Django versions. A
change to any of them makes a new key, so a stale template is never used; `rm var/test-template-*`
forgets them all. PostgreSQL test databases are created as before.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.db import connection

BASE = Path(settings.BASE_DIR)
# Files outside the apps' migrations and data folders that a migration imports.
ALSO_HASHED = ("kedaitong/auditchain.py", "requirements.lock")


def _sqlite_file() -> Path | None:
    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("sqlite3"):
        return None
    name = (database.get("TEST") or {}).get("NAME")
    if not name or name == ":memory:" or str(name).startswith("file:"):
        return None
    return Path(name)


def template_key() -> str:
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:3]} {django.__version__}".encode())
    paths: list[Path] = [BASE / name for name in ALSO_HASHED]
    for config in apps.get_app_configs():
        root = Path(config.path)
        if BASE not in root.parents:
            continue  # a third-party app: its version is in requirements.lock
        for folder in ("migrations", "data"):
            if (root / folder).is_dir():
                paths += sorted(
                    p
                    for p in (root / folder).rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts
                )
    for path in sorted(set(paths)):
        digest.update(str(path.relative_to(BASE)).encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


def template_path() -> Path:
    return BASE / "var" / f"test-template-{template_key()}.sqlite3"


def restore() -> bool:
    """Copy the template to this process's test database; False when there is none (or not SQLite)."""
    target = _sqlite_file()
    if target is None:
        return False
    template = template_path()
    if not template.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    partial = Path(f"{target}.copying")
    with sqlite3.connect(template) as source, sqlite3.connect(partial) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    os.replace(partial, target)
    return True


def save() -> None:
    """Keep the freshly migrated test database as the template (written aside, then moved in place)."""
    if _sqlite_file() is None:
        return
    template = template_path()
    if template.exists():
        return
    for old in template.parent.glob("test-template-*.sqlite3"):
        if old != template:
            old.unlink(missing_ok=True)  # a template of other migrations
    partial = template.with_name(f"{template.name}.{os.getpid()}")
    partial.unlink(missing_ok=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(partial)])
    os.replace(partial, template)
