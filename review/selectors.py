"""Reads of the review workflow that other apps use (the annex PDFs, loan registration)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from applications.models import Application


@dataclass(frozen=True)
class OpinionBox:
    """One opinion box of Changjiang 附件4: the text, 经办人, 负责人 and the date."""

    text: str = ""
    handler: str = ""
    head: str = ""
    date: dt.date | None = None


@dataclass(frozen=True)
class Annex4Boxes:
    enterprise: OpinionBox = field(default_factory=OpinionBox)
    bank: OpinionBox = field(default_factory=OpinionBox)
    bureau: OpinionBox = field(default_factory=OpinionBox)
    group: OpinionBox = field(default_factory=OpinionBox)


def annex4_boxes(application: Application) -> Annex4Boxes:
    """The four opinion boxes of 附件4 as the review has filled them so far (empty until it has)."""
    return Annex4Boxes()


def granted_credit(application: Application) -> Decimal | None:
    """The credit amount the bank approved, once publicity has granted it; None before."""
    return None
