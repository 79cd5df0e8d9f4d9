"""`manage.py loan_maturity_reminders [--on YYYY-MM-DD] [--days N]`, daily: 到期提示 to the lending banks (第十条).

Each loan with principal outstanding that matures within N days (`MATURITY_REMINDER_DAYS`, 30 by default) is
reminded to its bank once per maturity; running it twice, or on a day it already ran, reminds nobody again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kedaitong.money import format_yuan
from loans.services import maturity_reminders_send


class Command(BaseCommand):
    help = "Remind banks of their loans maturing within N days (Changjiang 第十条 到期提示催收), once per maturity."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--on", default=None, help="the day to run for, YYYY-MM-DD (default today)"
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="days before maturity (default MATURITY_REMINDER_DAYS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = dt.date.fromisoformat(options["on"]) if options["on"] else timezone.localdate()
        except ValueError:
            raise CommandError(f"日期“{options['on']}”无效，应为 YYYY-MM-DD") from None
        days = options["days"] if options["days"] is not None else settings.MATURITY_REMINDER_DAYS
        if days < 0:
            raise CommandError(f"天数“{days}”无效，应为0或正整数")
        sent = maturity_reminders_send(on=on, days=days)
        for reminder in sent:
            loan = reminder.loan
            self.stdout.write(
                f"{loan.bank.name}\t{loan.contract_no}\t{loan.enterprise.name}"
                f"\t{reminder.maturity_date:%Y-%m-%d}到期\t未还本金{format_yuan(reminder.outstanding)}元"
            )
        self.stdout.write(f"{on:%Y-%m-%d}：{days}天内到期的贷款，新发到期提示{len(sent)}笔")
