"""Uploaded evidence: PDF, JPEG or PNG judged by content, size-limited, stored under random names.

Files live under MEDIA_ROOT, never under static, and are served only through
views that first look the owning record up within the user's scope
(`serve_upload`). The name the user gave is kept for display only, with the
extension of what the file really is.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
]
EXTENSIONS = {ext: mime for _, mime, ext in SIGNATURES}
SUFFIX_OF_ANY = {
    ".pdf",
    ".jpg",
    ".jpeg",
    ".jpe",
    ".png",
    ".gif",
    ".bmp",
    ".tif",
    ".tiff",
    ".webp",
    ".doc",
    ".docx",
    ".bin",
}
# The suffixes a user's file name may carry for each content type without being renamed.
SUFFIXES = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "image/png": (".png",),
}


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the first bytes, or None."""
    for signature, mime, ext in SIGNATURES:
        if head.startswith(signature):
            return mime, ext
    return None


def check_upload(upload: UploadedFile, *, max_mb: int | None = None) -> str:
    """Return the content type of an acceptable upload, or raise ValidationError saying why not."""
    limit = (max_mb or settings.UPLOAD_MAX_MB) * 1024 * 1024
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size).1f MB; at most %(limit)d MB is accepted."),
            code="too_large",
            params={"size": upload.size / 1024 / 1024, "limit": limit // 1024 // 1024},
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff(head)
    if found is None:
        raise ValidationError(
            _(
                "Only PDF, JPEG or PNG files are accepted; this file's content is none of them, whatever its name."
            ),
            code="bad_type",
        )
    mime, ext = found
    if mime != "application/pdf":
        _verify_image(upload)
    # The name follows the content: a PNG sent as x.pdf becomes x.png, so that the stored file
    # (upload_to takes the name's extension) and the name shown and downloaded say what it is.
    upload.name = named_for(upload.name or "file", mime, ext)
    return mime


def named_for(filename: str, mime: str, ext: str) -> str:
    """`filename` with the extension of its sniffed content type (kept when it already is one of that type's)."""
    path = PurePath(filename)
    if path.suffix.lower() in SUFFIXES.get(mime, ()):
        return filename
    stem = path.stem if path.suffix.lower() in SUFFIX_OF_ANY else path.name
    return f"{stem or 'file'}{ext}"


def _verify_image(upload: UploadedFile) -> None:
    from PIL import Image

    try:
        with Image.open(upload) as image:
            image.verify()
    except Exception:
        raise ValidationError(
            _("The image is damaged or not really an image."), code="bad_image"
        ) from None
    finally:
        upload.seek(0)


# Direction controls let "invoice\u202excod.exe" show as "invoiceexe.docx"; a file name needs none.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def display_name(filename: str) -> str:
    """The user's file name without folders, control or direction-control characters, for display and downloads."""
    cleaned = "".join(
        ch for ch in filename if ch >= " " and ch != "\x7f" and ch not in BIDI_CONTROLS
    )
    return PurePath(cleaned.replace("\\", "/")).name[:200] or "file"


class EvidenceFileField(forms.FileField):
    """A form field that accepts PDF, JPEG or PNG by content, within the size limit."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            check_upload(value)
        return value


def serve_upload(fieldfile: FieldFile, *, filename: str) -> FileResponse:
    """Send a stored file as a download. Call only after the access check on its record.

    The Content-Type comes from the stored bytes, not from any name (files stored before names followed
    the content may carry the user's wrong extension); the download's name gets the matching extension.
    """
    handle = fieldfile.open("rb")
    head = handle.read(16)
    handle.seek(0)
    found = sniff(head)
    name = display_name(filename)
    if found is None:
        content_type = "application/octet-stream"
    else:
        content_type = found[0]
        name = named_for(name, *found)
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
