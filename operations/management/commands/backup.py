"""`manage.py backup`: one consistent, compressed, checksummed set of the database and the uploaded files."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.backup import BackupError, backup_create, list_sets


class Command(BaseCommand):
    help = (
        "Write a backup set (database and uploaded files) to BACKUP_DIR or the S3 bucket, "
        "and keep the sets of the last BACKUP_KEEP_DAYS days (docs/operations.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep-days",
            type=int,
            default=None,
            help="days of sets to keep (default: BACKUP_KEEP_DAYS)",
        )
        parser.add_argument("--list", action="store_true", help="list the stored sets and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for name in list_sets():
                self.stdout.write(name)
            return
        if options["keep_days"] is not None and options["keep_days"] < 1:
            raise CommandError("--keep-days must be 1 or more")
        try:
            run = backup_create(keep_days=options["keep_days"])
        except BackupError as exc:
            raise CommandError(f"备份失败，未保存备份集：{exc}") from None
        self.stdout.write(f"备份集已写入 {run.location}/{run.name}（{run.size} 字节）")
        self.stdout.write(f"SHA-256 {run.sha256}")
        self.stdout.write(run.message)
        for name in run.removed:
            self.stdout.write(f"已删除超出保留天数的备份集 {name}")
