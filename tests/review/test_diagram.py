"""The state diagram in docs/ is generated from the code and kept in step with it."""

from pathlib import Path

from review.diagram import markdown


def test_the_diagram_in_docs_is_up_to_date():
    path = Path(__file__).resolve().parents[2] / "docs" / "review-states.md"
    assert path.read_text(encoding="utf-8") == markdown(), "run `manage.py review_diagram`"
