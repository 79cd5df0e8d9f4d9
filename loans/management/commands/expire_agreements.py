"""`manage.py expire_agreements [--on YYYY-MM-DD]`: daily, agreements past their last day become expired."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from loans.agreements import agreements_expire


class Command(BaseCommand):
    help = "Expire the cooperation agreements whose term has ended (附件2 十一(一))."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", default=None, help="the day to judge by (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = dt.date.fromisoformat(options["on"]) if options["on"] else None
        except ValueError:
            raise CommandError(f"日期“{options['on']}”无效，请按YYYY-MM-DD填写") from None
        for agreement in agreements_expire(on=on):
            self.stdout.write(
                f"{agreement.bank.name} · {agreement.program.name} "
                f"{agreement.number or agreement.pk}: 已于{agreement.ends_on:%Y-%m-%d}期满"
            )
