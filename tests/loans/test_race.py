"""Two banks registering loans of one enterprise at once cannot both pass the annualized cap (PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.db import connections

from applications.models import ProgramListing
from loans import services
from loans.importer.kinds import KINDS
from loans.models import BankAgreement, Loan
from loans.services import LoanRefused, loan_register
from tests.factories import BankFactory, EnterpriseFactory, version
from tests.loans.test_one_disbursement import granted  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_concurrent_registrations_respect_the_enterprise_cap():
    """Quzhou 一(五): each loan alone fits the 5,000,000 yuan cap, the two together do not.

    2025-01-02 to 2026-01-02: 364 of 365 days in 2025, so 2,991,780.82 yuan annualized each.
    """
    quzhou = version("quzhou")
    enterprise = EnterpriseFactory()
    ProgramListing.objects.create(
        program=quzhou.program,
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        listed_on=dt.date(2024, 1, 1),
    )
    banks = [BankFactory(), BankFactory()]
    for bank in banks:
        BankAgreement.objects.create(
            bank=bank,
            program=quzhou.program,
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2026, 12, 31),
        )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register(bank) -> None:
        try:
            barrier.wait()
            loan_register(
                actor=None,
                program_version=quzhou,
                enterprise=enterprise,
                bank=bank,
                contract_no=f"R-{bank.pk}",
                disbursement_date=dt.date(2025, 1, 2),
                maturity_date=dt.date(2026, 1, 2),
                principal=Decimal("3000000.00"),
                annual_rate=Decimal("3.0"),
            )
            outcomes.append("saved")
        except LoanRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    checked = services.registration_problems

    def slow_check(**kwargs):
        found = checked(**kwargs)
        time.sleep(
            0.5
        )  # both would have passed the cap before either saved, were they not serialized
        return found

    threads = [threading.Thread(target=register, args=(bank,)) for bank in banks]
    with mock.patch.object(services, "registration_problems", slow_check):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert Loan.objects.count() == 1


def race_loan():  # type: ignore[no-untyped-def]
    """Quzhou's version, bank "bank-r" and its loan RACE-1 (2025-01-06 to 2026-01-05 at 3%), which the files name."""
    from tests.factories import LoanFactory

    quzhou = version("quzhou")
    bank = BankFactory(code="bank-r")
    loan = LoanFactory(
        program_version=quzhou,
        bank=bank,
        contract_no="RACE-1",
        disbursement_date=dt.date(2025, 1, 6),
        maturity_date=dt.date(2026, 1, 5),
        annual_rate=Decimal("3.0"),
    )
    return quzhou, bank, loan


def test_the_same_interest_file_confirmed_twice_at_once_is_saved_once():
    """Two clerks of one bank upload the same file and confirm at the same moment: one creates, the other finds it unchanged."""
    from kedaitong.roles import Role
    from loans.models import InterestSettlement, RecordUpload
    from loans.services import upload_confirm, upload_receive
    from tests.factories import UserFactory
    from tests.loans.sheets import INTEREST, xlsx

    quzhou, bank, loan = race_loan()
    clerks = [UserFactory(role=Role.BANK, bank=bank) for _ in range(2)]
    data = xlsx(
        INTEREST,
        [
            [
                "RACE-1",
                "bank-r",
                dt.date(2025, 3, 21),
                dt.date(2025, 1, 6),
                dt.date(2025, 3, 20),
                6150,  # within 1,000,000 × 3% × 74 days ÷ 360 = 6,166.67
                "否",
            ],
            [
                "RACE-1",
                "bank-r",
                dt.date(2025, 6, 21),
                dt.date(2025, 3, 21),
                dt.date(2025, 6, 20),
                "7,412.50",
                "否",
            ],
        ],
    )
    uploads = [
        upload_receive(
            actor=c, kind="interest", program=quzhou.program, data=data, filename="interest.xlsx"
        )
        for c in clerks
    ]
    assert [u.state for u in uploads] == [RecordUpload.State.CHECKED] * 2
    assert [u.created_count for u in uploads] == [2, 2]
    barrier = threading.Barrier(2)
    created: list[int] = []
    spec = KINDS["interest"]

    def slow_validate(table, context):
        plan = spec.validate(table, context)
        time.sleep(
            0.5
        )  # both confirmations would have validated before either saves, were they not serialized
        return plan

    def confirm(clerk, upload) -> None:
        try:
            barrier.wait()
            created.append(upload_confirm(actor=clerk, upload=upload).created_count)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=confirm, args=pair) for pair in zip(clerks, uploads, strict=True)
    ]
    with mock.patch.dict(KINDS, {"interest": dataclasses.replace(spec, validate=slow_validate)}):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(created) == [0, 2]
    assert InterestSettlement.objects.filter(loan=loan).count() == 2
    states = set(
        RecordUpload.objects.filter(pk__in=[u.pk for u in uploads]).values_list("state", flat=True)
    )
    assert states == {RecordUpload.State.SAVED}


class Meeting:
    """Two writers at once, in a chosen order. The first, once it holds its lock (`hold`, called from a hook inside
    it), waits until the second's database session waits for a lock, or the second has ended (or 5 s); then it goes
    on. Each writer's result, or the exception it raised, is kept in `outcomes` under its name."""

    def __init__(self) -> None:
        self.holding = threading.Event()
        self.second_done = threading.Event()
        self.second_pid: list[int] = []
        self.outcomes: dict[str, object] = {}

    def hold(self) -> None:
        from django.db import connection

        self.holding.set()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not self.second_done.is_set():
            if self.second_pid:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                        self.second_pid,
                    )
                    if cursor.fetchone() == ("Lock",):
                        return
            time.sleep(0.05)

    def first(self, name: str, act) -> threading.Thread:  # type: ignore[no-untyped-def]
        return threading.Thread(target=self._run, args=(name, act, False), name=name)

    def second(self, name: str, act) -> threading.Thread:  # type: ignore[no-untyped-def]
        return threading.Thread(target=self._run, args=(name, act, True), name=name)

    def _run(self, name: str, act, second: bool) -> None:  # type: ignore[no-untyped-def]
        from django.db import connection

        try:
            if second:
                self.holding.wait(10)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.second_pid.append(cursor.fetchone()[0])
            self.outcomes[name] = act()
        except Exception as exc:  # reported by the test's assertion
            self.outcomes[name] = exc
        finally:
            if second:
                self.second_done.set()
            connections.close_all()

    def run(self, kind: str, *threads: threading.Thread) -> None:
        """Run the threads with the importer's check of `kind` calling `hold` in the first writer's thread."""
        spec = KINDS[kind]
        first = threads[0].name

        def validate_then_hold(table, context):
            plan = spec.validate(table, context)
            if threading.current_thread().name == first:
                self.hold()
            return plan

        with mock.patch.dict(KINDS, {kind: dataclasses.replace(spec, validate=validate_then_hold)}):
            for t in threads:
                t.start()
            for t in threads:
                t.join()


def interest_file(settled_on: dt.date, start: dt.date, end: dt.date, amount: str) -> bytes:
    from tests.loans.sheets import INTEREST, xlsx

    return xlsx(INTEREST, [["RACE-1", "bank-r", settled_on, start, end, amount, "否"]])


def save_beside_receipt(second_file: bytes, *, large: bool = False) -> Meeting:
    """A clerk's save of a checked file (upload_confirm) and another clerk's receipt of a new file (upload_receive)
    in one program, in the order the scale-out run of 2026-12-05 met them: the save holds the program's row (its rows
    checked, not yet saved) until the receipt waits for a lock or has ended; then the save goes on. `large`: the
    second file is kept and left to a job, as a file over `INLINE_MAX_BYTES` is."""
    from kedaitong.roles import Role
    from loans.models import RecordUpload
    from loans.services import upload_confirm, upload_receive
    from tests.factories import UserFactory

    quzhou, bank, _loan = race_loan()
    saver, receiver = (UserFactory(role=Role.BANK, bank=bank) for _ in range(2))
    first = upload_receive(
        actor=saver,
        kind="interest",
        program=quzhou.program,
        data=interest_file(dt.date(2025, 3, 21), dt.date(2025, 1, 6), dt.date(2025, 3, 20), "6150"),
        filename="q1.xlsx",
    )
    assert first.state == RecordUpload.State.CHECKED
    meeting = Meeting()
    # `large`: every file is large, so the second is kept and a job checks it.
    with mock.patch.object(services, "INLINE_MAX_BYTES", 0 if large else services.INLINE_MAX_BYTES):
        meeting.run(
            "interest",
            meeting.first("save", lambda: upload_confirm(actor=saver, upload=first).state),
            meeting.second(
                "receive",
                lambda: upload_receive(
                    actor=receiver,
                    kind="interest",
                    program=quzhou.program,
                    data=second_file,
                    filename="q2.xlsx",
                ),
            ),
        )
    return meeting


SECOND = (dt.date(2025, 6, 21), dt.date(2025, 3, 21), dt.date(2025, 6, 20), "7412.50")


def test_a_small_file_received_while_another_of_its_program_is_saved_waits_for_it():
    """A small file is checked in the request. Its receipt appended to the audit chain (whose lock is held to commit)
    and its check then waited for the program's row, which the save held while it waited for the chain to log the
    save: PostgreSQL killed one of the two ("deadlock detected"). Both now take the program's row first."""
    from loans.models import InterestSettlement, RecordUpload

    meeting = save_beside_receipt(interest_file(*SECOND))
    assert {k: getattr(v, "state", v) for k, v in meeting.outcomes.items()} == {
        "save": RecordUpload.State.SAVED,
        "receive": RecordUpload.State.CHECKED,
    }
    assert InterestSettlement.objects.count() == 1
    assert not RecordUpload.objects.filter(state=RecordUpload.State.FAILED).exists()


def test_a_large_file_received_while_another_of_its_program_is_saved_commits():
    """A large file is kept and left to a job. Its receipt inserts an upload naming the program and appends to the
    audit chain; at its commit the upload's foreign key is checked (FOR KEY SHARE of the program's row), which the
    save's FOR UPDATE of that row blocked while the save waited for the chain: the scale-out run of 2026-12-05 19:21
    (an HTTP 500 on the upload). The portal's row locks are FOR NO KEY UPDATE, which a key check passes."""
    from loans.models import InterestSettlement, RecordUpload

    meeting = save_beside_receipt(interest_file(*SECOND), large=True)
    assert not isinstance(meeting.outcomes["receive"], Exception), meeting.outcomes
    assert meeting.outcomes["save"] == RecordUpload.State.SAVED, meeting.outcomes
    assert InterestSettlement.objects.count() == 1
    states = dict(RecordUpload.objects.values_list("original_name", "state"))
    assert states == {"q1.xlsx": RecordUpload.State.SAVED, "q2.xlsx": RecordUpload.State.CHECKED}


def test_a_disbursement_on_the_page_and_a_file_disbursing_the_same_application_do_not_deadlock(
    granted,  # noqa: F811 - the fixture imported above
):
    """A disbursements file holds its program and then locks the applications it disburses; the bank's disbursement
    on the application's page locked the application and then the program. Met at once, each waited for the other.
    The page now takes the program first: it waits for the file, then finds the application disbursed."""
    from applications.lifecycle import StepRefused
    from applications.models import Application
    from tests.loans.test_one_disbursement import row, run, web_disburse

    def page() -> str:
        try:
            return web_disburse(granted, "CJ-PAGE").contract_no
        except (StepRefused, LoanRefused):
            return "refused"

    meeting = Meeting()
    meeting.run(
        "disbursements",
        meeting.first("file", lambda: run(granted, [row(granted, "CJ-FILE")]).saved),
        meeting.second("page", page),
    )
    assert meeting.outcomes == {"file": True, "page": "refused"}, meeting.outcomes
    assert list(Loan.objects.values_list("contract_no", flat=True)) == ["CJ-FILE"]
    assert Application.objects.get(pk=granted["application"].pk).state == "disbursed"
