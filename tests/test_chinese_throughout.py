"""Issue 18 item 7: a zh-Hans user reads Chinese on every page of the portal and of the admin site.

Every page of the access matrix, as every role that may read it, is checked by its walk in the districts added
as data (tests/test_access_matrix.py: `check_pages`), with the reader of tests/pages.py; here, the reader
itself, and the admin site (its index and every changelist) as the administrator.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.access import kept_cast_fixtures
from tests.pages import ADDRESS, ALLOWED, WORD, chinese_names, english_words, is_page


def test_the_reader_sees_through_what_is_legitimately_latin():
    """The extraction itself: what is dropped, what is kept."""
    html = """<html><head><title>Ledger 台账</title><style>.x{color:red}</style></head><body>
      <script>var ignored = 1;</script>
      <p class="hidden-class" data-x="attribute">申请 <code>CJ-2026-0007</code> <kbd>Enter</kbd></p>
      <span data-verbatim>bank-x</span> 附件 report-final.docx，哈希 3fa9c0de，编号 KDT-2026-000001，联系 someone@example.com，见 https://example.org/page
      <input type="text" name="amount" placeholder="Amount"><img src="a.png" alt="Logo">
      <button type="submit" value="save">保存</button><input type="submit" value="Submit"/>
      <a href="/x/" aria-label="Back">返回</a> 单位 PDF/Excel、LPR，接口 /api/v1/docs and/or
    </body></html>"""
    assert [found.split()[0] for found in english_words(html)] == [
        "Amount",
        "Back",
        "Ledger",
        "Logo",
        "Submit",
        "and",
    ]


kept, cast = kept_cast_fixtures()


# --- the admin site ----------------------------------------------------------------------------


# Django's admin shows a boolean as an icon whose alt text is a fixed "True"/"False" (not translatable).
ADMIN_ALLOWED = frozenset(
    {
        "True",  # Django's admin shows a boolean as an icon whose alt text is a fixed "True"/"False"
        "False",
        "chinesecalendar",  # the package the official calendar was compiled with, named as the source
        "unknown",  # django-axes records a missing user agent or path as "<unknown>"
    }
)


def admin_codes() -> set[str]:
    """The codes and log-in names the administrator edits: identifiers, Latin by design."""
    from applications.models import Program
    from kedaitong.models import User
    from loans.models import Bank

    codes = [
        *User.objects.values_list("username", flat=True),
        *Program.objects.values_list("code", flat=True),
        *Bank.objects.values_list("code", flat=True),
    ]
    from applications.models import ProductType, RegistrationPlace, TechField

    for model in (ProductType, TechField, RegistrationPlace):
        codes += model.objects.values_list("code", flat=True)
    return {word for code in codes for word in WORD.findall(code)}


@pytest.mark.django_db
@pytest.mark.full_login  # django-axes' access log (a changelist here) records the login
def test_the_admin_site_is_in_chinese(cast):
    chinese_names(cast)
    client = Client()
    client.force_login(cast.admin)
    urls = [reverse("admin:index")] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]
    found: dict[str, list[str]] = {}
    for url in urls:
        response = client.get(url)
        assert is_page(response), url
        words = [
            word
            for word in english_words(response.content.decode())
            if not set(WORD.findall(word.split()[0])) <= ADMIN_ALLOWED | admin_codes()
        ]
        if words:
            found[url] = words
    assert not found, "English on the admin site (zh-hans): " + "; ".join(
        f"\n{page}: {', '.join(words)}" for page, words in found.items()
    )


def test_every_admin_column_model_and_app_is_named_in_chinese():
    """The columns of each changelist (shown even where the cast leaves it empty), the models and the apps.

    (The fields of the change forms are not checked yet: many fields have no verbose_name.)
    """
    from django.contrib.admin.utils import label_for_field
    from django.utils import translation

    found: dict[str, list[str]] = {}
    with translation.override("zh-hans"):
        for model, model_admin in admin.site._registry.items():
            names = [name for name in model_admin.list_display if name != "__str__"]
            labels = [str(label_for_field(name, model, model_admin)) for name in names]
            labels += [str(model._meta.verbose_name), str(model._meta.verbose_name_plural)]
            labels.append(str(model._meta.app_config.verbose_name))
            words = sorted(
                {word for label in labels for word in WORD.findall(ADDRESS.sub(" ", label))}
                - ALLOWED
            )
            if words:
                found[model._meta.label] = words
    assert not found, "English names on the admin site (zh-hans): " + "; ".join(
        f"\n{model}: {' '.join(words)}" for model, words in found.items()
    )
