"""Start-up checks: the system libraries that make PDFs correct and fast, and the secret key of a deployment.

Without Debian's libharfbuzz-subset0, WeasyPrint falls back to fontTools and a
one-page Chinese PDF takes about 19 s instead of 0.4 s; without a CJK font the
forms print as empty boxes.
"""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from kedaitong.env import SECRET_KEY_HINT, secret_key_problem

APT_LINE = "apt-get install -y fonts-noto-cjk libharfbuzz-subset0"


def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


def cjk_font_available() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(
        ["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True, check=False
    )
    return "Noto" in out.stdout or "CJK" in out.stdout


@register()
def pdf_libraries(app_configs: Any, **kwargs: Any) -> list[Warning]:
    problems = []
    if not harfbuzz_subset_available():
        problems.append(
            Warning(
                "libharfbuzz-subset is missing: PDFs will take seconds instead of milliseconds.",
                hint=APT_LINE,
                id="kedaitong.W001",
            )
        )
    if not cjk_font_available():
        problems.append(
            Warning(
                "No CJK font (Noto CJK) found: Chinese text in PDFs will not print.",
                hint=APT_LINE,
                id="kedaitong.W002",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def secret_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    """`check --deploy`: the committed development key (or a short, plain one) must never sign in production."""
    problem = secret_key_problem(settings.SECRET_KEY)
    if problem is None:
        return []
    return [Error(problem, hint=SECRET_KEY_HINT, id="kedaitong.E010")]
