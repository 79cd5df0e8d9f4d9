"""GB 32100-2015 unified social credit code (统一社会信用代码): 18 characters, the last a check character.

python-stdnum's `stdnum.cn.uscc` refuses valid codes whose first characters
are letters (registration authorities such as N for cooperatives, Y for
others), so the check is done here from the standard itself.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# First character: the registration authority (登记管理部门代码).
AUTHORITIES = "123456789ANY"


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (GB 32100-2015 §4.4 / GB/T 17710 MOD 31)."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str | None:
    """None when `code` is valid, otherwise the reason in Chinese."""
    code = code.strip().upper()
    if len(code) != 18:
        return f"统一社会信用代码应为18位，现为{len(code)}位"
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        return f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用I、O、S、V、Z）"
    if code[0] not in AUTHORITIES:
        return f"第1位登记管理部门代码“{code[0]}”无效"
    if not code[2:8].isdigit():
        return "第3至8位应为登记管理机关行政区划码（数字）"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"校验码错误：按GB 32100-2015第18位应为“{expected}”"
    return None


def is_valid(code: str) -> bool:
    return validate(code) is None
