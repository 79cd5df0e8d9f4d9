"""Spreadsheet import and export of the banks in the admin (kedaitong.reference_io)."""

from __future__ import annotations

from import_export import fields

from kedaitong import reference_io as io
from loans.models import Bank


class BankResource(io.ReferenceResource):
    code = fields.Field("code", "银行代码", widget=io.text(30))
    name = fields.Field("name", "银行名称", widget=io.text(100))
    address = fields.Field("address", "地址", widget=io.text(200, required=False))
    contact_name = fields.Field("contact_name", "联系人", widget=io.text(50, required=False))
    contact_phone = fields.Field("contact_phone", "联系电话", widget=io.text(30, required=False))
    optional_headers = ("地址", "联系人", "联系电话")

    class Meta:
        model = Bank
        fields = ("code", "name", "address", "contact_name", "contact_phone")
        import_id_fields = ("code",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
