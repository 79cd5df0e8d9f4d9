"""Confirm before what cannot be undone (issue 18 item 4): one mechanism for every irreversible POST.

1. The first POST is validated as before. If it is valid and not yet confirmed, the view calls `ask()`,
   which answers 200 with `templates/_confirm.html`: what will happen in words (who, what, for whom,
   which article), every amount in figures and in Chinese capitals, the submitted values in hidden
   fields, any uploaded file kept in a per-user stash, and a confirm token.
2. The token is a signed digest (django.core.signing, its own salt, `CONFIRM_MAX_AGE` seconds) of the
   user, the URL, every submitted value and every file's SHA-256: a changed value, another user, another
   URL or an old page needs a new confirmation.
3. "确认…" posts everything back with the token; `confirmed()` is then true and the view runs its service.
   A token that does not match is refused: the page comes back with 400, a message and a fresh token.
4. "返回修改" posts the values back with `confirm_back`; `going_back()` is true and the view shows its form
   again with what was typed (a file must be chosen again: browsers never pre-fill file inputs).

No JavaScript: two submit buttons in one form, so the strict CSP is untouched.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from kedaitong.money import format_wan_text, format_yuan_text, rmb_capitals
from kedaitong.roles import Role

TOKEN = "confirm_token"
BACK = "confirm_back"
STASH = "confirm_stash"
RESERVED = frozenset({"csrfmiddlewaretoken", TOKEN, BACK, STASH})
SALT = "kedaitong.confirm"
_STASH_NAME = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Restatement:
    """What a confirmation page says: a title, sentences, facts, amounts, the article and the button."""

    title: str
    button: str
    lines: Sequence[str] = ()
    facts: Sequence[tuple[str, str]] = ()
    amounts: Sequence[tuple[str, Decimal]] = ()
    article: str = ""
    warning: str = field(default_factory=lambda: _("This cannot be undone from this page."))


def amount_lines(amounts: Sequence[tuple[str, Decimal]]) -> list[dict[str, str]]:
    """Each amount as shown: 3,000,000.00元 (300万元), 人民币 叁佰万元整."""
    return [
        {
            "label": label,
            "figures": format_yuan_text(value),
            "wan": format_wan_text(value),
            "capitals": rmb_capitals(value),
        }
        for label, value in amounts
    ]


def actor(user: Any) -> str:
    """Who acts, as the page says it: 王某（局负责人）."""
    role = getattr(user, "effective_role", "") or ""
    name = (user.get_full_name() if hasattr(user, "get_full_name") else "") or str(user)
    return f"{name}（{Role(role).label}）" if role else name


def going_back(request: HttpRequest) -> bool:
    """The user pressed 返回修改 on a confirmation page: show the form again with what was typed."""
    return request.method == "POST" and BACK in request.POST


def files(request: HttpRequest) -> MultiValueDict | None:
    """The POST's files, or those kept in the stash by the confirmation page; None on GET."""
    if request.method != "POST":
        return None
    stash = request.POST.get(STASH, "")
    if not stash:
        return request.FILES
    restored: MultiValueDict = MultiValueDict()
    folder = _stash_folder(request, stash)
    if folder is None or not (folder / "index.json").is_file():
        return request.FILES
    for entry in json.loads((folder / "index.json").read_text()):
        content = (folder / entry["file"]).read_bytes()
        restored.appendlist(
            entry["field"],
            SimpleUploadedFile(entry["name"], content, content_type=entry["content_type"]),
        )
    return restored


def confirmed(request: HttpRequest) -> bool:
    """True when the POST carries a token that binds exactly these values, this user and this URL."""
    token = request.POST.get(TOKEN, "") if request.method == "POST" else ""
    if not token or BACK in request.POST:
        return False
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.CONFIRM_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return False
    return bool(payload == _payload(request, request.POST.get(STASH, "")))


def ask(request: HttpRequest, what: Restatement) -> HttpResponse:
    """The confirmation page; 400 with a message when a token was posted that does not bind these values."""
    refused = bool(request.POST.get(TOKEN))
    stash = request.POST.get(STASH, "")
    if request.FILES:
        stash = _stash(request)
    hidden = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in RESERVED
        for value in values
    ]
    context = {
        "confirm": {
            "what": what,
            "amounts": amount_lines(what.amounts),
            "hidden": hidden,
            "token": signing.dumps(_payload(request, stash), salt=SALT),
            "stash": stash,
            "stashed": _stashed_names(request, stash),
            "refused": refused,
            "minutes": settings.CONFIRM_MAX_AGE // 60,
        }
    }
    return render(request, "_confirm.html", context, status=400 if refused else 200)


def _normalized(value: str) -> str:
    # A value that round-trips through a hidden field comes back with CRLF line breaks (HTML form encoding).
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _payload(request: HttpRequest, stash: str) -> dict[str, Any]:
    values = sorted(
        (name, [_normalized(v) for v in request.POST.getlist(name)])
        for name in request.POST
        if name not in RESERVED
    )
    posted = files(request) or MultiValueDict()
    digests = []
    for name in sorted(posted):
        for upload in posted.getlist(name):
            sha = hashlib.sha256()
            for chunk in upload.chunks():
                sha.update(chunk)
            upload.seek(0)
            digests.append((name, upload.name, sha.hexdigest()))
    digest = hashlib.sha256(
        json.dumps([values, digests, stash], ensure_ascii=False).encode()
    ).hexdigest()
    return {"u": request.user.pk, "p": request.path, "d": digest}


def _stash_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "confirm-stash"


def _stash_folder(request: HttpRequest, stash: str) -> Path | None:
    if not _STASH_NAME.match(stash):
        return None
    return _stash_root() / str(request.user.pk) / stash


def _stash(request: HttpRequest) -> str:
    """Keep the POST's files until the confirmation comes back; stashes older than the token's age go."""
    _sweep()
    stash = secrets.token_urlsafe(24)
    folder = _stash_folder(request, stash)
    assert folder is not None
    folder.mkdir(parents=True)
    index = []
    uploads = [(key, upload) for key in request.FILES for upload in request.FILES.getlist(key)]
    for number, (name, upload) in enumerate(uploads):
        stored = f"{number}.bin"
        with open(folder / stored, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        upload.seek(0)
        index.append(
            {
                "field": name,
                "name": upload.name,
                "content_type": upload.content_type or "application/octet-stream",
                "file": stored,
            }
        )
    (folder / "index.json").write_text(json.dumps(index, ensure_ascii=False))
    return stash


def _stashed_names(request: HttpRequest, stash: str) -> list[str]:
    folder = _stash_folder(request, stash) if stash else None
    if folder is None or not (folder / "index.json").is_file():
        return []
    return [entry["name"] for entry in json.loads((folder / "index.json").read_text())]


def _sweep() -> None:
    root = _stash_root()
    if not root.is_dir():
        return
    limit = time.time() - settings.CONFIRM_MAX_AGE
    for folder in root.glob("*/*"):
        try:
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
