"""Access-matrix rows of the Changjiang review (issue 4): objects belong to enterprise A and bank X."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from review.models import Meeting, Objection, PublicityBatch, PublicityEntry
from tests.access import LOGIN, Row, expect
from tests.conftest import Cast

GOVERNMENT = expect(403, anonymous=LOGIN, bureau_staff=200, bureau_head=200, leading_group=200, auditor=200, admin=200)
APPLICATION_A = expect(200, anonymous=LOGIN, enterprise_b=404, bank_y=404)


def meeting(cast: Cast) -> Meeting:
    return Meeting.objects.create(program=cast.changjiang, date=dt.date(2026, 1, 20), attendees=["leader"],
                                  created_by=cast.leading_group)


def entry(cast: Cast) -> PublicityEntry:
    today = timezone.localdate()
    batch = PublicityBatch.objects.create(program=cast.changjiang, start_date=today, end_date=today + dt.timedelta(days=7),
                                          created_by=cast.bureau_staff)
    return PublicityEntry.objects.create(batch=batch, application=cast.application_a, credit_amount=Decimal("900000.00"))


def objection(cast: Cast) -> Objection:
    return Objection.objects.create(entry=entry(cast), name="张三", contact="x", reason="y")


ROWS = [
    Row("review:queue", lambda c: "/review/queue/", expect(403, anonymous=LOGIN, bureau_staff=200, bureau_head=200,
                                                           leading_group=200, bank_x=200, bank_y=200)),
    Row("review:application-review", lambda c: f"/review/applications/{c.application_a.public_id}/", APPLICATION_A),
    Row("review:application-act", lambda c: f"/review/applications/{c.application_a.public_id}/act/", expect(405)),
    Row("review:application-withdraw", lambda c: f"/review/applications/{c.application_a.public_id}/withdraw/",
        expect(403, anonymous=LOGIN, enterprise_a=200, enterprise_b=404, bank_y=404)),
    Row("review:history-export", lambda c: f"/review/applications/{c.application_a.public_id}/history.xlsx", APPLICATION_A),
    Row("review:meeting-list", lambda c: "/review/meetings/", GOVERNMENT),
    Row("review:meeting-new", lambda c: "/review/meetings/new/", expect(403, anonymous=LOGIN, leading_group=200)),
    Row("review:meeting-detail", lambda c: f"/review/meetings/{meeting(c).public_id}/", GOVERNMENT),
    Row("review:publicity-manage", lambda c: "/review/publicity/", GOVERNMENT),
    Row("review:publicity-batch", lambda c: f"/review/publicity/{entry(c).batch.public_id}/", GOVERNMENT),
    Row("review:publicity-close", lambda c: f"/review/publicity/{entry(c).batch.public_id}/close/", expect(405)),
    Row("review:objection-rule", lambda c: f"/review/objections/{objection(c).public_id}/rule/", expect(405)),
    Row("review:objection-file", lambda c: f"/review/objections/{objection(c).public_id}/file/",  # no file attached
        expect(403, anonymous=LOGIN, bureau_staff=404, bureau_head=404, leading_group=404, auditor=404, admin=404)),
    Row("review:blacklist", lambda c: "/review/blacklist/", GOVERNMENT),
    Row("review:blacklist-decide", lambda c: "/review/blacklist/999999/decide/", expect(405)),
    Row("review:blacklist-evidence", lambda c: "/review/blacklist/999999/evidence/",
        expect(403, anonymous=LOGIN, bureau_staff=404, bureau_head=404, leading_group=404, auditor=404, admin=404)),
    Row("review:inbox", lambda c: "/review/inbox/", expect(200, anonymous=LOGIN)),
    Row("review:public-publicity", lambda c: "/publicity/", expect(200)),
    Row("review:public-batch", lambda c: f"/publicity/{entry(c).batch.public_id}/", expect(200)),
    Row("review:public-objection", lambda c: f"/publicity/entries/{entry(c).public_id}/object/", expect(200)),
]
