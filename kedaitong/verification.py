"""Verifiable documents: every PDF the portal issues carries an issue number, a SHA-256 and a QR code to check it by.

`kedaitong.pdf.render_pdf` calls `issue()` for every document, so none escapes:

1. The template is filled from the records. That filled document (the HTML with every
   value taken from the records, before layout) is the record snapshot; its SHA-256 is
   printed on every page.
2. Under a row lock on the document's current issue (same kind, same record): the same
   snapshot keeps its number, however often it is printed; another snapshot is a new
   issue and the one before it is superseded. A first print makes the first issue.
3. A running footer goes on every page: the QR code (segno, drawn as SVG inside the PDF)
   of `/verify/<code>/`, the issue number, when and by whom it was issued, the SHA-256.
4. `/verify/<code>/` (no login) shows what the document is, when and by which body it was
   issued, and whether it is current or superseded (and when) — nothing more.
"""

from __future__ import annotations

import functools
import hashlib
import io
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import segno
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from kedaitong.models import IssuedDocument

if TYPE_CHECKING:
    from kedaitong.models import User

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: typed from paper without doubt
CODE_LENGTH = 16  # about 79 bits: a code cannot be guessed, so a verification page is no index


@dataclass(frozen=True)
class Issue:
    """What a document is, for its issue number and verification page.

    `kind`: a stable key of the document type (e.g. "changjiang_annex4"); `subject`: the record
    it was made from (a model instance, or a key for a statement made of several, such as a
    bank's reconciliation); `issuer`: the body on whose behalf the portal issues it.
    """

    kind: str
    title: str
    issuer: str
    subject: models.Model | str
    actor: User | None = None

    @property
    def subject_key(self) -> str:
        if isinstance(self.subject, models.Model):
            meta = self.subject._meta
            return f"{meta.app_label}.{meta.model_name}:{self.subject.pk}"
        return str(self.subject)[:120]


def snapshot_sha256(snapshot: str) -> str:
    return hashlib.sha256(snapshot.encode("utf-8")).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def issue(spec: Issue, snapshot: str) -> IssuedDocument:
    """The issue of this document with this snapshot: the current one if the content is unchanged, else a new one."""
    digest = snapshot_sha256(snapshot)
    key = spec.subject_key
    for _attempt in range(3):
        try:
            with transaction.atomic():
                current = (
                    IssuedDocument.objects.select_for_update(no_key=True)
                    .filter(kind=spec.kind, subject=key, superseded_at__isnull=True)
                    .first()
                )
                if current is not None and current.sha256 == digest:
                    return current
                now = timezone.now()
                if current is not None:
                    current.superseded_at = now
                    current.save(update_fields=["superseded_at"])
                made = IssuedDocument.objects.create(
                    code=_new_code(),
                    number=f"pending-{_new_code()}",
                    kind=spec.kind,
                    title=spec.title,
                    issuer=spec.issuer,
                    subject=key,
                    sha256=digest,
                    snapshot=snapshot,
                    issued_at=now,
                    issued_by=spec.actor if spec.actor is not None and spec.actor.pk else None,
                )
                # The number counts every issue of the portal: KDT-<year of issue>-<sequence>.
                made.number = f"KDT-{timezone.localtime(now):%Y}-{made.pk:07d}"
                made.save(update_fields=["number"])
                if current is not None:
                    current.superseded_by = made
                    current.save(update_fields=["superseded_by"])
                return made
        except IntegrityError:
            # Another request issued the first copy of this document at the same moment: use theirs.
            continue
    raise RuntimeError(f"could not issue {spec.kind} {key}")  # pragma: no cover


def verify_url(document: IssuedDocument) -> str:
    return settings.PUBLIC_URL + reverse("verify-document", args=[document.code])


@functools.lru_cache(maxsize=256)
def qr_svg(url: str) -> str:
    """The QR code of `url` as an inline SVG (error correction M: a smudge or a fold still reads).

    Kept per URL (one per issued document): segno tries all eight masks in Python, about 100 ms a
    code, and a document printed again has the same URL."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", xmldecl=False, svgns=True, nl=False, border=2, omitsize=True)
    return out.getvalue().decode()


FOOTER_STYLE = (
    "<style>"
    "@page { @bottom-left { content: element(kdtverify); vertical-align: middle; width: 100%; } }"
    ".kdt-verify { position: running(kdtverify); display: flex; align-items: center; gap: 3mm;"
    " font-family: 'Noto Serif CJK SC', 'Noto Sans CJK SC'; font-size: 6.5pt; line-height: 1.35;"
    " color: #222; font-weight: normal; text-indent: 0; }"
    ".kdt-verify svg { width: 13mm; height: 13mm; flex: none; }"
    "</style>"
)


def with_footer(html: str, document: IssuedDocument) -> str:
    """The document's HTML with the verification footer repeated on every page."""
    url = verify_url(document)
    issued = timezone.localtime(document.issued_at)
    footer = format_html(
        '<div class="kdt-verify">{}<div>文件编号 {} · {}出具 · {}<br>'
        "记录快照SHA-256：{}<br>扫码或访问 {} 核验本文件是否为现行有效版本</div></div>",
        mark_safe(qr_svg(url)),  # segno's own SVG: paths only, nothing from the records
        document.number,
        f"{issued:%Y-%m-%d %H:%M}",
        document.issuer,
        document.sha256,
        url,
    )
    head, _, rest = html.partition("</head>")
    if not rest:  # a template without a head: put the style first
        return FOOTER_STYLE + _insert_footer(html, footer)
    return head + FOOTER_STYLE + "</head>" + _insert_footer(rest, footer)


def _insert_footer(html: str, footer: str) -> str:
    marker = html.find("<body")
    if marker < 0:
        return footer + html
    end = html.index(">", marker) + 1
    return html[:end] + footer + html[end:]
