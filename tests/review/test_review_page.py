"""The review page: the application's materials and its eligibility now against at submission (issue 4, 3)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import eligibility
from applications import selectors as app_selectors
from applications.models import Application, Material, MaterialType
from applications.selectors import RuleResult
from review import selectors
from tests.review.helpers import PDF, submitted

pytestmark = pytest.mark.django_db


def page(client, application) -> str:
    response = client.get(f"/review/applications/{application.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_materials_are_listed_uploaded_or_missing_with_links(client, cast):
    application = submitted(cast)
    required = list(
        MaterialType.objects.filter(program=cast.changjiang, required=True).order_by("number")
    )
    first = required[0]
    material = Material.objects.create(
        application=application,
        material_type=first,
        original_name="营业执照副本.pdf",
        file=SimpleUploadedFile("m.pdf", PDF),
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=cast.applicant,
    )
    client.force_login(cast.bureau_staff)
    html = page(client, application)
    table = html[html.index('class="striped materials"') :]
    table = table[: table.index("</table>")]
    for t in MaterialType.objects.filter(program=cast.changjiang):
        assert t.name in table
    link = f"/applications/{application.public_id}/materials/{material.public_id}/"
    assert link in table and "营业执照副本.pdf" in table
    assert table.count('class="missing"') == len(required) - 1
    assert client.get(link).status_code == 200  # the link works for those who see the application
    client.force_login(cast.other_applicant)
    assert client.get(link).status_code == 404


def test_eligibility_difference_since_submission_is_highlighted(client, cast, monkeypatch):
    application = submitted(cast)
    then = [
        RuleResult("sme", "第六条(一)", "pass", "是中小企业"),
        RuleResult("tax", "第六条(一)3", "pass", "无欠税"),
    ]
    Application.objects.filter(pk=application.pk).update(
        eligibility_result=eligibility.to_json(then)
    )
    now = [
        RuleResult("sme", "第六条(一)", "fail", "营业收入超过4亿元"),
        RuleResult("tax", "第六条(一)3", "pass", "无欠税"),
    ]
    monkeypatch.setattr(selectors, "eligibility_now", lambda a: now)
    monkeypatch.setattr(app_selectors, "eligibility_now", lambda a: now)
    client.force_login(cast.bureau_staff)
    html = page(client, application)
    start = html.index('class="striped eligibility"')
    rows = re.findall(
        r"<tr( class=\"changed\")?>\s*<td>(\w+)", html[start : html.index("</table>", start)]
    )
    assert rows == [(' class="changed"', "sme"), ("", "tax")]
    changed = html[html.index('<tr class="changed">') :]
    changed = changed[: changed.index("</tr>")]
    assert "<mark>" in changed and "营业收入超过4亿元" in changed and "是中小企业" in changed
    assert "自提交以来有变化" in changed
