"""Load the fictional demo data and print one login per role. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kedaitong.demo import demo_load


class Command(BaseCommand):
    help = "Load fictional demo data (idempotent) and print one login per role."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the logins")
        parser.add_argument(
            "--logins-only",
            action="store_true",
            help="print the logins only (`make run` does, once the server answers)",
        )
        parser.add_argument(
            "--address", default="http://127.0.0.1:8000", help="where the portal runs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_load()
        if not options["logins_only"]:
            created = ", ".join(
                f"{name} {count}" for name, count in sorted(result.created.items()) if count
            )
            self.stdout.write(f"Demo data: {created or 'nothing new (already loaded)'}")
            if options["quiet_logins"]:
                return
            self.stdout.write("")
        self.stdout.write(f"Logins ({options['address']}/accounts/login/):")
        width = max(len(username) for username, _, _ in result.logins)
        for username, password, label in result.logins:
            self.stdout.write(f"  {username.ljust(width)}  {password}  {label}")
