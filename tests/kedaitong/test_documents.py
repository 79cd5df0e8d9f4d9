"""PDF rendering fetches nothing but static files; Excel cells are never formulas."""

from __future__ import annotations

import copy
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kedaitong import excel
from kedaitong.pdf import Issue, StaticOnlyFetcher, render_pdf

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils not installed"
)


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def hostile_template(tmp_path, settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates  # assigning (not mutating) resets the template engines
    (tmp_path / "hostile.html").write_text(
        "<html><head><style>body{font-family:'Noto Sans CJK SC'}</style>{{ head|safe }}</head>"
        "<body><p>{{ text }}</p>{{ body|safe }}</body></html>",
        encoding="utf-8",
    )
    return "hostile.html"


# Every PDF is issued (kedaitong/verification.py); these test documents are issued as one of their own.
ISSUE = Issue(kind="test.hostile", title="测试文件", issuer="测试机构", subject="test:1")


@needs_pdftotext
@pytest.mark.django_db
def test_chinese_text_is_embedded(hostile_template):
    data = render_pdf(
        hostile_template,
        {"text": "景德镇青瓷智造科技有限公司 壹佰万元整", "head": "", "body": ""},
        issue=ISSUE,
    )
    assert data.startswith(b"%PDF")
    assert "景德镇青瓷智造科技有限公司" in pdf_text(data)


@pytest.mark.django_db
def test_local_files_and_network_urls_named_in_user_text_are_not_fetched(hostile_template):
    attack = (
        '<link rel="attachment" href="file:///etc/passwd">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">'
    )
    data = render_pdf(
        hostile_template,
        {"text": "x", "head": attack, "body": '<img src="file:///etc/hostname">'},
        issue=ISSUE,
    )
    assert b"root:" not in data
    assert b"/EmbeddedFile" not in data


def test_the_fetcher_serves_static_files_only():
    fetcher = StaticOnlyFetcher()
    from django.conf import settings

    css = (settings.STATICFILES_DIRS[0] / "css" / "app.css").resolve().as_uri()
    assert fetcher.fetch(css).read().startswith(b"/*")
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1/x",
        "file:///work/../etc/passwd",
        "data:text/plain,hi",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_formula_like_text_is_kept_whole_as_text_and_money_is_numeric():
    wb = excel.new_workbook()
    columns = [excel.Column("企业名称"), excel.Column("金额（元）", kind="money", total=True)]
    rows = [
        ['=HYPERLINK("http://x")', Decimal("1.10")],
        ["+86 123", Decimal("2.20")],
        ["-5", Decimal("3.30")],
        ["@SUM(A1)", Decimal("0.40")],
    ]
    excel.write_sheet(wb, "台账", columns, rows)
    buffer = io.BytesIO()
    excel.save(wb, buffer)
    ws = load_workbook(io.BytesIO(buffer.getvalue()))["台账"]
    assert [c.value for c in ws["A"]][1:5] == [
        '=HYPERLINK("http://x")',
        "+86 123",
        "-5",
        "@SUM(A1)",
    ]
    assert all(c.data_type == "s" for c in ws["A"][1:5])
    assert ws["B2"].data_type == "n" and ws["B2"].number_format == "#,##0.00"
    assert ws["A6"].value == "合计" and Decimal(str(ws["B6"].value)) == Decimal("7.00")
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:B5"


@pytest.mark.parametrize(
    "text",
    [
        "\tcmd",
        "\r=1+2",
        "\rcalc",
        "a\rb",
        "line\r\nnext",
        "=A1\r",
        "+86\t123",
        "-\r-",
        "@x",
        "=1+1",
    ],
)
def test_tab_and_carriage_return_text_comes_back_whole_as_text(text):
    wb = excel.new_workbook()
    excel.write_sheet(
        wb,
        "台账",
        [excel.Column("企业名称"), excel.Column("金额（元）", kind="money", total=True)],
        [[text, Decimal("1.00")]],
    )
    buffer = io.BytesIO()
    excel.save(wb, buffer)
    ws = load_workbook(io.BytesIO(buffer.getvalue()))["台账"]
    assert ws["A2"].value == text and ws["A2"].data_type == "s"
    assert ws["B2"].value == 1 and ws["B2"].number_format == "#,##0.00"
    assert ws.freeze_panes == "A2"


def test_carriage_return_text_written_straight_into_a_response_comes_back_whole():
    from django.http import HttpResponse

    response = (
        HttpResponse()
    )  # the compensation and subsidy exports write into the response, which cannot seek
    wb = excel.new_workbook()
    excel.write_sheet(wb, "台账", [excel.Column("企业名称")], [["\r=1+1"], ["甲\r\n乙"]])
    excel.save(wb, response)
    ws = load_workbook(io.BytesIO(response.content))["台账"]
    assert [ws["A2"].value, ws["A3"].value] == ["\r=1+1", "甲\r\n乙"]


def test_a_document_asked_for_again_is_not_rendered_again(monkeypatch):
    """kedaitong.pdf.RenderedPDFs: the same final HTML gives the kept bytes; other HTML is rendered; the oldest
    go first past the byte limit, and a limit of 0 keeps nothing."""
    from kedaitong.pdf import RenderedPDFs

    kept = RenderedPDFs()
    made: list[str] = []

    def make(text: str) -> object:
        return lambda: made.append(text) or text.encode() * 100

    from django.conf import settings

    monkeypatch.setattr(settings, "PDF_CACHE_BYTES", 1000)
    assert kept.get_or_make("a", make("a")) == b"a" * 100
    assert kept.get_or_make("a", make("a")) == b"a" * 100
    assert made == ["a"]
    kept.get_or_make("b", make("b"))
    assert made == ["a", "b"]
    for name in "cdefghijk":  # 100 bytes each: "a" and "b" fall out past 1,000
        kept.get_or_make(name, make(name))
    kept.get_or_make("a", make("a"))
    assert made.count("a") == 2
    monkeypatch.setattr(settings, "PDF_CACHE_BYTES", 0)
    off = RenderedPDFs()
    off.get_or_make("z", make("z"))
    off.get_or_make("z", make("z"))
    assert made.count("z") == 2
