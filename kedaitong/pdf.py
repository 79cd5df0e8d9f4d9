"""One renderer for every official form: HTML template → A4 PDF with CJK fonts embedded.

Every PDF passes here and is issued (kedaitong/verification.py): it carries its issue
number, the SHA-256 of the filled document it was made from, and a QR code of its
public verification page.

WeasyPrint may fetch nothing but the project's own static files: its default
fetcher follows file:// and http:// URLs, and a `<link rel="attachment">` in
user text would embed a local file into the PDF.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from kedaitong import verification
from kedaitong.verification import Issue

__all__ = ["Issue", "render_pdf", "sha256"]


class FetchRefused(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """Deny by default: only files inside the project's static folders are served."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=["file"], allow_redirects=False)
        self.roots = [Path(p).resolve() for p in settings.STATICFILES_DIRS]

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parsed = urlparse(url)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused to fetch {url!r}")
        path = Path(unquote(parsed.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            raise FetchRefused(f"refused to fetch {url!r}")
        return URLFetcherResponse(url, path.read_bytes(), {})


def render_pdf(template_name: str, context: dict[str, Any], *, issue: Issue) -> bytes:
    """Render a template under templates/pdf/ to PDF bytes, issued as `issue` says (number, SHA-256, QR code).

    User text is autoescaped by the template.
    """
    html = render_to_string(template_name, context)
    document = verification.issue(issue, html)
    return _write_pdf(verification.with_footer(html, document))


# A reprint of the same document (a statement printed again, the same form opened by several people) is the
# same HTML, footer included (its number, time and QR code are the issued document's), as is the demo's sample
# evidence on every load; WeasyPrint's bytes depend only on the HTML and the static files (it writes no date
# and no random identifier of its own). Laying out CJK text takes about a second, hashing the HTML well under a
# millisecond: the last few PDFs are kept by the SHA-256 of their HTML. Issuing (above) still runs every time.
_KEPT_PDFS: OrderedDict[str, bytes] = OrderedDict()
_KEPT_PDFS_MAX = 16
_KEPT_PDFS_LOCK = threading.Lock()


def _write_pdf(html: str) -> bytes:
    base_url = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    key = sha256(f"{base_url}\0{html}".encode())
    with _KEPT_PDFS_LOCK:
        kept = _KEPT_PDFS.get(key)
        if kept is not None:
            _KEPT_PDFS.move_to_end(key)
            return kept
    data: bytes = HTML(string=html, base_url=base_url, url_fetcher=StaticOnlyFetcher()).write_pdf()
    with _KEPT_PDFS_LOCK:
        _KEPT_PDFS[key] = data
        while len(_KEPT_PDFS) > _KEPT_PDFS_MAX:
            _KEPT_PDFS.popitem(last=False)
    return data


def render_uploaded_sample_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """A PDF that stands for a file someone else gave the portal (the demo's fictional licence and letter,
    uploaded as an enterprise's evidence): not issued by the portal, so it carries no issue number or QR code."""
    return _write_pdf(render_to_string(template_name, context))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
