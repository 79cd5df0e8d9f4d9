"""Issue 3: annex PDF medians in a warm process, and the application page with 20 attachments.

Each measure repeats N times after one warm-up call; the table shows the median.

Issue 20: the anchor of the annexes is WeasyPrint rendering a blank A4 page through the same renderer, with
the same style sheet (page size, margins, the Noto CJK faces) and one character, so that the face is loaded,
laid out and embedded as in an annex: the fixed cost of any PDF made here. The application page's anchor is
a trivial Django view (login required, a few bytes of text) requested the same way.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable

from common import TRIVIAL_URL, Anchor, report, report_anchor, setup_django, use_bench_urls

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))


def median_ms(fn: Callable[[], object]) -> tuple[str, float]:
    """Median wall time and median CPU time of this process (the CPU figure shows less of other load on the
    machine), as text, and the median wall time in seconds."""
    fn()
    wall, cpu = [], []
    for _ in range(REPEAT):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    median = statistics.median(wall)
    return f"{median * 1000:.0f} ms (CPU {statistics.median(cpu) * 1000:.0f} ms)", median


def blank_a4() -> bytes:
    """WeasyPrint's blank A4 page with the annexes' style sheet and fonts (one character, so a face is embedded)."""
    from django.template import engines

    from kedaitong import pdf

    html = engines["django"].from_string(
        '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
        '{% include "applications/_pdf_style.html" %}</head><body><p>附</p></body></html>'
    )
    return pdf._write_pdf(
        html.render({}), pdf.Path(pdf.settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    )


def main() -> None:
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="kedaitong-bench-media-"))
    setup_django("annex")
    use_bench_urls()
    from django.conf import settings

    # Each repeat renders: the per-process cache of issued PDFs (kedaitong.pdf.RenderedPDFs) would hand back the
    # first run's bytes, and the medians would time a dictionary lookup instead of WeasyPrint.
    settings.PDF_CACHE_BYTES = 0
    import datetime as dt
    from decimal import Decimal

    from django.core.files.base import ContentFile
    from django.test import Client

    from applications import documents
    from applications.models import (
        Application,
        Enterprise,
        Material,
        MaterialType,
        ProgramVersion,
        QuzhouDetails,
        TeamMember,
    )
    from kedaitong.models import User
    from kedaitong.roles import Role
    from loans.models import Bank

    changjiang = ProgramVersion.objects.get(program__code="changjiang", code="2025")
    quzhou = ProgramVersion.objects.get(program__code="quzhou", code="2023")
    enterprise = Enterprise.objects.create(
        credit_code="91360202MA0BENCH00",
        name="基准测试科技有限公司",
        address="景德镇市昌江区基准路1号",
        legal_representative="测试",
        contact_phone="0798-0000000",
        founded_on=dt.date(2018, 1, 1),
        registered_capital=Decimal("10000000"),
        paid_in_capital=Decimal("8000000"),
        last_year_sales=Decimal("30000000"),
        last_year_tax=Decimal("1000000"),
    )
    bank = Bank.objects.create(code="bench-bank", name="基准测试银行")
    user = User.objects.create_user(
        username="bench-enterprise", password="x", role=Role.ENTERPRISE, enterprise=enterprise
    )
    application = Application.objects.create(
        reference="CJ-BENCH",
        program_version=changjiang,
        enterprise=enterprise,
        bank=bank,
        amount=Decimal("1234500.00"),
        term_months=12,
        purpose="研发投入",
        planned_disbursement_on=dt.date(2026, 12, 1),
        annual_rate=Decimal("3.45"),
    )
    types = list(MaterialType.objects.filter(program=changjiang.program))
    for n in range(20):
        material = Material(
            application=application,
            material_type=types[n % len(types)],
            original_name=f"m{n}.pdf",
            content_type="application/pdf",
            size=20,
        )
        material.file.save(f"m{n}.pdf", ContentFile(b"%PDF-1.4 bench"), save=False)
        material.save()
    qz = Application.objects.create(
        reference="QZ-BENCH",
        program_version=quzhou,
        enterprise=enterprise,
        bank=bank,
        amount=Decimal("3000000.00"),
        term_months=24,
        planned_disbursement_on=dt.date(2026, 12, 1),
    )
    QuzhouDetails.objects.create(
        application=qz,
        project_name="基准项目",
        company_intro="简介" * 200,
        project_intro="介绍" * 400,
    )
    for n in range(5):
        TeamMember.objects.create(application=qz, name=f"成员{n}", id_number="11010519491231002X")

    text, seconds = median_ms(blank_a4)
    blank = Anchor("WeasyPrint, blank A4 page, same fonts", seconds)
    report_anchor(blank, text.removeprefix(f"{seconds * 1000:.0f} ms"))
    for label, fn in [
        ("附件2 PDF (资料清单)", lambda: documents.changjiang_annex2(application)),
        ("附件3 PDF (申请报告)", lambda: documents.changjiang_annex3(application)),
        ("附件4 PDF (备案审核表)", lambda: documents.changjiang_annex4(application)),
        ("衢州附件1 PDF (申请表, 3 pages)", lambda: documents.quzhou_annex1(qz)),
    ]:
        text, seconds = median_ms(fn)
        report(
            f"Annex PDF median, warm process: {label}",
            text,
            "< 300 ms",
            seconds=seconds,
            anchor=blank,
        )
    client = Client()
    client.force_login(user)
    url = f"/applications/{application.public_id}/"
    assert client.get(url).status_code == 200
    assert client.get(TRIVIAL_URL).status_code == 200
    text, seconds = median_ms(lambda: client.get(TRIVIAL_URL))
    trivial = Anchor("trivial Django view", seconds)
    report_anchor(trivial, text.removeprefix(f"{seconds * 1000:.0f} ms"))
    text, seconds = median_ms(lambda: client.get(url))
    report(
        "Application page with 20 attachments, median",
        text,
        "< 100 ms",
        seconds=seconds,
        anchor=trivial,
    )


if __name__ == "__main__":
    main()
