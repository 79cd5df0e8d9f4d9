"""A migrated SQLite test database, kept as a template and copied by every later pytest process.

`migrate` renders about 12,000 historical models for this project's migrations: some 20 s in each
pytest process (each xdist worker, then the browser tests, then the suite under faketime). The first
process to migrate saves its database as `var/test-template-<key>.sqlite3`; a later process copies it
to its own test database and only checks that nothing is left to apply. The key is a hash of what the
migrated database depends on: every app's migrations, the data files they load and the project's modules
they import, the locked requirements (third-party apps' migrations) and the Python and Django versions. A
change to any of them makes a new key, so a stale template is never used; `rm var/test-template-*`
forgets them all.

On PostgreSQL the template is a database, `test_<name>_tpl_<key>`: the first worker to take the
advisory lock migrates its own test database and copies it to the template (`CREATE DATABASE ...
TEMPLATE ...`) before letting the others in; every other worker, and every later run with the same
key, gets its test database as a copy of the template (a second or two) instead of migrating it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.backends.base.base import NO_DB_ALIAS

BASE = Path(settings.BASE_DIR)
IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\s+([\w, ()]+)|import\s+([\w.]+))", re.M)


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
    paths: list[Path] = [BASE / "requirements.lock"]  # third-party apps' migrations
    for config in apps.get_app_configs():
        root = Path(config.path)
        if BASE not in root.parents:
            continue  # a third-party app: its version is in requirements.lock
        for folder in ("migrations", "data"):
            if (root / folder).is_dir():
                found = sorted(
                    p
                    for p in (root / folder).rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts
                )
                paths += found
                if folder == "migrations":  # and the project's modules they import
                    paths += [m for p in found if p.suffix == ".py" for m in _project_imports(p)]
    for path in sorted(set(paths)):
        digest.update(str(path.relative_to(BASE)).encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


def _project_imports(migration: Path) -> list[Path]:
    """The project's own modules a migration imports (`from kedaitong import auditchain`)."""
    found = []
    for package, names, plain in IMPORT.findall(migration.read_text(encoding="utf-8")):
        modules = [plain] if plain else [package]
        modules += [f"{package}.{n.strip()}" for n in names.strip("()").split(",") if package]
        for module in modules:
            stem = BASE.joinpath(*module.split("."))
            for candidate in (stem.with_suffix(".py"), stem / "__init__.py"):
                if candidate.is_file():
                    found.append(candidate)
    return found


def template_path() -> Path:
    return BASE / "var" / f"test-template-{template_key()}.sqlite3"


# The lock file held while one process migrates and saves the SQLite template (until save()).
_SQLITE_LOCK: list[Any] = []


def restore() -> bool:
    """Copy the template to this process's test database (True); False when not SQLite, or when there is no
    template yet: then this process keeps the lock, migrates, and `save()` lets the others in. Workers started
    together would otherwise all migrate at once (three workers on two cores: about 28 s instead of 19 s)."""
    target = _sqlite_file()
    if target is None:
        return False
    template = template_path()
    template.parent.mkdir(parents=True, exist_ok=True)
    lock = open(template.parent / "test-template.lock", "a+")  # noqa: SIM115 - held past this function
    fcntl.flock(lock, fcntl.LOCK_EX)
    if not template.exists():
        _SQLITE_LOCK.append(lock)
        return False
    lock.close()
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
    try:
        _save_sqlite()
    finally:
        while _SQLITE_LOCK:
            _SQLITE_LOCK.pop().close()


def _save_sqlite() -> None:
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


# --- PostgreSQL ---------------------------------------------------------------------------------------


def _postgres() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


def _pg_names() -> tuple[str, str, str]:
    """This process's test database, the templates' prefix and this key's template: test_h3_gw1, test_h3_tpl_,
    test_h3_tpl_0123456789abcdef."""
    test_name = connection.creation._get_test_db_name()
    prefix = f"{re.sub(r'_gw[0-9]+$', '', test_name)}_tpl_"
    return test_name, prefix, prefix + template_key()


def _pg_maintenance():  # type: ignore[no-untyped-def]
    """A connection to the server's `postgres` database, outside every test database (as Django's own)."""
    from django.db import connections

    wrapper = connections["default"]
    return wrapper.__class__({**wrapper.settings_dict, "NAME": "postgres"}, alias=NO_DB_ALIAS)


def _pg_lock_id(template: str) -> int:
    return int(hashlib.sha256(template.encode()).hexdigest()[:15], 16)


# (maintenance connection holding the lock, test database, templates' prefix, template) until pg_save()
_PG_LOCK_HELD: list[tuple] = []


def pg_restore() -> bool:
    """Copy the template to this process's test database (True), or, with no template yet, keep the lock and
    return False: this process migrates, `pg_save()` makes the template and lets the others in."""
    if not _postgres():
        return False
    target, _, template = _pg_names()
    quote = connection.ops.quote_name
    maintenance = _pg_maintenance()
    with maintenance.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_pg_lock_id(template)])
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        if cursor.fetchone() is None:
            _PG_LOCK_HELD.append((maintenance, *_pg_names()))
            return False
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(target)} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quote(target)} TEMPLATE {quote(template)}")
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_pg_lock_id(template)])
    maintenance.close()
    return True


def pg_save() -> None:
    """Copy this process's freshly migrated test database to the template, then release the lock."""
    if not _PG_LOCK_HELD:
        return
    maintenance, source, prefix, template = (
        _PG_LOCK_HELD.pop()
    )  # named before the test settings were set
    quote = connection.ops.quote_name
    from django.db import connections

    connections.close_all()  # a template's source may have no other session
    with maintenance.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
            [prefix.replace("_", r"\_") + "%", template],
        )
        for (old,) in cursor.fetchall():  # templates of other migrations
            try:
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(old)}")
            except DatabaseError:
                pass  # being copied by another run: left for a later one
        cursor.execute(f"CREATE DATABASE {quote(template)} TEMPLATE {quote(source)}")
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_pg_lock_id(template)])
    maintenance.close()
