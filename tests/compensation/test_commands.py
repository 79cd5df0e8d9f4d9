"""`manage.py compensation_late_certificates` (第十一条 4): the same rule as the claim list's flag."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from compensation import services
from tests.compensation import helpers

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("compensation_late_certificates", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_lists_missing_certificates_once_due_and_exits_nonzero(cast):
    claim = helpers.paid(cast)
    services.writeoff_record(
        actor=cast.bank_x_user, claim=claim, written_off_on=dt.date(2026, 11, 24)
    )  # due 2026-12-01
    assert run("--as-of", "2026-12-01") == (0, "截至2026-12-01，核销凭据逾期0笔\n")
    code, out = run("--as-of", "2026-12-02")
    assert code == 1 and claim.reference in out and "应于2026-12-01前提交\t未提交" in out
    assert run("--as-of", "2026-12-02", "--bank", cast.bank_y.code)[0] == 0


def test_a_bad_date_is_refused(cast):
    with pytest.raises(CommandError, match="无效"):
        call_command("compensation_late_certificates", "--as-of", "2025-13-01")
