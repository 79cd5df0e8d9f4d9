"""Demo records of the subsidy side: LPR publications after the confirmed table, assumed unchanged; a subsidy
run part-way through 四(一); a bank filing part-way through its four sign-offs (一(三)).

The migrated LPR table holds only confirmed publications; later ones are for an admin
to import. So that a demo bank can register today's loan, the demo adds each monthly
publication up to today with the last confirmed figures, labelled as unverified demo
data. Idempotent: a month that already has a publication is left as it is, a run or a
filing already there is left as it is.

The run of 2025 goes through the real services, each stage by its demo person, on the
day the demo is loaded: computed by qz-jingban, audited by qz-kuaiji with the PBoC
branch's confirmation, reviewed by qz-jingban, approved by qz-fuzeren's party-group
meeting, publicized from that day, with one objection from the public waiting for a
ruling. Bank qz-demo-c has filed; the PBoC branch and the bureau have signed, the
financial work office and the finance bureau not yet.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from kedaitong.workdays import is_workday
from subsidy.models import LPRRate

if TYPE_CHECKING:
    from kedaitong.demo import DemoResult

DEMO_SOURCE = "演示数据：假定与上期报价相同，未经核实，正式使用前请导入官方报价"


def publication_day(year: int, month: int) -> dt.date:
    """The 20th, moved to the next working day (the LPR publication rule)."""
    day = dt.date(year, month, 20)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def assume_unchanged_through(day: dt.date, *, source: str) -> int:
    """Add each monthly publication after the table's last one up to `day`, with its figures; how many were added."""
    last = LPRRate.objects.order_by("-effective_date").first()
    if last is None:
        return 0
    added = 0
    year, month = last.effective_date.year, last.effective_date.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        published = publication_day(year, month)
        if published > day:
            return added
        LPRRate.objects.create(
            effective_date=published,
            one_year=last.one_year,
            five_year=last.five_year,
            source=source,
        )
        added += 1


def extend(result: DemoResult) -> None:
    added = assume_unchanged_through(timezone.localdate(), source=DEMO_SOURCE)
    if added:
        result.created["LPR publications (demo, assumed unchanged)"] += added
    result.created["subsidy runs part-way"] += _run_part_way()
    result.created["bank filings part-way"] += _filing_part_way()


def _pdf(name: str):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


DEMO_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _run_part_way() -> int:
    from applications.models import Program
    from kedaitong.models import User
    from subsidy import services
    from subsidy.models import SubsidyRun

    program = Program.objects.filter(code="quzhou").first()
    people = {u.username: u for u in User.objects.filter(username__startswith="qz-")}
    staff, head, firm = (people.get(n) for n in ("qz-jingban", "qz-fuzeren", "qz-kuaiji"))
    today = timezone.localdate()
    if program is None or None in (staff, head, firm) or today.year <= 2025:
        return 0
    if SubsidyRun.objects.filter(program=program, year=2025).exists():
        return 0
    try:
        run = services.run_commit(actor=staff, program=program, year=2025, budget="2000000")
    except services.SubsidyInputError:
        return 0  # no 2025 interest in this database
    run = services.run_audit(
        actor=firm,
        run=run,
        opinion_file=_pdf("2025年度贴息审核报告.pdf"),
        opinion="经审核，贴息计算符合方案四(一)的规定（演示数据）",
        pboc_confirmer="货币信贷管理科（演示）",
        pboc_confirmed_on=today,
        pboc_file=_pdf("市人行确认函.pdf"),
        pboc_opinion="同意",
    )
    run = services.run_review(actor=staff, run=run, opinion="材料齐全，计算规范（演示数据）")
    run = services.run_approve(
        actor=head,
        run=run,
        meeting_date=today,
        minutes=_pdf("局党组会纪要.pdf"),
        note="审定通过，同意公示（演示数据）",
    )
    run = services.run_publicize(actor=staff, run=run, start=today)
    services.objection_submit(
        run=run,
        name="演示异议人",
        contact="0570-0000000",
        reason="我司2025年的科技金融合作贷款未列入贴息名单，请核实（演示数据）",
    )
    return 1


def _filing_part_way() -> int:
    from kedaitong.models import User
    from subsidy import filings
    from subsidy.models import BankFiling, ReviewBody

    clerk = User.objects.filter(username="qz-bank-c").first()
    staff = User.objects.filter(username="qz-jingban").first()
    if clerk is None or staff is None or staff.program is None:
        return 0
    if BankFiling.objects.filter(bank=clerk.bank_id).exists():
        return 0
    filing = filings.filing_submit(
        actor=clerk,
        program=staff.program,
        materials=_pdf("科技金融合作贷款备案申报材料.pdf"),
        statement="申请成为科技金融合作贷款经办银行（演示数据）",
    )
    today = timezone.localdate()
    for body, signer in (
        (ReviewBody.PBOC, "市人行货币信贷管理科（演示）"),
        (ReviewBody.BUREAU, "市科技局（演示）"),
    ):
        filings.filing_record_opinion(
            actor=staff,
            filing=filing,
            body=body,
            approved=True,
            signer=signer,
            signed_on=today,
            opinion="同意备案（演示数据）",
            file=_pdf("联合审定表.pdf"),
        )
    return 1
