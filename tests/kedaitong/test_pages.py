"""The layout: Chinese by default, English on request, security headers, error pages."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import path

pytestmark = pytest.mark.django_db


def _raise(request):
    raise RuntimeError("boom")


# A URLconf of one broken view, for the 500 page (pytest.mark.urls points here).
urlpatterns = [path("boom/", _raise)]


def test_pages_are_in_chinese_by_default_and_english_on_request(client, cast):
    client.force_login(cast.applicant)
    assert "本企业申请" in client.get("/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Your applications" in client.get("/").content.decode()


def test_the_chinese_catalog_is_complete():
    po = polib.pofile(
        str(Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    )
    assert po.percent_translated() == 100
    assert not po.fuzzy_entries()
    mo = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    # Keyed by context too: one English word can need two Chinese ones ("issued by": 出具机构, 登记人).
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo)) if not e.msgid_plural}
    assert compiled == {
        (e.msgctxt, e.msgid): e.msgstr for e in po if not e.msgid_plural and e.msgid
    }, "run `make messages`"


def test_pages_carry_a_policy_without_inline_scripts(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script" not in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"


def test_a_missing_page_is_a_chinese_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_a_role_without_the_right_gets_a_chinese_403(client, cast):
    client.force_login(cast.bank_x_user)
    response = client.get("/enterprise/profile/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "403 · 无权操作" in page
    assert "Not allowed" not in page


@pytest.mark.urls("tests.kedaitong.test_pages")
def test_a_failing_view_is_a_chinese_500_when_debug_is_off(settings):
    from django.test import Client

    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "500 · 系统错误" in page
    assert "系统出现错误，已记录" in page
    assert "RuntimeError" not in page and "Traceback" not in page


def test_the_health_check_touches_the_database(client):
    assert client.get("/healthz/").json() == {"status": "ok"}


def test_static_assets_are_vendored_not_fetched():
    base = Path(settings.BASE_DIR) / "templates"
    for template in base.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "http://" not in text.replace("{{ protocol }}://", "") and "https://" not in text, (
            template
        )
    assert (Path(settings.BASE_DIR) / "static" / "vendor" / "pico" / "pico.min.css").exists()


def test_the_pdf_libraries_are_present():
    from kedaitong.checks import cjk_font_available, harfbuzz_subset_available

    assert harfbuzz_subset_available(), "apt-get install libharfbuzz-subset0"
    assert cjk_font_available(), "apt-get install fonts-noto-cjk"


def test_an_english_browser_still_gets_chinese_until_the_user_switches(client, cast):
    client.force_login(cast.applicant)
    assert "本企业申请" in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Your applications" in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()


@pytest.mark.django_db
def test_the_programs_roles_share_one_home_page_and_only_the_auditor_has_no_queue(client, cast):
    for user, has_queue in [
        (cast.bureau_staff, True),
        (cast.bureau_head, True),
        (cast.leading_group, True),
        (cast.auditor, False),
    ]:
        client.force_login(user)
        page = client.get("/")
        body = page.content.decode()
        assert page.status_code == 200 and "home/government.html" in [
            t.name for t in page.templates
        ]
        assert cast.changjiang.name in body
        assert ('href="/review/queue/"' in body and "待审队列" in body) == has_queue, user
