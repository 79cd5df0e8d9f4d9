"""The annex PDFs of an application (Changjiang 附件2–4, Quzhou 附件1), filled from the record it was submitted with.

Until submission the record is read live; at submission `build_snapshot`
freezes the enterprise's profile, qualifications, patents and annual figures
into the application, and every PDF afterwards reads that snapshot, so a later
profile change alters nothing already submitted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from applications.models import (
    Application,
    Enterprise,
    MaterialType,
    ProductType,
    QuzhouDetails,
    TechField,
)
from kedaitong.money import format_wan_text, format_yuan_text, rmb_capitals, yuan_to_wan
from kedaitong.pdf import Issue, render_pdf

if TYPE_CHECKING:
    from kedaitong.models import User

ENTERPRISE_FIELDS = [
    "name",
    "credit_code",
    "registered_region",
    "address",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "contact_mobile",
    "contact_email",
    "founded_on",
    "industry",
    "employees",
    "revenue",
    "total_assets",
    "registered_capital",
    "paid_in_capital",
    "main_business",
    "last_year_sales",
    "last_year_tax",
    "ip_invention",
    "ip_utility",
    "ip_design",
    "ip_software",
    "ip_ic_layout",
    "ip_plant_variety",
    "ip_other",
    "staff_college_tech",
    "staff_rnd",
    "staff_rnd_recruited",
    "high_tech_revenue",
    "rnd_expense",
    "kedaitong_entry_no",
    "kedaitong_entry_on",
]
MONEY_FIELDS = {
    "revenue",
    "total_assets",
    "registered_capital",
    "paid_in_capital",
    "last_year_sales",
    "last_year_tax",
    "high_tech_revenue",
    "rnd_expense",
}
DATE_FIELDS = {"founded_on", "kedaitong_entry_on"}


def _plain(value: Any) -> Any:
    if isinstance(value, (Decimal, dt.date)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def build_snapshot(application: Application) -> dict[str, Any]:
    """The enterprise's record as it stands now, in JSON-safe values."""
    enterprise: Enterprise = application.enterprise
    data = {name: _plain(getattr(enterprise, name)) for name in ENTERPRISE_FIELDS}
    data["registration_place"] = (
        enterprise.registration_place.name if enterprise.registration_place_id else ""
    )
    data["tech_field"] = enterprise.tech_field.code if enterprise.tech_field_id else ""
    data["industry_label"] = str(enterprise.get_industry_display()) if enterprise.industry else ""
    return {
        "taken_at": timezone.now().isoformat(),
        "enterprise": data,
        "qualifications": [
            {
                "kind": q.kind,
                "number": q.number,
                "name": q.name,
                "year": q.year,
                "level": q.level,
                "project_type": q.project_type,
                "valid_until": _plain(q.valid_until),
                "listing": q.listing,
            }
            for q in enterprise.qualifications.all()
        ],
        "patents": [{"number": p.number, "title": p.title} for p in enterprise.patents.all()],
        "annual_figures": [
            {"year": f.year, "revenue": _plain(f.revenue), "profit": _plain(f.profit)}
            # 近3年: the three years before this one, the years the submission checks (services.figure_years).
            for f in enterprise.annual_figures.filter(year__lt=timezone.localdate().year).order_by(
                "-year"
            )[:3]
        ],
    }


def record_for(application: Application) -> dict[str, Any]:
    """The frozen record once submitted (and not returned), otherwise the live one."""
    if application.snapshot and application.state not in (
        Application.State.DRAFT,
        Application.State.RETURNED,
    ):
        return application.snapshot
    return build_snapshot(application)


def _typed_enterprise(data: dict[str, Any]) -> SimpleNamespace:
    values = dict(data)
    for name in MONEY_FIELDS:
        values[name] = Decimal(values[name]) if values.get(name) not in (None, "") else None
    for name in DATE_FIELDS:
        values[name] = dt.date.fromisoformat(values[name]) if values.get(name) else None
    return SimpleNamespace(**values)


def _wan(value: Decimal | None) -> str:
    return "" if value is None else f"{yuan_to_wan(value):f}"


def one_line_size(
    text: str, *, width_mm: float, largest_pt: float, smallest_pt: float
) -> float | None:
    """The largest font size (pt, in half points, at most `largest_pt`) at which `text` fits on one line
    `width_mm` wide, or None when even `smallest_pt` is too large (the text then wraps rather than become
    unreadable). A CJK character is one em wide, any other about 0.55 em. Used so that a company's name on a
    form is not broken across lines.
    """
    ems = sum(1.0 if ord(ch) > 0x2E7F else 0.55 for ch in text) or 1.0
    fitting = int(width_mm / (ems * 25.4 / 72) * 2) / 2  # 1 pt = 25.4/72 mm
    return min(largest_pt, fitting) if fitting >= smallest_pt else None


def _pt(size: float | None) -> str:
    """A font size for a style attribute, with a full stop whatever the locale prints (10.5, not 10,5)."""
    return "" if size is None else f"{size:g}"


def base_context(application: Application) -> dict[str, Any]:
    record = record_for(application)
    e = _typed_enterprise(record["enterprise"])
    return {
        "application": application,
        "e": e,
        "record": record,
        "wan": {name: _wan(getattr(e, name)) for name in MONEY_FIELDS},
        "amount_wan": _wan(application.amount),
        "amount_capitals": rmb_capitals(application.amount),
        "today": timezone.localdate(),
    }


def annex_issue(application: Application, annex: str, actor: User | None) -> Issue:
    """The annex as an issued document of the program's bureau (kedaitong/verification.py)."""
    from kedaitong import programs

    program = application.program_version.program
    found = programs.spec(application).annex(annex)
    return Issue(
        kind=f"{program.kind}.{annex}",
        title=found.title if found is not None else annex,
        issuer=program.authority,
        subject=application,
        actor=actor,
    )


def changjiang_annex2(application: Application, actor: User | None = None) -> bytes:
    """附件2 “科贷通”申请资料清单, each line marked with what was uploaded."""
    uploaded: dict[int, list[str]] = {}
    for material in application.materials.select_related("material_type"):
        uploaded.setdefault(material.material_type_id, []).append(material.original_name)
    rows = [
        {"type": m, "files": uploaded.get(m.pk, [])}
        for m in MaterialType.objects.filter(program=application.program_version.program_id)
    ]
    return render_pdf(
        "pdf/changjiang_annex2.html",
        base_context(application) | {"rows": rows},
        issue=annex_issue(application, "annex2", actor),
    )


def changjiang_annex3(application: Application, actor: User | None = None) -> bytes:
    """附件3 “科贷通”贷款申请报告."""
    return render_pdf(
        "pdf/changjiang_annex3.html",
        base_context(application),
        issue=annex_issue(application, "annex3", actor),
    )


def changjiang_annex4(
    application: Application, boxes: Any = None, actor: User | None = None
) -> bytes:
    """附件4 昌江区“科贷通”贷款备案审核表, with the opinion `boxes` as the review has filled them (empty without)."""
    context = base_context(application)
    context |= {
        "boxes": boxes,
        "product_types": ProductType.objects.all(),
        # Amounts as money (issue 18 item 11): 300万元 and 3,000,000.00元, with the capitals.
        "amount_wan_text": format_wan_text(application.amount),
        "amount_yuan_text": format_yuan_text(application.amount),
        # The name cell is 52 mm of text wide (its column, less padding): the name on one line.
        "name_pt": _pt(
            one_line_size(context["e"].name or "", width_mm=52, largest_pt=10.5, smallest_pt=6)
        ),
    }
    return render_pdf(
        "pdf/changjiang_annex4.html", context, issue=annex_issue(application, "annex4", actor)
    )


def quzhou_annex1(application: Application, actor: User | None = None) -> bytes:
    """Quzhou 附件1 衢州市科技金融合作贷款申请表, both tables and the two introductions, with drawn check boxes."""
    details = (
        QuzhouDetails.objects.filter(application=application)
        .select_related("project_field")
        .first()
        or QuzhouDetails()
    )
    record = record_for(application)
    places = list(application.program_version.program.registration_places.all())
    figures = record["annual_figures"] + [{"year": "", "revenue": None, "profit": None}] * 3
    projects = [q for q in record["qualifications"] if q["kind"] == "project"]
    context = base_context(application) | {
        "d": details,
        "places": places,
        "fields": TechField.objects.all(),
        "figures": [
            {
                "year": f["year"],
                "revenue": _wan(Decimal(f["revenue"])) if f["revenue"] else "",
                "profit": _wan(Decimal(f["profit"])) if f["profit"] else "",
            }
            for f in figures[:3]
        ],
        "patents": record["patents"] or [{"number": "", "title": ""}],
        "projects": projects or [{"number": "", "project_type": "", "name": ""}],
        "team": list(application.team.all()) or [None],
        "provincial_tech_sme": any(
            q["kind"] == "provincial_tech_sme" for q in record["qualifications"]
        ),
        "tech_sources": QuzhouDetails.TechSource.choices,
        "ip_methods": QuzhouDetails.IPMethod.choices,
        "d_wan": {
            "total_investment": _wan(details.total_investment),
            "expected_sales": _wan(details.expected_sales),
            "expected_profit_tax": _wan(details.expected_profit_tax),
        },
    }
    return render_pdf(
        "pdf/quzhou_annex1.html", context, issue=annex_issue(application, "annex1", actor)
    )


def submission_pdf(application: Application, actor: User | None = None) -> bytes:
    """The PDF kept at submission: the annex the application's kind names (Changjiang 附件3, Quzhou 附件1)."""
    from kedaitong import programs

    spec = programs.spec(application)
    annex = spec.annex(spec.submission_annex)
    if annex is None:
        raise LookupError(f"kind {spec.kind} names no submission annex")
    return annex.build(application, actor)
