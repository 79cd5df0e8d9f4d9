"""Reference lists through the admin's Import and Export (django-import-export over the bank importer's reader).

Every test goes through the admin pages as the admin would: upload, read the
preview, confirm; or export and read the workbook.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from applications.credit_code import check_character
from applications.models import Program, ProgramListing, RegistrationPlace
from kedaitong.models import AuditEntry, CalendarDay, CalendarYear
from loans.models import Bank
from subsidy.models import LPRRate
from tests.loans.sheets import csv_bytes, xlsx

pytestmark = pytest.mark.django_db

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"


def code(body: str) -> str:
    """A credit code with its GB 32100-2015 check character."""
    return body + check_character(body)


CODE_A, CODE_B, CODE_C = (
    code("91330800MA2B3C4D5"),
    code("91330800MA2B3C4D6"),
    code("91330800MA2B3C4D7"),
)
BANK_HEADERS = ["银行代码", "银行名称", "地址", "联系人", "联系电话"]


@pytest.fixture
def admin_client(client, cast):
    client.force_login(cast.admin)
    return client


def preview(client, url: str, data: bytes, name: str):
    return client.post(
        url, {"format": "0", "import_file": SimpleUploadedFile(name, data), "resource": "0"}
    )


def confirm(client, url: str, page):
    form = page.context["confirm_form"]
    fields = {name: form[name].value() for name in form.fields}
    return client.post(url.replace("/import/", "/process_import/"), fields)


def text(page) -> str:
    """The page as a reader sees it: tags (the preview's diff marks) removed, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.content.decode()))


def test_banks_are_previewed_then_saved_on_confirmation(admin_client, cast):
    url = "/admin/loans/bank/import/"
    assert admin_client.get(url).status_code == 200
    data = xlsx(
        BANK_HEADERS,
        [
            ["bank-ccb-cj", "中国建设银行昌江支行", "昌江区某路1号", "王经理", "0798-1234567"],
            ["bank-x", "X银行（更名）", None, None, None],
        ],
    )
    page = preview(admin_client, url, data, "银行.xlsx")
    assert page.status_code == 200 and page.context["confirm_form"] is not None
    body = text(page)
    assert "中国建设银行昌江支行" in body and "X银行（更名）" in body
    assert not Bank.objects.filter(code="bank-ccb-cj").exists()  # the preview saves nothing
    assert Bank.objects.get(code="bank-x").name == "X银行"
    done = confirm(admin_client, url, page)
    assert done.status_code == 302 and done["Location"] == "/admin/loans/bank/"
    new = Bank.objects.get(code="bank-ccb-cj")
    assert (new.name, new.address, new.contact_phone) == (
        "中国建设银行昌江支行",
        "昌江区某路1号",
        "0798-1234567",
    )
    assert Bank.objects.get(code="bank-x").name == "X银行（更名）"
    entry = AuditEntry.objects.get(action="admin.bank.imported")
    assert entry.actor == cast.admin and entry.data["file"] == "银行.xlsx"
    assert entry.data["rows"] == 2 and entry.data["new"] == 1 and entry.data["update"] == 1


@pytest.mark.parametrize(
    "number, expected",
    [
        ("023", "DOCTYPE/ENTITY"),  # entity bomb
        ("028", "公式"),  # a formula without a cached value
        ("014", "二进制"),  # binary.csv
        ("006", "超过200列"),  # 16,384 columns
    ],
)
def test_a_hostile_file_is_refused_on_the_form_and_nothing_is_kept(
    admin_client, number, expected, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    names = dict(
        line.split("\t", 1)
        for line in (HOSTILE / "INDEX.tsv").read_text(encoding="utf-8").splitlines()
    )
    name = names[f"{number}.bin"].strip().strip("'")
    before = Bank.objects.count()
    page = preview(
        admin_client, "/admin/loans/bank/import/", (HOSTILE / f"{number}.bin").read_bytes(), name
    )
    assert page.status_code == 200 and "confirm_form" not in page.context
    errors = page.context["form"].errors["import_file"]
    assert any(expected in str(e) for e in errors), errors
    assert Bank.objects.count() == before
    assert not list(tmp_path.rglob("*"))  # the refused file was not stored for a confirmation


def test_headers_must_be_the_templates(admin_client):
    url = "/admin/loans/bank/import/"
    page = preview(
        admin_client, url, csv_bytes(["银行编码", "银行名称"], [["b-1", "某银行"]]), "b.csv"
    )
    body = text(page)
    assert page.context.get("confirm_form") is None
    assert "缺少表头：银行代码" in body and "未知表头：银行编码" in body
    assert not Bank.objects.filter(code="b-1").exists()


def test_a_bad_row_is_shown_with_its_reason_and_blocks_the_whole_file(admin_client):
    url = "/admin/loans/bank/import/"
    data = csv_bytes(
        BANK_HEADERS, [["good-bank", "好银行", "", "", ""], ["bad code!", "坏银行", "", "", ""]]
    )
    page = preview(admin_client, url, data, "banks.csv")
    assert page.context.get("confirm_form") is None
    assert "bad code!" in text(page) and "None" not in text(page)  # empty cells show empty
    (invalid,) = page.context["result"].invalid_rows
    assert invalid.number == 3  # the row as Excel numbers it: the header is row 1
    assert list(invalid.field_specific_errors) == ["银行代码"]
    assert not Bank.objects.filter(name__in=["好银行", "坏银行"]).exists()


def test_an_export_has_the_import_headers_and_imports_back_unchanged(admin_client, cast):
    page = admin_client.post(
        "/admin/loans/bank/export/",
        {
            "format": "0",
            "resource": "0",
            **{
                f"bankresource_{f}": "on"
                for f in ("code", "name", "address", "contact_name", "contact_phone")
            },
        },
    )
    assert page.status_code == 200, page.content[:500]
    assert page["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(page.content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert list(rows[0]) == BANK_HEADERS
    assert ("bank-x", "X银行") == rows[1][:2]
    assert AuditEntry.objects.filter(action="admin.bank.exported", actor=cast.admin).count() == 1
    again = preview(admin_client, "/admin/loans/bank/import/", page.content, "export.xlsx")
    assert again.context["confirm_form"] is not None
    result = again.context["result"]
    assert result.totals["skip"] == Bank.objects.count() and result.totals["new"] == 0


def test_the_quzhou_list_names_its_program_and_place(admin_client, cast):
    url = "/admin/applications/programlisting/import/"
    headers = ["项目代码", "统一社会信用代码", "企业名称", "注册地", "列入日期", "移出日期"]
    place = RegistrationPlace.objects.filter(program=cast.quzhou).first()
    data = xlsx(
        headers,
        [
            [
                "quzhou",
                "91330800MA2B3C4D5E",
                "衢州甲科技有限公司",
                place.name,
                dt.date(2026, 1, 5),
                None,
            ],
            ["quzhou", "91330800MA2B3C4D5X", "衢州乙科技有限公司", "杭州", "2026-01-05", None],
        ],
    )
    page = preview(admin_client, url, data, "名单.xlsx")
    body = text(page)
    assert page.context.get("confirm_form") is None
    assert "注册地“杭州”不存在" in body and place.name in body
    assert "校验码错误" in body  # the bad check character of the second code is named too
    assert not ProgramListing.objects.exists()
    good = xlsx(
        headers,
        [["quzhou", CODE_A, "衢州甲科技有限公司", place.name, "2026-01-05", ""]],
    )
    page = preview(admin_client, url, good, "名单.xlsx")
    assert page.context["confirm_form"] is not None
    confirm(admin_client, url, page)
    listing = ProgramListing.objects.get()
    assert (listing.program, listing.registration_place, listing.listed_on) == (
        cast.quzhou,
        place,
        dt.date(2026, 1, 5),
    )


def test_a_confirmation_that_meets_changed_data_saves_nothing(admin_client, cast):
    """Previewed fine; before the confirmation the place its second row names is removed: no row is saved."""
    url = "/admin/applications/programlisting/import/"
    headers = ["项目代码", "统一社会信用代码", "企业名称", "注册地", "列入日期"]
    temporary = RegistrationPlace.objects.create(
        program=cast.quzhou, code="tmp", name="临时注册地", order=99
    )
    first = RegistrationPlace.objects.filter(program=cast.quzhou).exclude(pk=temporary.pk).first()
    data = xlsx(
        headers,
        [
            ["quzhou", CODE_A, "衢州甲科技有限公司", first.name, "2026-01-05"],
            ["quzhou", CODE_C, "衢州丙科技有限公司", "临时注册地", "2026-01-05"],
        ],
    )
    page = preview(admin_client, url, data, "名单.xlsx")
    assert page.context["confirm_form"] is not None
    temporary.delete()
    done = confirm(admin_client, url, page)
    assert done.status_code == 302 and done["Location"] == url
    assert not ProgramListing.objects.exists()
    message = text(admin_client.get(url))
    assert "没有导入任何数据" in message or "Nothing was imported" in message
    assert "临时注册地" in message
    assert not AuditEntry.objects.filter(action="admin.programlisting.imported").exists()


def test_lpr_publications_keep_one_a_month_without_gaps(admin_client):
    url = "/admin/subsidy/lprrate/import/"
    headers = ["生效日期", "1年期LPR（%）", "5年期以上LPR（%）"]
    last = LPRRate.objects.order_by("-effective_date").first()
    after = last.effective_date + dt.timedelta(days=62)  # leaves a month out
    page = preview(
        admin_client, url, csv_bytes(headers, [[after.isoformat(), "3.0", "3.5"]]), "lpr.csv"
    )
    assert page.context.get("confirm_form") is None
    assert "缺少" in text(page) and not LPRRate.objects.filter(effective_date=after).exists()
    nxt = (last.effective_date.replace(day=1) + dt.timedelta(days=40)).replace(day=20)
    page = preview(admin_client, url, xlsx(headers, [[nxt, 3.05, 3.5]]), "lpr.xlsx")
    assert page.context["confirm_form"] is not None
    confirm(admin_client, url, page)
    saved = LPRRate.objects.get(effective_date=nxt)
    assert (saved.one_year, saved.five_year, saved.source) == (
        Decimal("3.0500"),
        Decimal("3.5000"),
        "全国银行间同业拆借中心公告",
    )


def test_the_holiday_calendar_and_its_years(admin_client):
    url = "/admin/kedaitong/calendarday/import/"
    data = xlsx(
        ["日期", "类型", "名称"],
        [[dt.date(2027, 1, 1), "节假日", "元旦"], ["2027-02-06", "调休工作日", "春节"]],
    )
    page = preview(admin_client, url, data, "2027.xlsx")
    assert page.context["confirm_form"] is not None
    confirm(admin_client, url, page)
    assert list(
        CalendarDay.objects.filter(date__year=2027).values_list("date", "kind", "name")
    ) == [
        (dt.date(2027, 1, 1), "holiday", "元旦"),
        (dt.date(2027, 2, 6), "workday", "春节"),
    ]
    bad = preview(admin_client, url, csv_bytes(["日期", "类型"], [["2027-01-02", "放假"]]), "x.csv")
    assert "应填“节假日”或“调休工作日”" in text(bad)
    years = preview(
        admin_client,
        "/admin/kedaitong/calendaryear/import/",
        csv_bytes(["年度", "来源"], [["2027", "国办发明电〔2026〕1号"]]),
        "y.csv",
    )
    assert years.context["confirm_form"] is not None
    confirm(admin_client, "/admin/kedaitong/calendaryear/import/", years)
    assert CalendarYear.objects.get(year=2027).source == "国办发明电〔2026〕1号"


def test_only_the_admin_site_imports(client, cast):
    client.force_login(cast.bureau_staff)
    response = client.get("/admin/loans/bank/import/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Program.objects.filter(code="quzhou").exists()
