"""`manage.py subsidy_run`: the annual Quzhou interest-subsidy run (四(一)), the same service as the web page."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from applications.models import Program
from kedaitong.models import User
from kedaitong.money import format_yuan
from kedaitong.programs import Feature, has_feature
from kedaitong.roles import Role
from kedaitong.templatetags.money import share
from operations.history import acting
from subsidy import export
from subsidy.services import StageRefused, SubsidyInputError, compute_run, run_commit


class Command(BaseCommand):
    help = "Compute the interest subsidy of a year (and with --commit save it as a run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", required=True, help="program code, e.g. quzhou")
        parser.add_argument("--year", required=True, help="year of disbursement")
        parser.add_argument("--budget", required=True, help="the year's budget in yuan")
        parser.add_argument(
            "--cutoff",
            default=None,
            help="settlement cutoff YYYY-MM-DD (default 31 December of the year)",
        )
        parser.add_argument(
            "--export",
            default=None,
            metavar="FILE.xlsx",
            help="write the detail and per-bank sheets",
        )
        parser.add_argument("--commit", action="store_true", help="save the run (stage: computed)")
        parser.add_argument(
            "--user", default=None, help="username recorded as the maker (default: system)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        program = Program.objects.filter(code=options["program"]).first()
        if program is None:
            raise CommandError(f"没有代码为“{options['program']}”的项目")
        if not has_feature(program, Feature.SUBSIDY):
            raise CommandError(f"项目“{program.name}”没有贴息（贴息仅适用于设有贷款贴息的项目）")
        export_path = options["export"]
        if export_path and not export_path.lower().endswith(".xlsx"):
            raise CommandError("导出文件须为 .xlsx")
        try:
            if options["commit"]:
                actor = self._actor(options["user"])
                with acting(user=actor, via="command:subsidy_run"):
                    run = run_commit(
                        actor=actor,
                        program=program,
                        year=options["year"],
                        budget=options["budget"],
                        cutoff=options["cutoff"],
                    )
                lines = list(run.lines.select_related("bank"))
                for line in lines:
                    line.bank_name = line.bank.name
                from subsidy.services import bank_totals

                totals = bank_totals(lines)
                exclusions = list(run.exclusions.all())
                mismatches: list = list(run.mismatches.all())
                year, total, computed_total, budget, scaled = (
                    run.year,
                    run.total,
                    run.computed_total,
                    run.budget,
                    run.scaled,
                )
            else:
                result = compute_run(
                    program=program,
                    year=options["year"],
                    budget=options["budget"],
                    cutoff=options["cutoff"],
                )
                lines, totals, exclusions = result.lines, result.bank_totals(), result.exclusions
                mismatches = list(result.mismatches)
                year, total, computed_total = result.year, result.total, result.computed_total
                budget, scaled = result.budget, result.scaled
        except (SubsidyInputError, StageRefused) as exc:
            raise CommandError(str(exc)) from None
        if export_path:
            export.write_run(
                export_path,
                lines=lines,
                totals=totals,
                exclusions=exclusions,
                mismatches=mismatches,
            )
        out = self.stdout
        out.write(f"{program.name} {year}年度贷款贴息")
        out.write(f"  贴息贷款 {len(lines)} 笔，未予贴息 {len(exclusions)} 笔")
        if mismatches:
            out.write(
                f"  逾期标记与逾期记录不一致的结息 {len(mismatches)} 笔（见导出的“逾期标记不一致”表）"
            )
        out.write(
            f"  按{_share(program, year)}计算贴息合计 {format_yuan(computed_total)} 元；年度预算 {format_yuan(budget)} 元"
        )
        if scaled:
            out.write("  超出预算，已按预算金额同比例下降（四(一)）")
        out.write(f"  贴息合计 {format_yuan(total)} 元")
        for t in totals:
            out.write(f"    {t.bank_code} {t.bank_name}: {t.loans} 笔 {format_yuan(t.amount)} 元")
        if export_path:
            out.write(f"  已导出 {export_path}")
        if options["commit"]:
            out.write(self.style.SUCCESS(f"  已保存贴息批次 #{run.pk}（已计算）"))
        else:
            out.write("  未保存（加 --commit 保存批次）")

    def _actor(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"没有用户“{username}”")
            return user
        # The command line is an administrator's tool: an unsaved system actor with the admin role.
        return User(username="system", role=Role.ADMIN)


def _share(program: Program, year: int) -> str:
    """The version's subsidy share, as printed (四(一)): the version in force at the year's end."""
    import datetime as dt

    version = program.version_on(dt.date(year, 12, 31))
    return share(version.subsidy_share) if version is not None else "贴息比例"
