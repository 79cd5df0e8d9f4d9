"""Every file of the hostile corpus is refused with a reason, quickly and in bounded memory.

The corpus (tests/data/hostile/, written by tests/data/make_hostile.py) holds
renamed executables, HTML and SVG with script, zip, entity and decompression
bombs, 16,384-column sheets, formula sheets and hostile file names.
"""

from __future__ import annotations

import ast
import time
import tracemalloc
from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kedaitong.uploads import EvidenceFileField, check_upload, display_name, upload_to

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
INDEX = [
    (HOSTILE / stored, ast.literal_eval(name))
    for stored, name in (line.split("\t", 1) for line in (HOSTILE / "INDEX.tsv").read_text(encoding="utf-8").splitlines())
]


class EvidenceForm(forms.Form):
    note = forms.CharField()
    evidence = EvidenceFileField()


def test_the_corpus_has_at_least_fifty_files():
    assert len(INDEX) >= 50
    assert all(path.exists() for path, _ in INDEX)


@pytest.mark.parametrize(("path", "name"), INDEX, ids=[p.name for p, _ in INDEX])
def test_each_hostile_file_is_refused_with_a_reason_in_time_and_memory(path, name):
    upload = SimpleUploadedFile(name.replace("\x00", ""), path.read_bytes())
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ValidationError) as excinfo:
        check_upload(upload)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert excinfo.value.code in {"bad_type", "bad_image", "empty", "too_large"}
    assert str(excinfo.value.messages[0])
    assert elapsed < 5
    assert peak < 200 * 1024 * 1024


def test_a_form_refuses_the_file_and_keeps_what_was_typed():
    path, name = next((p, n) for p, n in INDEX if n == "logo.svg")
    form = EvidenceForm(data={"note": "情况说明"}, files={"evidence": SimpleUploadedFile(name, path.read_bytes())})
    assert not form.is_valid()
    assert "evidence" in form.errors and form["note"].value() == "情况说明"


@pytest.mark.parametrize("name", [n for _, n in INDEX])
def test_hostile_names_never_reach_the_disk(name):
    stored = upload_to("evidence")(None, name)
    assert stored.startswith("evidence/") and ".." not in stored and "\n" not in stored and "<" not in stored
    shown = display_name(name)
    assert "/" not in shown and len(shown) <= 200 and all(ch >= " " for ch in shown)
