"""`manage.py import_records KIND FILE --program CODE [--dry-run] [--user NAME]`, or `KIND --template OUT.xlsx`.

Exit status 0 when the file was saved (or, with --dry-run, would be);
otherwise 1, nothing saved, and one line per problem: row number, column, reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from applications.models import Program
from kedaitong.models import User
from loans.importer import KIND_NAMES, ImportNotAllowed, context_for, run_import, template_bytes
from operations.history import acting


class Command(BaseCommand):
    help = "Import bank records (banks, enterprises, disbursements, repayments, interest, overdue) from .xlsx or .csv."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KIND_NAMES)
        parser.add_argument("file", nargs="?", help=".xlsx or .csv (UTF-8 or GBK)")
        parser.add_argument("--program", help="program code, e.g. quzhou or changjiang")
        parser.add_argument("--dry-run", action="store_true", help="check every row, save nothing")
        parser.add_argument(
            "--user", help="import as this user (a bank user imports only its own bank's rows)"
        )
        parser.add_argument(
            "--template", metavar="OUT.xlsx", help="write the blank template of KIND and stop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        if options["template"]:
            Path(options["template"]).write_bytes(template_bytes(kind))
            self.stdout.write(f"模板已写入 {options['template']}")
            return
        if not options["file"] or not options["program"]:
            raise CommandError("需要 FILE 和 --program CODE（或 --template OUT.xlsx）")
        try:
            program = Program.objects.get(code=options["program"])
        except Program.DoesNotExist:
            raise CommandError(f"没有代码为“{options['program']}”的计划") from None
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"没有用户“{options['user']}”")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}")
        try:
            context = context_for(kind=kind, program=program, actor=actor)
        except ImportNotAllowed as exc:
            raise CommandError(str(exc)) from None
        with acting(user=actor, via="command:import_records"):  # the history of the rows it saves
            result = run_import(
                kind=kind,
                data=path.read_bytes(),
                filename=path.name,
                context=context,
                commit=not options["dry_run"],
                source="command",
            )
        summary = (
            f"{result.rows}行：新增{result.created}，未变{result.unchanged}，更新{result.updated}"
        )
        if result.errors:
            for error in result.errors:
                self.stderr.write(error.line())
            raise CommandError(
                f"未保存任何数据：{result.error_rows}行有错误（{summary}）", returncode=1
            )
        if options["dry_run"]:
            self.stdout.write(f"检查通过，未保存（--dry-run）：{summary}")
        else:
            self.stdout.write(f"已保存：{summary}")
