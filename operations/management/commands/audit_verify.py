"""`manage.py audit_verify`: walk the audit chain, name the first row that does not match (daily)."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kedaitong.auditchain import Anchor
from operations.audit import audit_verify


def _anchor(text: str) -> Anchor:
    match = re.fullmatch(r"(\d+):([0-9a-f]{64})", text.strip())
    if not match:
        raise CommandError(
            f"--anchor {text!r}: expected ID:SHA256 (the audit_head of a backup set)"
        )
    return Anchor(int(match[1]), match[2])


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain row by row and name the first row that does not match. "
        "Exit status 1 when the chain is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="ID:SHA256",
            help="a row the chain must still contain with this hash (from a backup set kept elsewhere)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check = audit_verify(anchors=[_anchor(a) for a in options["anchor"]])
        if check.ok:
            self.stdout.write(check.message)
            if check.last_id:
                self.stdout.write(f"audit_head {check.last_id}:{check.last_hash}")
            return
        self.stderr.write(check.message)
        raise SystemExit(1)
