"""Spreadsheet import and export of LPR publications in the admin (kedaitong.reference_io).

The same columns and rules as the LPR page's import (subsidy/lpr_import.py): one
publication a month, no month left missing, rates positive with four decimals at
most; a publication an audited run read is frozen (subsidy/guards.py).
"""

from __future__ import annotations

from typing import Any

import tablib
from import_export import fields

from kedaitong import reference_io as io
from subsidy.lpr_import import DEFAULT_SOURCE, coverage_problems
from subsidy.models import LPRRate


class LPRResource(io.ReferenceResource):
    effective_date = fields.Field("effective_date", "生效日期", widget=io.date())
    one_year = fields.Field("one_year", "1年期LPR（%）", widget=io.rate())
    five_year = fields.Field("five_year", "5年期以上LPR（%）", widget=io.rate())
    source = fields.Field("source", "来源", widget=io.text(200, required=False))
    optional_headers = ("来源",)

    class Meta:
        model = LPRRate
        fields = ("effective_date", "one_year", "five_year", "source")
        import_id_fields = ("effective_date",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        dates = []
        for row in dataset.dict:
            try:
                day = io.cells.date(row.get("生效日期"))
            except ValueError:
                continue  # the row's own error says why
            if day is not None:
                dates.append(day)
        existing = set(
            LPRRate.objects.exclude(effective_date__in=dates).values_list(
                "effective_date", flat=True
            )
        )
        if problems := coverage_problems(existing, dates):
            raise io.HeadersRefused("；".join(problems))

    def before_save_instance(self, instance: LPRRate, row: Any, **kwargs: Any) -> None:
        if not instance.source:
            instance.source = DEFAULT_SOURCE
