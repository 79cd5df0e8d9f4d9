"""Statuses change by transitions only (issue 15 item 8): a blacklist entry's status, a record upload's state.

Assigning one by hand is refused by the field itself (django-fsm protected fields); a transition from the wrong
state is refused; each legal transition sets what goes with it (listing date and clerk, saving time).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from loans.models import RecordUpload
from review.models import BlacklistEntry

pytestmark = pytest.mark.django_db


def proposed(cast) -> BlacklistEntry:  # type: ignore[no-untyped-def]
    return BlacklistEntry.objects.create(
        program=cast.changjiang, enterprise=cast.enterprise_a, reason="overdue", details="逾期"
    )


def test_a_blacklist_status_is_not_assigned_by_hand(cast):
    entry = proposed(cast)
    with pytest.raises(AttributeError):
        entry.status = BlacklistEntry.Status.LISTED
    assert BlacklistEntry.objects.get(pk=entry.pk).status == "proposed"


def test_a_blacklist_entry_moves_only_from_proposed(cast):
    entry = proposed(cast)
    now = timezone.now()
    entry.list_entry(by=cast.bureau_staff, at=now)
    entry.save()
    assert (entry.status, entry.listed_by, entry.listed_at) == ("listed", cast.bureau_staff, now)
    for step in (entry.dismiss, lambda: entry.exempt(note="不可抗力")):
        with pytest.raises(TransitionNotAllowed):
            step()
    entry.lift()
    entry.save()
    assert BlacklistEntry.objects.get(pk=entry.pk).status == "lifted"
    assert BlacklistEntry.objects.blocking(cast.enterprise_a) is None


def test_an_upload_state_is_not_assigned_by_hand_and_follows_its_order(cast):
    upload = RecordUpload(
        kind="repayments",
        program=cast.changjiang,
        original_name="r.csv",
        checksum="0" * 64,
        uploaded_by=cast.bank_x_user,
    )
    upload.file.save("r.csv", ContentFile(b"x"), save=False)
    upload.save()
    with pytest.raises(AttributeError):
        upload.state = RecordUpload.State.SAVED
    upload.pass_check()
    upload.save()
    with pytest.raises(TransitionNotAllowed):
        upload.mark_saved()  # a checked upload is saved only once confirmed (checked → saving)
    RecordUpload.objects.filter(pk=upload.pk, state="checked").update(state="saving")
    upload.refresh_from_db()
    upload.mark_saved()
    upload.save()
    saved = RecordUpload.objects.get(pk=upload.pk)
    assert saved.state == "saved" and saved.saved_at is not None
    assert saved.saved_at.date() >= dt.date(2020, 1, 1)
