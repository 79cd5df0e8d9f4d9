"""kedaitong/downloads.py: a file's Chinese name with an ASCII fallback (issue 18 item 7)."""

import pytest

from kedaitong.downloads import disposition


def test_a_chinese_name_comes_with_an_ascii_fallback():
    assert disposition("放款模板.xlsx", "disbursements-template.xlsx") == (
        'attachment; filename="disbursements-template.xlsx"; '
        "filename*=UTF-8''%E6%94%BE%E6%AC%BE%E6%A8%A1%E6%9D%BF.xlsx"
    )
    assert disposition("a.pdf", "a.pdf", inline=True) == 'inline; filename="a.pdf"'


@pytest.mark.parametrize("fallback", ["放款.xlsx", 'a".xlsx', "a\r\nb.xlsx"])
def test_the_fallback_must_be_plain_ascii(fallback):
    with pytest.raises(ValueError):
        disposition("放款.xlsx", fallback)
