"""`manage.py restore SET`: put a backup set's database and files back, after checking it (docs/operations.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.restore import RestoreFailed, RestoreRefused, check_only, restore_set


class Command(BaseCommand):
    help = (
        "Restore a backup set (a file, a set's name in the backup storage, or 'latest') into an empty "
        "database and media folder. Refuses a set whose checksums do not match or whose migrations are "
        "newer than this checkout. Prints rows per table, files and the total of every money column."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "set", help="path of a .tar set, its name in the backup storage, or 'latest'"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace a database and media storage that are not empty (stop the portal first)",
        )
        parser.add_argument(
            "--check", action="store_true", help="only check the set's checksums and migrations"
        )
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="do not apply this checkout's newer migrations",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["check"]:
                manifest = check_only(options["set"])
                self.stdout.write(
                    f"备份集 {manifest['name']} 完好（SHA-256 均相符），本代码可以恢复它"
                )
                return
            report = restore_set(
                options["set"], replace=options["replace"], migrate=not options["no_migrate"]
            )
        except RestoreRefused as exc:
            raise CommandError(f"拒绝恢复，未作任何改动：{exc}") from None
        except RestoreFailed as exc:
            raise CommandError(f"恢复失败：{exc}") from None
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "name": report.name,
                        "tables": report.tables,
                        "money": report.money,
                        "files": report.files,
                        "bytes": report.bytes,
                        "applied": report.applied,
                        "audit_head": report.manifest.get("audit_head"),
                    },
                    ensure_ascii=False,
                )
            )
            return
        for line in report.lines():
            self.stdout.write(line)
