"""What every portal page must show, checked on each page the access matrix opens (tests/test_access_matrix.py).

- Chinese (issue 18 item 7): a zh-Hans user reads Chinese. The VISIBLE text is extracted (`visible_text`):
  text nodes, the title, placeholder, aria-label and alt attributes, and the value of input buttons; not
  <script>, <style>, other attribute values, and not what is legitimately Latin: <code> and <kbd> elements and
  elements marked `data-verbatim` (reference numbers, credit codes, user names, file names users uploaded),
  e-mail addresses and URLs. Any run of three or more ASCII letters that is not in ALLOWED is English
  (`english_words`).
- A trail (issue 18 item 6): every page below home shows breadcrumbs that start at home and end at the page's
  own title (`trail_problems`), and every link in them opens for the user who sees it.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

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


def is_page(response) -> bool:  # type: ignore[no-untyped-def]
    """An HTML page the portal answered 200 (not a download, a redirect or a refusal)."""
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


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


# --- the trail --------------------------------------------------------------------------------------------

TRAIL = re.compile(r'<nav aria-label="[^"]*" class="breadcrumb"><ol>(.*?)</ol></nav>', re.S)
LINK = re.compile(r'<li><a href="([^"]+)">(.*?)</a></li>')
CURRENT = re.compile(r'<li aria-current="page">(.*?)</li>', re.S)
TITLE = re.compile(r"<title>(.*) · [^·<]*</title>", re.S)
# Not pages of the portal's layout: a health probe, the API's schema and its documentation viewer.
NOT_PAGES = {"healthz", "api-v1:openapi-json", "api-v1:openapi-view"}
# One role of each side has its trail's links opened (a trail may differ by side, not within one).
SIDES = (
    ("anonymous",),
    ("enterprise_a", "enterprise_b"),
    ("bureau_staff", "bureau_head", "leading_group", "auditor", "accountant"),
    ("bank_x", "bank_y"),
    ("admin",),
)


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def trail_links(name: str, page: str) -> list[str]:
    """The addresses the trail on page `name` (URL name) links to; it must start at home and end at the page's
    own title, and every link has a title; none on the home page. An AssertionError says what is wrong."""
    found = TRAIL.search(page)
    if name == "home":
        assert found is None, "the home page shows a trail"
        return []
    assert found, "no breadcrumb trail"
    links = LINK.findall(found.group(1))
    current = CURRENT.search(found.group(1))
    assert current, "the trail does not end at the page itself"
    title = TITLE.search(page)
    assert title and text(current.group(1)) == text(title.group(1)), (
        "the trail ends elsewhere than the title"
    )
    assert links and links[0][0] == "/", f"the trail does not start at home: {links}"
    assert text(links[0][1]) == "首页", "the trail's first link is not 首页"
    for href, title_html in links:
        assert text(title_html), f"a link of the trail has no title: {href}"
    return [html.unescape(href) for href, _title in links]
