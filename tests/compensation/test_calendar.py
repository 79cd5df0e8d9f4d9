"""第十一条 4: a write-off due day counted without the official calendar moves when an admin adds that year."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client

from compensation import selectors, services
from compensation.models import WriteOff
from kedaitong.models import AuditEntry, CalendarDay, CalendarYear
from tests.compensation import helpers

pytestmark = pytest.mark.django_db
WRITTEN_OFF = dt.date(2027, 2, 8)  # a Monday of a year the calendar does not know yet
WEEKENDS_ONLY = dt.date(2027, 2, 15)  # 9, 10, 11, 12, 15 February
WITH_HOLIDAYS = dt.date(2027, 2, 17)  # 10 and 11 February holidays: 9, 12, 15, 16, 17


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def late_lines(as_of: str) -> list[str]:
    out = io.StringIO()
    try:
        call_command("compensation_late_certificates", "--as-of", as_of, stdout=out)
    except SystemExit:
        pass
    return out.getvalue().splitlines()


@pytest.fixture
def written_off(cast):
    assert not CalendarYear.objects.filter(year=2027).exists()
    claim = helpers.paid(cast)
    write_off = services.writeoff_record(
        actor=cast.bank_x_user, claim=claim, written_off_on=WRITTEN_OFF
    )
    return claim, write_off


def test_an_unknown_year_counts_weekends_only_and_every_page_warns(cast, written_off):
    claim, write_off = written_off
    assert (write_off.certificate_due_on, write_off.calendar_unknown) == (WEEKENDS_ONLY, True)
    staff = client(cast.bureau_staff)
    for path in (
        "/compensation/claims/",
        "/compensation/ledger/",
        f"/compensation/claims/{claim.public_id}/",
    ):
        page = staff.get(path).content.decode()
        assert "2027年的官方节假日安排尚未录入：截止日仅按周末计算" in page, path
    listing = staff.get("/compensation/claims/").content.decode()
    assert 'id="calendar-warning"' in listing and "due-provisional" in listing
    ledger = staff.get("/compensation/ledger/").content.decode()
    assert (
        'id="calendar-warning"' in ledger and "2027-02-15" in ledger and "due-provisional" in ledger
    )


def test_the_admin_adding_the_year_and_its_holidays_moves_the_due_day_and_clears_the_warning(
    cast, written_off
):
    claim, _ = written_off
    admin = client(cast.admin)
    response = admin.post(
        "/admin/kedaitong/calendarday/add/",
        {"date": "2027-02-10", "kind": "holiday", "name": "春节"},
    )
    assert response.status_code == 302
    write_off = WriteOff.objects.get()
    assert (
        write_off.certificate_due_on == dt.date(2027, 2, 16) and write_off.calendar_unknown
    )  # 2027 still not declared
    CalendarDay.objects.create(
        date=dt.date(2027, 2, 11), kind=CalendarDay.Kind.HOLIDAY, name="春节"
    )
    assert (
        admin.post(
            "/admin/kedaitong/calendaryear/add/",
            {"year": "2027", "source": "国办发明电〔2026〕1号"},
        ).status_code
        == 302
    )
    write_off = WriteOff.objects.get()
    assert (write_off.certificate_due_on, write_off.calendar_unknown) == (WITH_HOLIDAYS, False)
    moves = AuditEntry.objects.filter(
        action="compensation.writeoff.due_recomputed", object_id=str(claim.pk)
    ).order_by("at", "pk")
    assert [(m.data["before"], m.data["due"]) for m in moves] == [
        ("2027-02-15", "2027-02-16"),
        ("2027-02-16", "2027-02-17"),
        ("2027-02-17", "2027-02-17"),
    ]
    staff = client(cast.bureau_staff)
    for path in (
        "/compensation/claims/",
        "/compensation/ledger/",
        f"/compensation/claims/{claim.public_id}/",
    ):
        page = staff.get(path).content.decode()
        assert 'role="alert"' not in page and "due-provisional" not in page, path
    assert "2027-02-17" in staff.get(f"/compensation/claims/{claim.public_id}/").content.decode()
    # The late flag and the bureau's daily check judge by the corrected day.
    assert not WriteOff.objects.get().is_late(dt.date(2027, 2, 16))
    assert not selectors.late_certificates(cast.bureau_staff, dt.date(2027, 2, 17)).exists()
    assert list(selectors.late_certificates(cast.bureau_staff, dt.date(2027, 2, 18))) == [claim]
    assert late_lines("2027-02-16")[-1] == "截至2027-02-16，核销凭据逾期0笔"
    assert "应于2027-02-17前提交" in late_lines("2027-02-18")[0]


def test_a_certificate_handed_in_on_a_provisional_day_is_judged_by_the_official_one(
    cast, written_off
):
    """Handed in on 16 February: late by the weekends-only count, on time once the holiday is known."""
    claim, _ = written_off
    services.writeoff_certificate(
        actor=cast.bank_x_user, claim=claim, upload=helpers.pdf("c.pdf"), on=dt.date(2027, 2, 16)
    )
    assert WriteOff.objects.get().is_late()
    CalendarYear.objects.create(
        year=2027
    )  # the year first, its days next: the handed-in one is not fixed in between
    assert WriteOff.objects.get().calendar_unknown is False and WriteOff.objects.get().is_late()
    CalendarDay.objects.create(
        date=dt.date(2027, 2, 10), kind=CalendarDay.Kind.HOLIDAY, name="春节"
    )
    write_off = WriteOff.objects.get()
    assert (write_off.certificate_due_on, write_off.calendar_unknown) == (
        dt.date(2027, 2, 16),
        False,
    )
    assert (
        not write_off.is_late()
        and not selectors.late_certificates(cast.bureau_staff, dt.date(2027, 3, 1)).exists()
    )


def test_removing_a_holiday_moves_a_pending_due_day_back(cast, written_off):
    CalendarYear.objects.create(year=2027)
    day = CalendarDay.objects.create(
        date=dt.date(2027, 2, 10), kind=CalendarDay.Kind.HOLIDAY, name="春节"
    )
    assert WriteOff.objects.get().certificate_due_on == dt.date(2027, 2, 16)
    day.delete()
    assert WriteOff.objects.get().certificate_due_on == WEEKENDS_ONLY


def test_the_daily_check_recomputes_after_a_bulk_load_without_signals(cast, written_off):
    claim, _ = written_off
    CalendarYear.objects.bulk_create([CalendarYear(year=2027)])
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=dt.date(2027, 2, d), kind=CalendarDay.Kind.HOLIDAY) for d in (10, 11)]
    )
    assert WriteOff.objects.get().certificate_due_on == WEEKENDS_ONLY  # no signal
    page = (
        client(cast.bureau_staff).get(f"/compensation/claims/{claim.public_id}/").content.decode()
    )
    assert 'role="alert"' in page  # still provisional: the flag clears only with the recomputation
    assert late_lines("2027-02-16")[-1] == "截至2027-02-16，核销凭据逾期0笔"
    assert (WriteOff.objects.get().certificate_due_on, WriteOff.objects.get().calendar_unknown) == (
        WITH_HOLIDAYS,
        False,
    )
