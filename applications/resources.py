"""Spreadsheet import and export of a program's lists in the admin (kedaitong.reference_io).

The Quzhou enterprise list (一(一): 企业名单由市科技局向贷款银行提供) and the
registration places its form offers. The columns of the list are those of the
bank importer's `enterprises` kind, with the program and the dates added.
"""

from __future__ import annotations

from typing import Any

from import_export import fields

from applications import credit_code
from applications.models import Program, ProgramListing, RegistrationPlace
from kedaitong import reference_io as io


def _credit_code(value: Any) -> str:
    code = io.cells.text(value, max_length=18).upper()
    if problem := credit_code.validate(code):
        raise ValueError(problem)
    return code


class PlaceWidget(io.CodeWidget):
    """A registration place by its name, among the places of the row's program."""

    def __init__(self) -> None:
        super().__init__(RegistrationPlace, field="name", label="注册地")

    def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
        code = (row or {}).get("项目代码")
        return RegistrationPlace.objects.filter(
            program__in=Program.objects.filter(code=str(code or "").strip())
        )


class RegistrationPlaceResource(io.ReferenceResource):
    program = fields.Field("program", "项目代码", widget=io.CodeWidget(Program, label="项目代码"))
    code = fields.Field("code", "代码", widget=io.text(30))
    name = fields.Field("name", "名称", widget=io.text(50))
    order = fields.Field("order", "排序", widget=io.CellWidget(lambda v: _order(v)))

    class Meta:
        model = RegistrationPlace
        fields = ("program", "code", "name", "order")
        import_id_fields = ("program", "code")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


def _order(value: Any) -> int:
    text = io.cells.text(value, max_length=5)
    if not text.isdigit():
        raise ValueError(f"“{text}”应为不小于0的整数")
    return int(text)


class ProgramListingResource(io.ReferenceResource):
    program = fields.Field("program", "项目代码", widget=io.CodeWidget(Program, label="项目代码"))
    credit_code = fields.Field(
        "credit_code", "统一社会信用代码", widget=io.CellWidget(_credit_code)
    )
    name = fields.Field("name", "企业名称", widget=io.text(100))
    registration_place = fields.Field("registration_place", "注册地", widget=PlaceWidget())
    listed_on = fields.Field("listed_on", "列入日期", widget=io.date())
    delisted_on = fields.Field("delisted_on", "移出日期", widget=io.date(required=False))
    optional_headers = ("注册地", "移出日期")

    class Meta:
        model = ProgramListing
        fields = (
            "program",
            "credit_code",
            "name",
            "registration_place",
            "listed_on",
            "delisted_on",
        )
        import_id_fields = ("program", "credit_code")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_export_queryset(self, request: Any) -> Any:
        return super().get_export_queryset(request).select_related("program", "registration_place")
