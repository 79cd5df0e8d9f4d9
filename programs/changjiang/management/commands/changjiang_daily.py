"""Daily: recovery cases for loans unpaid at maturity (第七条) and the quarter's credit-plan alerts (第五条)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from programs.changjiang import services


class Command(BaseCommand):
    help = "Open joint recovery cases and send the quarter's credit-plan alerts (Changjiang 第五条, 第七条)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        on = options["on"] or timezone.localdate()
        cases = services.recovery_cases_open(on=on)
        alerts = services.credit_plan_alerts_send(on=on)
        self.stdout.write(
            f"{len(cases)} recovery case(s) opened, {len(alerts)} credit-plan alert(s)"
        )
