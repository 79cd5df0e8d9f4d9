"""The demo's enterprises can submit: their profiles fill what their program's annex prints."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from applications.models import AnnualFigure, Enterprise, Program
from applications.services import figure_years, profile_problems

pytestmark = pytest.mark.django_db


def test_demo_enterprises_have_every_field_their_annex_prints():
    call_command("load_demo", stdout=StringIO())
    enterprises = {e.credit_code: e for e in Enterprise.objects.all()}
    for code in ("91360202MA3PQ0001M", "91360202MA3PQ0002Q", "91360202MA3PQ0003U"):
        assert profile_problems(enterprises[code], Program.objects.get(code="changjiang")) == [], (
            code
        )
    for code in ("91330800MA2DX00012", "91330800MA2DX00025"):
        assert profile_problems(enterprises[code], Program.objects.get(code="quzhou")) == [], code
        years = set(
            AnnualFigure.objects.filter(enterprise=enterprises[code]).values_list("year", flat=True)
        )
        assert set(figure_years()) <= years
    assert enterprises["91360202MA3PQ0001M"].last_year_tax is not None
