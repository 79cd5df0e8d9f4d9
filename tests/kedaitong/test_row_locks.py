"""Every row lock the portal takes is FOR NO KEY UPDATE (`select_for_update(no_key=True)`).

The portal locks rows to serialize writers (a program while its banks' files are saved, an application while it
takes a step), never to change a key. FOR UPDATE also blocks the foreign-key check (FOR KEY SHARE) of any row
inserted naming the locked one, and PostgreSQL runs those checks at commit, after the transaction's audit entry has
taken the audit chain's lock (kedaitong/auditchain.py): a bank's upload, naming its program, deadlocked so with a
save of that program that held the program FOR UPDATE and waited to log (tests/loans/test_race.py). FOR NO KEY
UPDATE locks out every other writer just the same and lets key checks through. SQLite takes no row locks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "migrations", "node_modules", "bench", "var"}


def portal_modules() -> list[Path]:
    return [
        path for path in ROOT.rglob("*.py") if not SKIP.intersection(path.relative_to(ROOT).parts)
    ]


def test_every_row_lock_lets_key_checks_through():
    found, plain = 0, []
    for path in portal_modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "select_for_update"
            ):
                found += 1
                no_key = next((k.value for k in node.keywords if k.arg == "no_key"), None)
                if not (isinstance(no_key, ast.Constant) and no_key.value is True):
                    plain.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found > 40  # the scan reads the services (about 60 locks)
    assert not plain, (
        f"lock with select_for_update(no_key=True) (this module's docstring says why): {plain}"
    )
