"""`manage.py compensation_late_certificates`: write-off certificates that are late (第十一条 4), for the bureau's daily check.

The same rule as the claim list's 逾期 flag (`selectors.late_certificate_q`): handed in after the due day, or still
missing once the due day has passed. Prints one line per claim; exits with status 1 when there is any, so a cron job
can mail its output. Due days that may still move are recomputed from the calendar first
(`services.writeoff_due_refresh`). A due day counted without the official calendar (a year not loaded, e.g. 2027:
weekends only) is marked provisional on its line, and a last line names the years an admin must add and how many
write-offs, late or not, wait on them.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from compensation.models import Claim, WriteOff
from compensation.selectors import late_certificate_q, provisional_years
from compensation.services import writeoff_due_refresh


class Command(BaseCommand):
    help = "List compensated loans whose write-off certificate is late (Changjiang 第十一条 4)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", default=None, help="the day to judge by, YYYY-MM-DD (default today)"
        )
        parser.add_argument("--bank", default=None, help="only this bank (code)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = (
                dt.date.fromisoformat(options["as_of"])
                if options["as_of"]
                else timezone.localdate()
            )
        except ValueError:
            raise CommandError(f"日期“{options['as_of']}”无效，应为 YYYY-MM-DD") from None
        writeoff_due_refresh()  # a calendar loaded in bulk (no signals) still moves the provisional due days first
        claims = Claim.objects.filter(late_certificate_q(today)).select_related(
            "bank", "loan__enterprise", "write_off"
        )
        if options["bank"]:
            claims = claims.filter(bank__code=options["bank"])
        claims = list(claims.order_by("bank__code", "write_off__certificate_due_on", "reference"))
        for claim in claims:
            w = claim.write_off
            handed = (
                f"{w.certificate_submitted_on:%Y-%m-%d}提交"
                if w.certificate_submitted_on
                else "未提交"
            )
            provisional = (
                f"（暂定：{'、'.join(str(y) for y in provisional_years([w]))}年官方节假日安排未录入，仅按周末计算）"
                if w.calendar_unknown
                else ""
            )
            self.stdout.write(
                f"{claim.reference}\t{claim.bank.name}\t{claim.loan.enterprise.name}\t核销{w.written_off_on:%Y-%m-%d}"
                f"\t应于{w.certificate_due_on:%Y-%m-%d}前提交{provisional}\t{handed}"
            )
        self.stdout.write(f"截至{today:%Y-%m-%d}，核销凭据逾期{len(claims)}笔")
        waiting = WriteOff.objects.filter(calendar_unknown=True)
        if options["bank"]:
            waiting = waiting.filter(claim__bank__code=options["bank"])
        waiting = list(waiting)
        if waiting:
            years = "、".join(str(y) for y in provisional_years(waiting))
            self.stdout.write(
                f"共有{len(waiting)}笔核销凭据的截止日为暂定：{years}年官方节假日安排尚未录入，仅按周末计算；"
                "管理员在“日历年度”录入后将重新计算（第十一条第4款：核销后5个工作日内）"
            )
        if claims:
            sys.exit(1)
