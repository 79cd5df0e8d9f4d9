"""Daily: list the applications waiting in a review queue for longer than N days (by the date they entered their state)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from review.selectors import waiting_longer_than


class Command(BaseCommand):
    help = "List applications waiting in a review queue longer than --days (default REVIEW_OVERDUE_DAYS or 5)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="default: REVIEW_OVERDUE_DAYS from the environment (settings), 5 when unset",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.REVIEW_OVERDUE_DAYS if options["days"] is None else options["days"]
        if days < 0:
            self.stderr.write("--days must be zero or more")
            raise SystemExit(2)
        now = timezone.now()
        rows = waiting_longer_than(dt.timedelta(days=days), now=now)
        for application, since in rows:
            waited = (now - since).days
            self.stdout.write(
                f"{application.reference}\t{application.enterprise.name}\t{application.state}\t{waited}"
            )
        self.stdout.write(f"{len(rows)} waiting longer than {days} days")
