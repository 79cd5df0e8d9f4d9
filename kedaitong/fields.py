"""Model field arguments every app shares: money and rates, and where uploaded files are stored."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.utils import timezone
from django.utils.deconstruct import deconstructible

from kedaitong.uploads import EXTENSIONS  # the extensions of the types check_upload accepts

# Yuan to the fen (CONVENTIONS: DecimalField(max_digits=16, decimal_places=2)).
MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2}
# Rates and shares in percent or as fractions, four places.
RATE: dict[str, Any] = {"max_digits": 7, "decimal_places": 4}


@deconstructible
class UploadTo:
    """`upload_to=UploadTo("materials")`: stores a file as `<prefix>/<year>/<random><ext>`.

    The extension follows the content: `check_upload` has already given the name the extension of the
    sniffed type, and only the three accepted extensions are ever kept. Migrations record the prefix
    (deconstructible), so no models module needs a function per folder.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, instance: Any, filename: str) -> str:
        ext = PurePath(filename).suffix.lower()
        if ext == ".jpeg":
            ext = ".jpg"
        if ext not in EXTENSIONS:
            ext = ""
        return f"{self.prefix}/{timezone.localdate():%Y}/{uuid.uuid4().hex}{ext}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UploadTo) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)
