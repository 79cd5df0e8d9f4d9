"""The `holds` lookup (kedaitong.db.Holds) matches exactly the rows `icontains` matches, on either database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Enterprise
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

NAMES = [
    "昌江瓷都科技有限公司",
    "景德镇ABC陶瓷科技有限公司",
    "景德镇abc新材料有限公司",
    "百分之百%科技有限公司",
    "下划_线智能有限公司",
    "下划X线智能有限公司",
    "衢州市2024号科技有限公司",
]
SEARCHES = ["科技", "瓷都", "ABC", "abc", "Abc", "%", "_", "划_线", "2024", "无此企业", "百%科"]


@pytest.mark.parametrize("text", SEARCHES)
def test_holds_matches_what_icontains_matches(text):
    for name in NAMES:
        EnterpriseFactory(name=name)
    expected = set(Enterprise.objects.filter(name__icontains=text).values_list("name", flat=True))
    got = set(Enterprise.objects.filter(name__holds=text).values_list("name", flat=True))
    assert got == expected, text
    # And the wildcards are themselves: "_" finds only the name with an underscore.
    if text == "_":
        assert got == {"下划_线智能有限公司"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the INSTR form is SQLite's")
def test_on_sqlite_a_text_without_ascii_letters_is_searched_with_instr():
    with CaptureQueriesContext(connection) as queries:
        list(Enterprise.objects.filter(name__holds="瓷都"))
        list(Enterprise.objects.filter(name__holds="ABC"))
    assert "INSTR(" in queries[0]["sql"] and "LIKE" not in queries[0]["sql"]
    assert "LIKE" in queries[1]["sql"]  # ASCII letters: LIKE folds their case, INSTR would not
