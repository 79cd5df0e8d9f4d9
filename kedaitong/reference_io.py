"""Reference data in spreadsheets through the admin: django-import-export with the bank importer's safe reader.

Admins keep some lists in Excel (banks, the Quzhou enterprise list, registration
places, LPR publications, the holiday calendar). Their admin pages get
import-export's Import and Export buttons, with these rules:

1. **One reader.** Every file is read by `loans.importer.reader.read_table`,
   the bank uploads' reader: type by content, zip and entity bombs, formulas and
   merged cells refused, row and column limits (`SpreadsheetFormat`). The
   import form runs it on the uploaded file first, so a refused file is a form
   error in Chinese naming the reason; nothing is stored.
2. **Exact Chinese headers.** The header row must hold exactly the resource's
   column names (in any order; optional ones may be left out): a missing,
   unknown or repeated header refuses the file before any row is read.
3. **Cells as the bank importer reads them** (`loans.importer.cells`): dates as
   Excel dates or YYYY-MM-DD, amounts and rates without float rounding, text
   trimmed and bounded; each problem names its row and column.
4. **Preview, then confirm, all or nothing.** The first step is a dry run in a
   transaction rolled back (import-export's preview). Confirming reads the kept
   file again and imports it in one transaction; a row that fails then (the data
   changed since the preview) rolls the whole file back and says why.
5. **Audit.** A confirmed import writes one audit row (`admin.<model>.imported`)
   with the counts and the file name; so does an export (`admin.<model>.exported`).
6. **Export** writes an .xlsx with the same headers (so an export can be edited
   and imported again) through `kedaitong.excel`, whose cells never run as formulas.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import tablib
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from import_export import resources, widgets
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import Format
from import_export.forms import ImportForm
from import_export.results import Result

from kedaitong import excel
from kedaitong.audit import log_action
from loans.importer import cells
from loans.importer.reader import FileRefused, Table, read_table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HeadersRefused(ValueError):
    """The header row is not the template's; the message (Chinese) names what is wrong."""


def table_to_dataset(table: Table) -> tablib.Dataset:
    """The reader's table as a tablib Dataset: the header row, and each row cut to the header's width.

    Blank lines are left out; `dataset.row_numbers` keeps each row's number in
    the spreadsheet, so every problem names the row the user sees in Excel.
    Empty cells are empty strings (shown blank in the preview, read as empty).
    """
    width = len(table.header)
    dataset = tablib.Dataset(headers=[h.strip() for h in table.header])
    numbers = []
    for number, row in enumerate(table.rows, start=table.first_row_number):
        beyond = [c for c in row[width:] if c is not None and str(c).strip()]
        if beyond:
            raise FileRefused([f"第{number}行在表头以外的列有内容，请删除或补上表头"])
        if not any(c is not None and str(c).strip() for c in row):
            continue  # a blank line inside the table
        dataset.append(["" if c is None else c for c in (list(row) + [None] * width)[:width]])
        numbers.append(number)
    dataset.row_numbers = numbers
    return dataset


class SpreadsheetFormat(Format):
    """.xlsx or .csv in (by content, through the one safe reader); .xlsx out (kedaitong.excel)."""

    def __init__(self, encoding: str | None = None) -> None:
        self.encoding = encoding  # import-export passes one; the reader finds the encoding itself

    def get_title(self) -> str:
        return "Excel (.xlsx) / CSV"

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        # The form already read the file under its real name; a zip is a workbook, anything else CSV text.
        name = "upload.xlsx" if in_stream.startswith(b"PK\x03\x04") else "upload.csv"
        return table_to_dataset(read_table(in_stream, name))

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> bytes:
        columns = [
            excel.Column(str(h), width=max(12, 2 * len(str(h)) + 2)) for h in dataset.headers
        ]
        workbook = excel.new_workbook()
        excel.write_sheet(workbook, "Sheet1", columns, ([_cell(v) for v in row] for row in dataset))
        buffer = io.BytesIO()
        excel.save(workbook, buffer)
        return buffer.getvalue()

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def get_extension(self) -> str:
        return "xlsx"

    def get_content_type(self) -> str:
        return XLSX

    def can_import(self) -> bool:
        return True

    def can_export(self) -> bool:
        return True


def _cell(value: Any) -> Any:
    if isinstance(value, float):  # never written: a float is not an exact amount
        raise TypeError("no floats in exports")
    return "" if value is None else value


class SafeImportForm(ImportForm):
    """Import-export's form, plus the reader's checks on the file under its real name."""

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        data = b"".join(upload.chunks())
        try:
            read_table(data, upload.name or "")
        except FileRefused as refused:
            raise forms.ValidationError(refused.problems) from None
        upload.seek(0)
        return upload


# ── widgets: the bank importer's cell rules ──────────────────────────────────


class CellWidget(widgets.Widget):
    """Reads a cell with one of `loans.importer.cells`' functions; exports the value as it is."""

    def __init__(self, parse: Callable[[Any], Any], **kwargs: Any) -> None:
        self.parse = parse
        super().__init__(coerce_to_string=False, **kwargs)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        return self.parse(value)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if isinstance(value, Decimal | dt.date):
            return value
        return "" if value is None else str(value)


def text(max_length: int, *, required: bool = True) -> CellWidget:
    return CellWidget(lambda v: cells.text(v, required=required, max_length=max_length))


def date(*, required: bool = True) -> CellWidget:
    return CellWidget(lambda v: cells.date(v, required=required))


def rate() -> CellWidget:
    return CellWidget(cells.rate)


class CodeWidget(widgets.ForeignKeyWidget):
    """A foreign key given by its code (or another unique text field); an unknown one names the choices."""

    def __init__(self, model: Any, field: str = "code", label: str = "") -> None:
        super().__init__(model, field=field)
        self.label = label

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        key = cells.text(value, required=False, max_length=100)
        if not key:
            return None
        found = self.get_queryset(value, row, **kwargs).filter(**{self.field: key}).first()
        if found is None:
            known = list(
                self.get_queryset(value, row, **kwargs).values_list(self.field, flat=True)[:20]
            )
            raise ValueError(f"{self.label}“{key}”不存在（可填：{'、'.join(map(str, known))}）")
        return found

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "" if value is None else getattr(value, self.field)


# ── the resource: exact headers, one audit row ───────────────────────────────


class ReferenceResource(resources.ModelResource):
    """A ModelResource whose file must carry exactly its Chinese headers, audited once per import."""

    # Column names that may be left out of a file (their fields are then kept or defaulted).
    optional_headers: Sequence[str] = ()

    def expected_headers(self) -> list[str]:
        return [field.column_name for field in self.get_import_fields()]

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        expected = self.expected_headers()
        present = [str(h or "").strip() for h in dataset.headers or []]
        problems = []
        missing = [h for h in expected if h not in present and h not in self.optional_headers]
        if missing:
            problems.append(f"缺少表头：{'、'.join(missing)}")
        unknown = [h for h in present if h not in expected]
        if unknown:
            problems.append(f"未知表头：{'、'.join(h or '（空白）' for h in unknown)}")
        repeated = sorted({h for h in present if present.count(h) > 1})
        if repeated:
            problems.append(f"表头重复：{'、'.join(repeated)}")
        if problems:
            del dataset[: len(dataset)]  # no row is read under a wrong header
            raise HeadersRefused(
                "；".join(problems) + f"（表头须为：{'、'.join(expected)}，与导出的文件一致）"
            )

    def import_data(self, dataset: tablib.Dataset, *args: Any, **kwargs: Any) -> Any:
        self._row_numbers = list(getattr(dataset, "row_numbers", None) or [])
        return super().import_data(dataset, *args, **kwargs)

    def get_result_class(self) -> type[Result]:
        """Results whose rows carry their spreadsheet row numbers (import-export counts data rows from 1)."""
        numbers = getattr(self, "_row_numbers", [])

        def sheet_row(i: int) -> int:
            return numbers[i - 1] if 0 < i <= len(numbers) else i + 1

        class SheetRows(Result):
            def append_error_row(self, number: int, row: Any, errors: Any) -> None:
                super().append_error_row(sheet_row(number), row, errors)

            def append_invalid_row(self, number: int, row: Any, validation_error: Any) -> None:
                super().append_invalid_row(sheet_row(number), row, validation_error)

        return SheetRows

    def get_or_init_instance(self, instance_loader: Any, row: Any) -> Any:
        """Look the row's record up by its key columns; a bad key is the row's error, shown with the
        problems of its other columns, each against its Chinese column name."""
        try:
            return super().get_or_init_instance(instance_loader, row)
        except ValueError:
            problems = {
                field.column_name: [problem]
                for field in self.get_import_fields()
                if (problem := self._problem(field, row))
            }
            if not problems:
                raise
            raise ValidationError(problems) from None

    @staticmethod
    def _problem(field: Any, row: Any) -> str:
        if field.column_name not in row:
            return ""
        try:
            field.clean(row)
        except ValueError as exc:
            return str(exc)
        return ""

    def validate_instance(
        self, instance: Any, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        """The row's problems (cells and the model's own checks) under the file's column names."""
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            columns = {f.attribute: f.column_name for f in self.get_import_fields()}
            raise ValidationError(
                {columns.get(k, k): v for k, v in error.error_dict.items()}
            ) from None

    def after_import(self, dataset: tablib.Dataset, result: Any, **kwargs: Any) -> None:
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        user = kwargs.get("user")
        meta = self._meta.model._meta
        log_action(
            actor=user if getattr(user, "is_authenticated", False) else None,
            action=f"admin.{meta.model_name}.imported",
            data={
                "file": str(kwargs.get("file_name") or "")[:200],
                "rows": len(dataset),
                **{str(k): v for k, v in result.totals.items() if v},
            },
        )


# ── the admin ────────────────────────────────────────────────────────────────


class ReferenceAdmin(ImportExportModelAdmin):
    """Import (preview, confirm, all or nothing) and export of one reference list, in .xlsx or .csv."""

    formats = [SpreadsheetFormat]
    import_form_class = SafeImportForm
    skip_admin_log = True  # the audit trail records the import (ReferenceResource.after_import)

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        data = super().get_import_data_kwargs(**kwargs)
        data["rollback_on_validation_errors"] = True
        return data

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        """After the confirmation: all saved, or (the data changed since the preview) nothing, saying why."""
        if result.has_errors() or result.has_validation_errors():
            problems = [str(e.error) for e in result.base_errors][:5]
            for row in result.invalid_rows[:5]:
                for field, errors in row.field_specific_errors.items():
                    problems.append(f"第{row.number}行 {field}：{'；'.join(map(str, errors))}")
            messages.error(
                request,
                _("Nothing was imported: %(problems)s") % {"problems": "；".join(problems)},
            )
            info = self.model._meta.app_label, self.model._meta.model_name
            return HttpResponseRedirect(reverse("admin:{}_{}_import".format(*info)))
        return super().process_result(result, request)

    def get_export_filename(self, request: HttpRequest, queryset: Any, file_format: Any) -> str:
        from django.utils import timezone

        return f"{self.model._meta.model_name}-{timezone.localdate():%Y%m%d}.xlsx"

    def get_export_data(
        self, file_format: Any, request: HttpRequest, queryset: Any, **kwargs: Any
    ) -> Any:
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        meta = self.model._meta
        log_action(
            actor=request.user,
            action=f"admin.{meta.model_name}.exported",
            request=request,
            data={"rows": queryset.count()},
        )
        return data
