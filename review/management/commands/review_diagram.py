"""Write docs/review-states.md (the state diagram) from the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from review.diagram import markdown


class Command(BaseCommand):
    help = (
        "Write docs/review-states.md, the application state diagram, from applications/workflow.py."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(settings.BASE_DIR) / "docs" / "review-states.md"
        target.write_text(markdown(), encoding="utf-8")
        self.stdout.write(str(target))
