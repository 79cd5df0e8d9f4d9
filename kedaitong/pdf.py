"""One renderer for every official form: HTML template → A4 PDF with CJK fonts embedded.

Every PDF passes here and is issued (kedaitong/verification.py): it carries its issue
number, the SHA-256 of the filled document it was made from, and a QR code of its
public verification page.

WeasyPrint may fetch nothing but the project's own static files: its default
fetcher follows file:// and http:// URLs, and a `<link rel="attachment">` in
user text would embed a local file into the PDF.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string

from kedaitong import verification
from kedaitong.verification import Issue

__all__ = ["Issue", "render_pdf", "sha256"]


class FetchRefused(ValueError):
    pass


# WeasyPrint is imported when a PDF is first made, not with this module: its import (the font and text
# libraries through cffi) takes about half a second and ~20 MB in every process that loads the apps, most of
# which never print (the test workers, each manage.py command, each web worker until someone prints).
def __getattr__(name: str) -> Any:
    if name == "StaticOnlyFetcher":
        return _static_only_fetcher()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _static_only_fetcher() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
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

    return StaticOnlyFetcher


def _write_pdf(html: str, base_url: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(
        string=html, base_url=base_url, url_fetcher=_static_only_fetcher()()
    ).write_pdf()
    return pdf


def render_pdf(template_name: str, context: dict[str, Any], *, issue: Issue) -> bytes:
    """Render a template under templates/pdf/ to PDF bytes, issued as `issue` says (number, SHA-256, QR code).

    User text is autoescaped by the template.
    """
    html = render_to_string(template_name, context)
    document = verification.issue(issue, html)
    base_url = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    final = verification.with_footer(html, document)
    return _rendered.get_or_make(
        f"{base_url}\n{final}",
        lambda: _write_pdf(final, base_url),
    )


class RenderedPDFs:
    """The PDFs this process rendered last, by the SHA-256 of their final HTML, up to `limit` bytes in all.

    The same HTML (the filled form with its issue number, hash and QR code) always gives the same PDF, and a
    document printed again is issued again with the same number (kedaitong/verification.py), so asking for
    it again costs no WeasyPrint run (0.2–0.6 s each): several officials open the same letter, a clerk
    prints it twice. Least recently used first out; `PDF_CACHE_BYTES` = 0 turns it off.
    """

    def __init__(self) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get_or_make(self, source: str, make: Any) -> bytes:
        limit = settings.PDF_CACHE_BYTES
        key = hashlib.sha256(source.encode()).hexdigest()
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        data: bytes = make()
        if 0 < len(data) <= limit:
            with self._lock:
                if key not in self._items:
                    self._items[key] = data
                    self._size += len(data)
                while self._size > limit:
                    _, dropped = self._items.popitem(last=False)
                    self._size -= len(dropped)
        return data

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


_rendered = RenderedPDFs()


def render_uploaded_sample_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """A PDF that stands for a file someone else gave the portal (the demo's fictional licence and letter,
    uploaded as an enterprise's evidence): not issued by the portal, so it carries no issue number or QR code."""
    html = render_to_string(template_name, context)
    base_url = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    return _rendered.get_or_make(
        f"{base_url}\n{html}",
        lambda: _write_pdf(html, base_url),
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
