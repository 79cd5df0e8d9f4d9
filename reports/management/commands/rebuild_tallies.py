"""`manage.py rebuild_tallies`: recount the dashboards' tallies from the records (reports/tallies.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Recount the dashboards' tallies of applications and loans from the records. "
        "With --check, only compare them and fail if any differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="compare only; exit 1 when a tally differs"
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        from reports import tallies

        if check:
            counted, kept = tallies.counted(), tallies.kept()
            differ = [
                (name, key)
                for name, want, have in zip(("applications", "loans"), counted, kept, strict=True)
                for key in sorted(set(want) | set(have), key=str)
                if want.get(key) != have.get(key)
            ]
            for name, key in differ[:20]:
                self.stdout.write(
                    f"{name} {key}: kept {kept[0 if name == 'applications' else 1].get(key)}, counted {counted[0 if name == 'applications' else 1].get(key)}"
                )
            if differ:
                raise CommandError(f"{len(differ)} tallies differ from the records")
            self.stdout.write("The tallies match the records.")
            return
        tallies.rebuild()
        self.stdout.write("Tallies recounted.")
