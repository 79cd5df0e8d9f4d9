"""Content-Security-Policy without inline scripts: every template, and the header and markup of pages per role.

The policy (django-csp, `CONTENT_SECURITY_POLICY` in kedaitong/settings.py) allows
scripts and styles from the portal only, so an inline <script>, a style="" attribute, a <style> block, an on*=
handler or a javascript: URL would be blocked by the browser (or, if someone
loosened the policy to let it run, would be the hole). The admin ships its own
inline scripts and is outside the policy; templates/pdf/ (and the style they
include) are rendered by WeasyPrint only, never sent to a browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.access import ROLES, move_cast_to_quzhou
from tests.access_matrix_table import table

TEMPLATES = Path(settings.BASE_DIR) / "templates"
PDF_ONLY = {"applications/_pdf_style.html"}  # included by templates/pdf/* only (checked below)

# A data block (`json_script`: type="application/json") is never run, so it is no inline script.
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\b(src\s*=|type=[\"']application/json[\"']))[^>]*>", re.IGNORECASE
)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
PATTERNS = {
    "inline <script>": INLINE_SCRIPT,
    "style= attribute": STYLE_ATTRIBUTE,
    "<style> block": STYLE_BLOCK,
    "on*= handler": HANDLER,
    "javascript: URL": JAVASCRIPT_URL,
}


def problems(html: str) -> list[str]:
    return [
        f"{what}: {m.group(0)[:80]}"
        for what, pattern in PATTERNS.items()
        for m in pattern.finditer(html)
    ]


def browser_templates() -> list[Path]:
    roots = [
        TEMPLATES,
        *(p for p in Path(settings.BASE_DIR).glob("*/templates") if ".venv" not in p.parts),
    ]
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.html")):
            relative = path.relative_to(root).as_posix()
            if relative.startswith(("admin/", "pdf/")) or relative in PDF_ONLY:
                continue
            found.append(path)
    return found


def test_the_scanner_sees_what_it_should():
    assert (
        problems("<script>alert(1)</script>")
        and problems('<p style="color:red">')
        and problems("<style>p{}</style>")
    )
    assert problems('<img src=x onerror="alert(1)">') and problems('<a href="javascript:alert(1)">')
    assert not problems(
        '<script src="/static/js/dashboard.js" defer></script><p class="x" data-on="1">'
    )
    assert not problems('<script id="chart" type="application/json">{"a": 1}</script>')
    assert problems('<script type="text/javascript">alert(1)</script>')
    assert len(browser_templates()) >= 80


@pytest.mark.parametrize(
    "path", browser_templates(), ids=lambda p: p.relative_to(settings.BASE_DIR).as_posix()
)
def test_no_template_sent_to_a_browser_has_inline_script_or_style(path):
    assert not problems(path.read_text(encoding="utf-8")), path


def test_the_exempt_templates_are_only_rendered_to_pdf():
    """templates/pdf/* go through kedaitong.pdf.render_pdf, and the PDF style is included only by them."""
    base = Path(settings.BASE_DIR)
    for source in base.glob("*/*.py"):
        if ".venv" in source.parts or source.parts[-2] == "tests":
            continue
        text = source.read_text(encoding="utf-8")
        for match in re.finditer(r"""["']pdf/[a-z_0-9]+\.html["']""", text):
            # The name is the first argument of render_pdf(, on its line or the line above.
            before = text[: match.start()].rstrip()
            # render_uploaded_sample_pdf: the demo's fictional evidence, rendered the same way without an issue.
            assert before.endswith(("render_pdf(", "render_uploaded_sample_pdf(")), (
                f"{source}: {match.group()}"
            )
    for template in TEMPLATES.rglob("*.html"):
        if "_pdf_style.html" in template.read_text(encoding="utf-8"):
            assert template.relative_to(TEMPLATES).parts[0] == "pdf", template


# A sample of pages per role: one or two of every app, read as each role that may see them.
SAMPLE = {
    "home",
    "login",
    "password_reset",
    "applications:profile",
    "applications:application-detail",
    "applications:application-submit",
    "review:queue",
    "review:application-review",
    "review:public-objection",
    "loans:loan-detail",
    "loans:upload-create",
    "compensation:claim-detail",
    "compensation:claim-review",
    "compensation:ledger",
    "subsidy:run-detail",
    "subsidy:filing-list",
    "reports:dashboard",
    "reports:statistics",
    "api-tokens:list",
    "api-tokens:revoke",
    "api-v1:openapi-view",
    "verify-document",
}
SAMPLE_ROWS = [row for row in table() if row.method == "GET" and row.name in SAMPLE]


def test_the_sample_covers_every_role():
    for role in ROLES:
        assert sum(row.expected[role] == 200 for row in SAMPLE_ROWS) >= 3, role


@pytest.mark.django_db
@pytest.mark.parametrize("row", SAMPLE_ROWS, ids=[row.name for row in SAMPLE_ROWS])
def test_pages_carry_the_policy_and_no_inline_script_for_each_role(row, cast):
    if row.program == "quzhou":
        move_cast_to_quzhou(cast)
    url = row.url(cast)
    users = cast.users()
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(users[role])
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", (
            url,
            role,
        )
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in policy
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert not problems(response.content.decode()), (url, role)


@pytest.mark.django_db
def test_error_pages_carry_the_policy_too(client, cast, settings):
    settings.DEBUG = False
    client.force_login(cast.other_applicant)
    for url, status in [("/no-such-page/", 404), ("/review/queue/", 403)]:
        response = client.get(url)
        assert response.status_code == status
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert not problems(response.content.decode())


POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


@pytest.mark.django_db
def test_the_policy_is_the_portals_whole_and_the_admin_is_left_out(client, cast):
    """django-csp sends the same nine directives as the portal's own middleware did; the admin (inline scripts) gets none."""
    page = client.get("/accounts/login/")
    directives = dict(d.strip().split(" ", 1) for d in page["Content-Security-Policy"].split(";"))
    assert directives == POLICY
    assert "Content-Security-Policy-Report-Only" not in page
    client.force_login(cast.admin)
    admin = client.get("/admin/")
    assert admin.status_code == 200 and "Content-Security-Policy" not in admin
