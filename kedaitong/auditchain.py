"""The audit trail as a hash chain: each row carries the hash of the row before it and of its own content.

A row edited in the database no longer matches its own hash; a row deleted or
slipped in breaks the link of the row after it. `verify` walks the chain in
id order and names the first row that does not match. Rewriting the whole
chain after an edit would pass the walk, so the last verified row (id and
hash) is kept by every check and copied into every backup set: a chain that
no longer contains an anchor it once had has been rewritten or cut.

The hash is SHA-256 of a canonical JSON document of the row (`canonical`):
keys sorted, times in UTC with microseconds, the content type by its natural
key (ids differ between databases), the data as stored (Decimals as text),
addresses in their compressed form. It must never change for existing rows:
a new format would need a version field and a migration.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

GENESIS = "0" * 64
# pg_advisory_xact_lock key: one writer at a time appends to the chain ("kdaudit").
LOCK_KEY = 0x6B64617564_6974

# The columns of AuditEntry that the hash covers, in the order `values_list` returns them.
FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "from_state",
    "to_state",
    "comment",
    "data",
    "ip_address",
    "prev_hash",
    "row_hash",
)


def _plain(value: Any) -> Any:
    """JSON as the database gives it back: floats without a fraction become integers (PostgreSQL's jsonb)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def stored_data(data: Any) -> Any:
    """What the JSON column will hold for `data` (DjangoJSONEncoder: Decimals, dates and UUIDs as text)."""
    return _plain(json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)))


def _address(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:
        return value


def canonical(
    *,
    at: dt.datetime,
    actor_id: int | None,
    actor_name: str,
    actor_role: str,
    action: str,
    content_type: str | None,
    object_id: str,
    object_repr: str,
    from_state: str,
    to_state: str,
    comment: str,
    data: Any,
    ip_address: str | None,
    prev_hash: str,
) -> bytes:
    document = {
        "at": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor_id,
        "actor_name": actor_name,
        "actor_role": actor_role,
        "action": action,
        "content_type": content_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "from_state": from_state,
        "to_state": to_state,
        "comment": comment,
        "data": stored_data(data),
        "ip": _address(ip_address),
        "prev": prev_hash,
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def digest(**fields: Any) -> str:
    return hashlib.sha256(canonical(**fields)).hexdigest()


def digest_row(row: Mapping[str, Any], content_types: Mapping[int, str]) -> str:
    """The hash of a row read with `values(*FIELDS)`, with its own stored prev_hash."""
    return digest(
        at=row["at"],
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        actor_role=row["actor_role"],
        action=row["action"],
        content_type=content_types.get(row["content_type_id"]) if row["content_type_id"] else None,
        object_id=row["object_id"],
        object_repr=row["object_repr"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        comment=row["comment"],
        data=row["data"],
        ip_address=row["ip_address"],
        prev_hash=row["prev_hash"],
    )


def serialize_appends(connection: Any) -> None:
    """Inside the caller's transaction: wait until no other transaction is appending to the chain.

    PostgreSQL: an advisory lock held until this transaction ends, so the next
    writer reads the row this one adds. SQLite: nothing to do, its transactions
    (IMMEDIATE) already take the single write lock at BEGIN.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


@dataclass(frozen=True)
class Anchor:
    """A row the chain once had: its id and hash (from an earlier check, or a backup's manifest)."""

    id: int
    hash: str


@dataclass
class Result:
    ok: bool
    rows: int
    last_id: int | None
    last_hash: str
    first_bad_id: int | None = None
    problem: str = ""  # "content", "link", "anchor", "cut"


def walk(
    rows: Iterable[Mapping[str, Any]],
    content_types: Mapping[int, str],
    anchors: Iterable[Anchor] = (),
) -> Result:
    """Check rows in id order; stop at the first that does not match (see the module's docstring)."""
    expected = {a.id: a.hash for a in anchors}
    previous = GENESIS
    count = 0
    last_id: int | None = None
    for row in rows:
        if row["prev_hash"] != previous:
            return Result(False, count, last_id, previous, row["id"], "link")
        if digest_row(row, content_types) != row["row_hash"]:
            return Result(False, count, last_id, previous, row["id"], "content")
        if row["id"] in expected and expected.pop(row["id"]) != row["row_hash"]:
            return Result(False, count, last_id, previous, row["id"], "anchor")
        # An anchor the walk has passed without meeting: that row is gone.
        gone = [i for i in expected if i < row["id"]]
        if gone:
            return Result(False, count, last_id, previous, min(gone), "cut")
        previous = row["row_hash"]
        last_id = row["id"]
        count += 1
    if expected:
        return Result(False, count, last_id, previous, min(expected), "cut")
    return Result(True, count, last_id, previous)
