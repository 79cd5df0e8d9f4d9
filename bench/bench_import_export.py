"""Issue 19: the 50,000-row interest file through django-import-export and through `loans.importer`, in one run.

    .venv/bin/python bench/bench_import_export.py [--rows 50000]

The same seeded database and the same .xlsx file (bench_import.py's: 5,000
Quzhou loans at one bank, 50,000 interest rows). Each contender starts from no
settlements and must save every row in one transaction:

1. `loans.importer.run_import` (what bank uploads use): the safe reader, every
   row validated with the program's rules, all saved in bulk.
2. django-import-export as one would configure it for this file: a plain
   ModelResource reading through the same safe reader
   (`kedaitong.reference_io.SpreadsheetFormat`) with the same cell rules, the
   loan found by bank code and contract number, the idempotence key (loan,
   period, overdue flag) as `import_id_fields`, rows saved one by one with
   `clean_model_instances` (import-export's defaults). At some 10 ms a row
   this takes minutes, so it runs on the file's first `--default-rows` (5,000).
3. django-import-export tuned: the loans cached in memory, the instance loader
   cached (`CachedInstanceLoader`), `use_bulk`, no diff.

Neither import-export run applies the bank importer's rules (loan of this
bank and program, period within the loan's term, duplicates inside the file,
settlement date not in the future); they only parse and save.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench_import import interest_file, seed
from common import peak_rss_mb, report, setup_django, timed


def resources(tuned: bool) -> Any:
    from import_export import fields, instance_loaders
    from import_export.resources import ModelResource

    from kedaitong import reference_io as io
    from loans.models import InterestSettlement, Loan

    class LoanWidget(io.CellWidget):
        """The loan by the row's bank code and contract number."""

        def __init__(self) -> None:
            super().__init__(io.cells.text)
            self.cache: dict[tuple[str, str], Loan] | None = None

        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            contract = io.cells.text(value, max_length=50)
            bank = io.cells.text(row.get("银行代码"), max_length=30)
            if self.cache is not None:
                loan = self.cache.get((bank, contract))
            else:
                loan = Loan.objects.filter(bank__code=bank, contract_no=contract).first()
            if loan is None:
                raise ValueError(f"本行没有合同编号为“{contract}”的贷款")
            return loan

    class YesNo(io.CellWidget):
        def __init__(self) -> None:
            super().__init__(io.cells.yes_no)

    loan_widget = LoanWidget()
    if tuned:
        loan_widget.cache = {
            (loan.bank.code, loan.contract_no): loan for loan in Loan.objects.select_related("bank")
        }

    class InterestResource(ModelResource):
        loan = fields.Field("loan", "贷款合同编号", widget=loan_widget)
        bank = fields.Field(None, "银行代码", widget=io.text(30))
        settled_on = fields.Field("settled_on", "结息日期", widget=io.date())
        period_start = fields.Field("period_start", "计息起始日", widget=io.date())
        period_end = fields.Field("period_end", "计息截止日", widget=io.date())
        amount = fields.Field("amount", "利息金额（元）", widget=io.CellWidget(io.cells.amount))
        is_overdue_interest = fields.Field("is_overdue_interest", "是否逾期利息", widget=YesNo())

        class Meta:
            model = InterestSettlement
            fields = (
                "loan",
                "bank",
                "settled_on",
                "period_start",
                "period_end",
                "amount",
                "is_overdue_interest",
            )
            import_id_fields = ("loan", "period_start", "period_end", "is_overdue_interest")
            clean_model_instances = not tuned
            skip_diff = tuned
            use_bulk = tuned
            batch_size = 2000 if tuned else None
            instance_loader_class = (
                instance_loaders.CachedInstanceLoader
                if tuned
                else instance_loaders.ModelInstanceLoader
            )

    return InterestResource


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument(
        "--default-rows",
        type=int,
        default=5_000,
        help="rows of the same file for import-export's row-by-row default (it takes minutes per 10,000)",
    )
    args = parser.parse_args()
    setup_django("import-export")
    seed()
    from django.conf import settings

    from applications.models import Program
    from kedaitong.reference_io import SpreadsheetFormat
    from loans.importer import context_for, run_import
    from loans.models import InterestSettlement

    settings.UPLOAD_MAX_MB = max(settings.UPLOAD_MAX_MB, 50)
    data = interest_file(args.rows)

    context = context_for(kind="interest", program=Program.objects.get(code="quzhou"), actor=None)
    with timed() as ours:
        result = run_import(
            kind="interest", data=data, filename="interest.xlsx", context=context, commit=True
        )
    assert result.saved and InterestSettlement.objects.count() == args.rows, result.errors[:5]

    figures = {}
    for tuned, rows in ((False, min(args.default_rows, args.rows)), (True, args.rows)):
        InterestSettlement.objects.all().delete()
        with timed() as theirs:
            dataset = SpreadsheetFormat().create_dataset(data)
            del dataset[rows:]
            imported = resources(tuned)().import_data(
                dataset, dry_run=False, raise_errors=True, use_transactions=True
            )
        assert not imported.has_errors() and not imported.has_validation_errors()
        assert InterestSettlement.objects.count() == rows
        figures[tuned] = (rows, theirs["seconds"])

    (default_rows, default_s), (_rows, tuned_s) = figures[False], figures[True]
    report(
        f"Interest file of {args.rows:,} rows (.xlsx), checked and saved: loans/importer against django-import-export",
        f"loans/importer {ours['seconds']:.1f} s; django-import-export tuned (cached loans and instances, bulk, "
        f"no diff) {tuned_s:.1f} s; its row-by-row default {default_s:.1f} s for the first {default_rows:,} rows "
        f"({default_s / default_rows * 1000:.1f} ms a row, about {default_s / default_rows * args.rows / 60:.0f} min "
        f"for all); peak RSS {peak_rss_mb():.0f} MB",
        "bank uploads keep the faster one that applies the rules",
    )


if __name__ == "__main__":
    main()
