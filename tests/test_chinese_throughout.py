"""Issue 18 item 7: a zh-Hans user reads Chinese on every page of the access matrix and of the admin site.

For each role of the cast (one test per role), every GET row of the access matrix
(tests/access_matrix_table.py, URLs built as tests/test_access_matrix.py builds them) that
answers that role 200 with an HTML page is fetched with Django's test client in zh-hans. Its
VISIBLE text is extracted: text nodes, the title, placeholder, aria-label and alt attributes,
and the value of input buttons; not <script>, <style>, other attribute values, and not what is
legitimately Latin: <code> and <kbd> elements and elements marked `data-verbatim` (reference
numbers, credit codes, user names, file names users uploaded), e-mail addresses and URLs. Any
run of three or more ASCII letters that is not in ALLOWED below fails the test, naming the
page, the role and the words. The admin site (its index and every changelist) is checked the
same way as the administrator.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.access import ROLES, kept_cast_fixtures
from tests.test_access_matrix import MATRIX, client_for, row_program

# Latin a Chinese page legitimately shows: units, formats and names of standards people know by
# these letters. Reviewed: add a word only if a Chinese reader would write it in Latin letters too.
ALLOWED = frozenset(
    {
        "PDF",  # the document format
        "Excel",
        "XLSX",
        "xlsx",
        "CSV",
        "GBK",  # the Chinese encoding of a .csv file
        "csv",
        "ZIP",
        "zip",
        "LPR",  # 贷款市场报价利率, written LPR in the PBoC's own notices
        "API",
        "JPEG",
        "PNG",
        "SHA",  # SHA-256, the fingerprint of an issued document
        "Swagger",  # the bank API's documentation page is Swagger UI
        "OpenAPI",
    }
)

WORD = re.compile(r"[A-Za-z]{3,}")
# Latin by nature, wherever it is shown: an e-mail address, a web address, a file's name (as its
# owner uploaded it), and any code with a digit in it (reference and issue numbers, credit codes,
# contract numbers, hashes, UTF-8).
ADDRESS = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"
    r"|https?://[\w./?=&%#:-]+|(?<!\w)/[\w.-]+/[\w./?=&%#:-]*"
    r"|[\w.-]+\.(pdf|xlsx|xls|csv|zip|png|jpe?g|docx?|txt)\b"
    r"|[\w-]*\d[\w-]*",
    re.IGNORECASE,
)

# Elements whose content is not read as text, or is legitimately Latin.
SKIPPED = {"script", "style", "code", "kbd", "template", "noscript", "svg"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class VisibleText(HTMLParser):
    """The text a reader sees (or hears from a screen reader) on an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # open skipped elements, innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag not in VOID:
                self.skipping.append(tag)
            return
        attributes = dict(attrs)
        if tag in SKIPPED or "data-verbatim" in attributes:
            if tag not in VOID:
                self.skipping.append(tag)
            return
        self.parts.extend(attributes[name] or "" for name in SHOWN_ATTRIBUTES if name in attributes)
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self.parts.append(attributes.get("value") or "")  # an input button shows its value

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <input .../>: never opens an element.
        if self.skipping:
            return
        attributes = dict(attrs)
        if "data-verbatim" in attributes:
            return
        self.parts.extend(attributes[name] or "" for name in SHOWN_ATTRIBUTES if name in attributes)
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            # Close the innermost open element of that name (HTML lets some end tags be left out).
            for i in range(len(self.skipping) - 1, -1, -1):
                if self.skipping[i] == tag:
                    del self.skipping[i:]
                    break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


def english_words(html: str) -> list[str]:
    """Each English word once, with the visible text around it (where to look for it)."""
    text = " ".join(ADDRESS.sub(" ", visible_text(html)).split())
    found: dict[str, str] = {}
    for match in WORD.finditer(text):
        word = match.group()
        if word not in ALLOWED and word not in found:
            found[word] = f"{word} «{text[max(0, match.start() - 12) : match.end() + 12]}»"
    return sorted(found.values())


def is_page(response) -> bool:
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


def test_the_reader_sees_through_what_is_legitimately_latin():
    """The extraction itself: what is dropped, what is kept."""
    html = """<html><head><title>Ledger 台账</title><style>.x{color:red}</style></head><body>
      <script>var ignored = 1;</script>
      <p class="hidden-class" data-x="attribute">申请 <code>CJ-2026-0007</code> <kbd>Enter</kbd></p>
      <span data-verbatim>bank-x</span> 附件 report-final.docx，哈希 3fa9c0de，编号 KDT-2026-000001，联系 someone@example.com，见 https://example.org/page
      <input type="text" name="amount" placeholder="Amount"><img src="a.png" alt="Logo">
      <button type="submit" value="save">保存</button><input type="submit" value="Submit"/>
      <a href="/x/" aria-label="Back">返回</a> 单位 PDF/Excel、LPR，接口 /api/v1/docs and/or
    </body></html>"""
    assert [found.split()[0] for found in english_words(html)] == [
        "Amount",
        "Back",
        "Ledger",
        "Logo",
        "Submit",
        "and",
    ]


# --- the portal's pages, one test per role -----------------------------------------------------


kept, cast = kept_cast_fixtures()


GET_ROWS = [row for row in MATRIX if row.method == "GET"]
# Rows found to answer with a file (PDF, Excel, zip) rather than a page, by one role's test: the
# other roles' tests in the same process skip them (a PDF takes long to render). Only time depends
# on it: a file is never read for English here (file names are tested in the apps' tests).
DOWNLOADS: set[str] = set()
# A URL that names its file's type answers with that file.
FILE_SUFFIXES = (".pdf", ".xlsx", ".zip", ".csv", ".json")


def chinese_names(cast) -> None:
    """The cast's people have Chinese names, as the portal's users do (their log-in names stay Latin)."""
    for number, user in enumerate(cast.users().values(), start=1):
        user.display_name = f"测试用户{number}"
        user.save(update_fields=["display_name"])


def name_the_newcomers() -> None:
    """Users a row's objects brought along (a claimant, a colleague) get Chinese names too."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    from kedaitong.models import User

    User.objects.exclude(display_name__startswith="测试").update(
        display_name=Concat(Value("测试人员"), Cast("pk", CharField()))
    )


def cookie_value(client: Client, name: str) -> str | None:
    morsel = client.cookies.get(name)
    return morsel.value if morsel is not None else None


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_may_read_is_in_chinese(role, cast):
    chinese_names(cast)
    users = cast.users()
    found: dict[str, list[str]] = {}
    pages = 0
    # One logged-in client per program a row works in, made outside the rows' rolled-back savepoints so that
    # its session outlives them (a fresh one for anonymous visitors, whose pages may start a session);
    # a page that gave the client another session (none should) leaves the next row a new client.
    clients: dict[str, Client] = {}
    for row in GET_ROWS:
        if row.expected[role] != 200 or row.name in DOWNLOADS:
            continue
        if row.program not in clients:
            works_in = cast.quzhou if row.program == "quzhou" else cast.changjiang
            clients[row.program] = client_for(role, users, works_in)
        client = clients[row.program]
        session = cookie_value(client, settings.SESSION_COOKIE_NAME)
        with transaction.atomic():
            row_program(row, cast)
            url = row.url(cast)
            if url.endswith(FILE_SUFFIXES):
                DOWNLOADS.add(row.name)
                transaction.set_rollback(True)
                continue
            name_the_newcomers()
            response = client.get(url)
            transaction.set_rollback(True)
        if role == "anonymous" or cookie_value(client, settings.SESSION_COOKIE_NAME) != session:
            del clients[row.program]
        if not is_page(response):
            DOWNLOADS.add(row.name)
            continue
        pages += 1
        words = english_words(response.content.decode())
        if words:
            found[f"{row.name} {url}"] = words
    assert pages >= 2, (
        role,
        pages,
    )  # at least the home page and one more (anonymous: the login page)
    assert not found, f"English shown to {role} (zh-hans): " + "; ".join(
        f"\n{page}: {', '.join(words)}" for page, words in found.items()
    )


# --- the admin site ----------------------------------------------------------------------------


# Django's admin shows a boolean as an icon whose alt text is a fixed "True"/"False" (not translatable).
ADMIN_ALLOWED = frozenset(
    {
        "True",  # Django's admin shows a boolean as an icon whose alt text is a fixed "True"/"False"
        "False",
        "chinesecalendar",  # the package the official calendar was compiled with, named as the source
        "unknown",  # django-axes records a missing user agent or path as "<unknown>"
    }
)


def admin_codes() -> set[str]:
    """The codes and log-in names the administrator edits: identifiers, Latin by design."""
    from applications.models import Program
    from kedaitong.models import User
    from loans.models import Bank

    codes = [
        *User.objects.values_list("username", flat=True),
        *Program.objects.values_list("code", flat=True),
        *Bank.objects.values_list("code", flat=True),
    ]
    from applications.models import ProductType, RegistrationPlace, TechField

    for model in (ProductType, TechField, RegistrationPlace):
        codes += model.objects.values_list("code", flat=True)
    return {word for code in codes for word in WORD.findall(code)}


@pytest.mark.django_db
@pytest.mark.full_login  # django-axes' access log (a changelist here) records the login
def test_the_admin_site_is_in_chinese(cast):
    chinese_names(cast)
    client = Client()
    client.force_login(cast.admin)
    urls = [reverse("admin:index")] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]
    found: dict[str, list[str]] = {}
    for url in urls:
        response = client.get(url)
        assert is_page(response), url
        words = [
            word
            for word in english_words(response.content.decode())
            if not set(WORD.findall(word.split()[0])) <= ADMIN_ALLOWED | admin_codes()
        ]
        if words:
            found[url] = words
    assert not found, "English on the admin site (zh-hans): " + "; ".join(
        f"\n{page}: {', '.join(words)}" for page, words in found.items()
    )


def test_every_admin_column_model_and_app_is_named_in_chinese():
    """The columns of each changelist (shown even where the cast leaves it empty), the models and the apps.

    (The fields of the change forms are not checked yet: many fields have no verbose_name.)
    """
    from django.contrib.admin.utils import label_for_field
    from django.utils import translation

    found: dict[str, list[str]] = {}
    with translation.override("zh-hans"):
        for model, model_admin in admin.site._registry.items():
            names = [name for name in model_admin.list_display if name != "__str__"]
            labels = [str(label_for_field(name, model, model_admin)) for name in names]
            labels += [str(model._meta.verbose_name), str(model._meta.verbose_name_plural)]
            labels.append(str(model._meta.app_config.verbose_name))
            words = sorted(
                {word for label in labels for word in WORD.findall(ADDRESS.sub(" ", label))}
                - ALLOWED
            )
            if words:
                found[model._meta.label] = words
    assert not found, "English names on the admin site (zh-hans): " + "; ".join(
        f"\n{model}: {' '.join(words)}" for model, words in found.items()
    )
