"""Strict readers for settings taken from the environment.

A malformed value stops start-up with one line naming the variable: a typo in
production must never quietly fall back to a laptop default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import dj_database_url

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


# The key the repository carries for laptops and tests. Anyone can read it, so anyone could
# sign sessions, password-reset links and e-mail verification links with it: production refuses it.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-kedaitong-not-for-production-0123456789abcdef"
SECRET_KEY_MIN_LENGTH = 50  # as Django's own deploy check (security.W009)


def secret_key_problem(key: str) -> str | None:
    """Why `key` may not sign anything in production, or None: the committed key, too short, too plain."""
    if key == DEVELOPMENT_SECRET_KEY:
        return "SECRET_KEY is the development key committed to the repository"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY has {len(key)} characters, fewer than {SECRET_KEY_MIN_LENGTH}"
    if len(set(key)) < 5 or key.startswith("django-insecure"):
        return "SECRET_KEY is not a random key"
    return None


SECRET_KEY_HINT = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"


class EnvError(Exception):
    """A variable in the environment has a value the portal cannot use."""


def env_str(name: str, default: str = "", *, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(name, default)


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    if name not in environ:
        return default
    value = environ[name].strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise EnvError(
        f"{name}={environ[name]!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off"
    )


def env_int(name: str, default: int, *, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    if name not in environ or environ[name].strip() == "":
        return default
    try:
        return int(environ[name])
    except ValueError:
        raise EnvError(f"{name}={environ[name]!r} is not a whole number") from None


def env_list(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    environ = os.environ if environ is None else environ
    if name not in environ:
        return default
    return [item.strip() for item in environ[name].split(",") if item.strip()]


def env_database(
    name: str, default: str, *, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Parse DATABASE_URL; only SQLite and PostgreSQL are supported."""
    environ = os.environ if environ is None else environ
    url = environ.get(name) or default
    # A process keeps its database connection between requests for DATABASE_CONN_MAX_AGE seconds, checked before
    # each request reuses it (a server restarted meanwhile is reconnected to). Opening one per request cost
    # 5.6 ms on SQLite (a new connection parses the schema: some 150 tables with their indexes and history
    # triggers) and 9.1 ms on PostgreSQL, against a review queue page of about 16 ms (issue 20, docs/decisions.md).
    # 0: one connection per request, Django's default.
    max_age = env_int("DATABASE_CONN_MAX_AGE", 60, environ=environ)
    if max_age < 0:
        raise EnvError(f"DATABASE_CONN_MAX_AGE={max_age!r} must be 0 or more seconds")
    try:
        config = dj_database_url.parse(url, conn_max_age=max_age, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises several kinds
        raise EnvError(f"{name}={url!r} does not parse as a database URL ({exc})") from None
    engine = config.get("ENGINE", "")
    if engine not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        raise EnvError(f"{name}={url!r}: only sqlite:/// and postgres:// URLs are supported")
    if engine == "django.db.backends.sqlite3":
        if not config.get("NAME"):
            raise EnvError(f"{name}={url!r} names no SQLite file")
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue
        # behind the busy timeout instead of failing with "database is locked";
        # WAL lets readers go on while one writes.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    return config
