"""The review pages: queue, review page buttons, actions per role, stale forms, publicity, objections, blacklist."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import Application
from review import services
from review.models import BlacklistEntry, Objection, Opinion, PublicityBatch, PublicityEntry
from tests.confirming import post_confirmed
from tests.factories import ApplicationFactory
from tests.review.helpers import (
    complete,
    submitted,
    to_bureau_review,
    to_group_review,
    to_publicity,
)

pytestmark = pytest.mark.django_db

S = Application.State


def act(client, application, **data):
    return post_confirmed(client, f"/review/applications/{application.public_id}/act/", data)


def test_queue_shows_age_search_and_counts_in_nav(client, cast):
    submitted(cast)
    client.force_login(cast.bureau_staff)
    page = client.get("/review/queue/").content.decode()
    assert cast.application_a.reference in page and cast.application_b.reference in page
    assert 'class="nav-count">2<' in page
    page = client.get("/review/queue/", {"q": "甲科技"}).content.decode()
    assert cast.application_a.reference in page and cast.application_b.reference not in page
    page = client.get("/review/queue/", {"q": cast.enterprise_b.credit_code}).content.decode()
    assert cast.application_b.reference in page and cast.application_a.reference not in page


def test_queue_query_count_does_not_grow_with_page_size(client, cast):
    for _ in range(30):
        ApplicationFactory(enterprise=cast.enterprise_a, bank=cast.bank_x)
    client.force_login(cast.bureau_staff)
    counts = []
    for size in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/review/queue/", {"size": size}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 15


def test_buttons_are_the_transitions_of_this_user(client, cast):
    application = submitted(cast)
    client.force_login(cast.bureau_staff)
    page = client.get(f"/review/applications/{application.public_id}/").content.decode()
    assert (
        'value="accept"' in page
        and 'value="return_for_changes"' in page
        and 'value="sign"' not in page
    )
    client.force_login(cast.bureau_head)
    page = client.get(f"/review/applications/{application.public_id}/").content.decode()
    assert 'name="action"' not in page
    client.force_login(cast.auditor)
    assert (
        'name="action"'
        not in client.get(f"/review/applications/{application.public_id}/").content.decode()
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("bureau_staff", 302),
        ("auditor", 403),
        ("bureau_head", 403),
        ("bank_y_user", 404),
        ("other_applicant", 404),
        ("admin", 403),
    ],
)
def test_accept_by_role(client, cast, who, status):
    application = submitted(cast)
    client.force_login(getattr(cast, who))
    assert act(client, application, action="accept", seen_state="submitted").status_code == status
    application.refresh_from_db()
    assert application.state == (S.BUREAU_REVIEW if status == 302 else S.SUBMITTED)


def test_get_on_the_action_url_is_405(client, cast):
    client.force_login(cast.bureau_staff)
    assert (
        client.get(f"/review/applications/{cast.application_a.public_id}/act/").status_code == 405
    )


def test_a_stale_return_keeps_what_was_typed_and_names_who(client, cast):
    application = submitted(cast)
    services.application_accept(actor=cast.bureau_staff, application=application)
    client.force_login(cast.bureau_staff)
    response = act(
        client,
        application,
        action="return_for_changes",
        seen_state="submitted",
        item_3="营业执照已过期，请重新上传",
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "营业执照已过期，请重新上传" in page and "staff" in page
    assert not Opinion.objects.filter(application=application).exists()


def test_return_round_trip_through_the_pages(client, cast):
    application = to_bureau_review(cast)
    client.force_login(cast.bureau_staff)
    response = act(
        client,
        application,
        action="return_for_changes",
        seen_state="bureau_review",
        item_9="缺2025年完税证明",
    )
    assert response.status_code == 302
    client.force_login(cast.applicant)
    page = client.get(f"/review/applications/{application.public_id}/").content.decode()
    assert "缺2025年完税证明" in page and 'value="resubmit"' in page
    refused = act(
        client, application, action="resubmit", seen_state="returned"
    )  # materials missing: every one named
    assert refused.status_code == 400 and "尚未上传" in refused.content.decode()
    complete(cast, application)
    assert act(client, application, action="resubmit", seen_state="returned").status_code == 302
    assert Application.objects.get(pk=application.pk).state == S.SUBMITTED


def test_draft_and_sign_through_the_pages(client, cast):
    application = to_bureau_review(cast)
    client.force_login(cast.bureau_staff)
    assert (
        act(
            client,
            application,
            action="draft",
            seen_state="bureau_review",
            recommendation="approve",
            text="同意推荐",
        ).status_code
        == 302
    )
    assert act(client, application, action="sign", seen_state="bureau_review").status_code == 403
    client.force_login(cast.bureau_head)
    assert act(client, application, action="sign", seen_state="bureau_review").status_code == 302
    assert Application.objects.get(pk=application.pk).state == S.GROUP_REVIEW


def test_meeting_page_decides_several(client, cast):
    first, second = to_group_review(cast), to_group_review(cast, cast.application_b)
    client.force_login(cast.leading_group)
    assert client.get("/review/meetings/new/").status_code == 200
    response = post_confirmed(
        client,
        "/review/meetings/new/",
        {
            "date": "2026-01-20",
            "attendees": ["leader", "science"],
            "minutes": "第1次",
            f"a{first.pk}-decision": "recommend",
            f"a{first.pk}-amount": "800000",
            f"a{first.pk}-opinion": "同意",
            f"a{second.pk}-decision": "decline",
            f"a{second.pk}-opinion": "不予推荐",
        },
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=first.pk).state == S.BANK_REVIEW
    assert Application.objects.get(pk=second.pk).state == S.REJECTED


def test_meeting_amount_with_three_decimals_is_refused_and_kept(client, cast):
    first = to_group_review(cast)
    client.force_login(cast.leading_group)
    response = post_confirmed(
        client,
        "/review/meetings/new/",
        {
            "date": "2026-01-20",
            "attendees": ["leader"],
            f"a{first.pk}-decision": "recommend",
            f"a{first.pk}-amount": "800000.005",
        },
    )
    assert response.status_code == 400 and "800000.005" in response.content.decode()
    assert Application.objects.get(pk=first.pk).state == S.GROUP_REVIEW


def test_bank_rejects_with_reason_through_the_page(client, cast):
    application = to_group_review(cast)
    services.meeting_record(
        actor=cast.leading_group,
        program=cast.changjiang,
        date=dt.date(2026, 1, 20),
        attendees=["leader"],
        minutes="",
        decisions=[services.DecisionInput(application, True, Decimal("1"))],
    )
    client.force_login(cast.bank_y_user)
    assert (
        act(
            client, application, action="bank_reject", seen_state="bank_review", opinion="征信"
        ).status_code
        == 404
    )
    client.force_login(cast.bank_x_user)
    assert (
        act(
            client, application, action="bank_reject", seen_state="bank_review", opinion="征信不良"
        ).status_code
        == 302
    )
    assert Application.objects.get(pk=application.pk).state == S.REJECTED


def _running_entry(cast) -> PublicityEntry:
    to_publicity(cast)
    batch = services.publicity_batch_create(
        actor=cast.bureau_staff, program=cast.changjiang, start_date=timezone.localdate()
    )
    return PublicityEntry.objects.get(batch=batch)


def test_public_page_lists_enterprise_bank_and_amount_without_login(client, cast):
    entry = _running_entry(cast)
    page = client.get("/publicity/").content.decode()
    assert "甲科技有限公司" in page and "X银行" in page and "900,000.00" in page
    assert client.get(f"/publicity/{entry.batch.public_id}/").status_code == 200


def test_objection_form_is_throttled(client, cast):
    cache.clear()
    entry = _running_entry(cast)
    url = f"/publicity/entries/{entry.public_id}/object/"
    statuses = [
        client.post(url, {"name": "张三", "contact": "138", "reason": f"理由{i}"}).status_code
        for i in range(7)
    ]
    assert statuses == [200] * 5 + [429] * 2
    assert Objection.objects.count() == 5
    cache.clear()


def test_batch_ending_before_start_is_refused_on_the_page(client, cast):
    to_publicity(cast)
    client.force_login(cast.bureau_staff)
    response = post_confirmed(
        client, "/review/publicity/", {"start_date": "2026-03-02", "end_date": "2026-03-01"}
    )
    assert response.status_code == 400
    assert not PublicityBatch.objects.exists()
    client.force_login(cast.auditor)
    assert (
        post_confirmed(client, "/review/publicity/", {"start_date": "2026-03-02"}).status_code
        == 403
    )


def test_ruling_upheld_through_the_page_rejects(client, cast):
    entry = _running_entry(cast)
    objection = services.objection_submit(entry=entry, name="张三", contact="138", reason="不实")
    client.force_login(cast.auditor)
    assert (
        client.post(
            f"/review/objections/{objection.public_id}/rule/", {"ruling": "upheld", "note": "属实"}
        ).status_code
        == 403
    )
    client.force_login(cast.bureau_staff)
    client.post(
        f"/review/objections/{objection.public_id}/rule/", {"ruling": "upheld", "note": "属实"}
    )
    assert Application.objects.get(pk=cast.application_a.pk).state == S.REJECTED


def test_blacklist_blocks_and_force_majeure_exempts_article_nine(client, cast):
    """第九条: listed → blocking in every program; force majeure → exempted, not blocking."""
    client.force_login(cast.bureau_staff)
    client.post(
        "/review/blacklist/",
        {
            "credit_code": cast.enterprise_b.credit_code,
            "reason": "overdue",
            "details": "逾期7个月",
            "force_majeure_note": "2026年洪灾",
        },
    )
    assert BlacklistEntry.objects.blocking(cast.enterprise_b) is None
    assert BlacklistEntry.objects.get(enterprise=cast.enterprise_b).status == "exempted"
    response = client.post(
        "/review/blacklist/",
        {
            "credit_code": cast.enterprise_a.credit_code,
            # 第九条's misuse ground is proposed on the loan's page (tests/changjiang/test_misuse.py)
            "reason": "fraud",
            "details": "骗取贷款",
        },
    )
    assert response.status_code == 302
    assert BlacklistEntry.objects.blocking(cast.enterprise_a) is not None
    client.force_login(cast.auditor)
    assert (
        client.post(
            "/review/blacklist/",
            {"credit_code": cast.enterprise_a.credit_code, "reason": "fraud", "details": "x"},
        ).status_code
        == 403
    )


def test_history_exports_to_excel(client, cast):
    """Who, when, from, to, opinion, address: one row per history entry, times as real date-times."""
    from io import BytesIO

    from openpyxl import load_workbook

    from kedaitong.models import AuditEntry

    application = submitted(cast)
    services.application_accept(
        actor=cast.bureau_staff, application=application, comment="材料齐全，受理"
    )
    services.application_return(
        actor=cast.bureau_staff,
        application=application,
        comment="请补正",
        reasons=[services.ReturnReason("营业执照", "已过期")],
    )
    client.force_login(cast.bureau_head)
    response = client.get(f"/review/applications/{application.public_id}/history.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxml"
    )
    # The file is named in Chinese (RFC 6266 filename*): T-000001-办理记录.xlsx
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote(
        f"{application.reference}-办理记录.xlsx"
    )
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "操作人", "角色", "操作", "原状态", "新状态", "意见", "地址")
    entries = list(AuditEntry.objects.for_object(application).order_by("at", "pk"))
    assert len(rows) == 1 + len(entries) == 3
    for row, entry in zip(rows[1:], entries, strict=True):
        assert isinstance(row[0], dt.datetime)  # a real date-time, in the portal's zone
        assert row[0] == timezone.localtime(entry.at).replace(tzinfo=None, microsecond=0)
    assert sheet.cell(row=2, column=1).number_format == "yyyy-mm-dd hh:mm:ss"
    assert rows[1][1:7] == (
        "staff",
        "科技局经办人",
        "科技局经办人受理",
        "已提交",
        "科技局审核",
        "材料齐全，受理",
    )
    assert rows[2][1:7] == (
        "staff",
        "科技局经办人",
        "科技局经办人退回修改",
        "科技局审核",
        "已退回修改",
        "请补正",
    )
    # The review page's 办理记录 reads the same words, never the audit codes.
    page = client.get(f"/review/applications/{application.public_id}/").content.decode()
    assert "科技局经办人受理" in page and "科技局经办人退回修改" in page
    assert "已提交 → 科技局审核" in page
    assert "applications.application" not in page and "return_for_changes" not in page
