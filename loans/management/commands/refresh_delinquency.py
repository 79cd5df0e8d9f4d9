"""`manage.py refresh_delinquency [--on YYYY-MM-DD]`, daily: days past due and buckets from the overdue events.

More than one month past due marks a Changjiang loan eligible for risk
compensation (第十一条 1); more than six months proposes a blacklist entry to
the bureau (第九条), once per loan.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from loans.services import delinquency_refresh


class Command(BaseCommand):
    help = "Derive days past due, buckets, compensation eligibility and blacklist proposals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--on",
            type=dt.date.fromisoformat,
            default=None,
            help="the day to compute for (default today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = delinquency_refresh(on=options["on"] or timezone.localdate())
        self.stdout.write(
            f"{result['loans']}笔贷款：{result['changed']}笔逾期状态变化，{result['eligible']}笔可申请风险补偿，"
            f"新提出黑名单建议{result['proposed']}条"
        )
