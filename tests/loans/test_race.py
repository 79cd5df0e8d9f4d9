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


def test_the_same_interest_file_confirmed_twice_at_once_is_saved_once():
    """Two clerks of one bank upload the same file and confirm at the same moment: one creates, the other finds it unchanged."""
    from kedaitong.roles import Role
    from loans.models import InterestSettlement, RecordUpload
    from loans.services import upload_confirm, upload_receive
    from tests.factories import LoanFactory, UserFactory
    from tests.loans.sheets import INTEREST, xlsx

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


def test_a_file_received_while_another_of_its_program_is_saved_waits_for_it():
    """The scale-out run of 2026-12-05 19:04: a small file's receipt appended to the audit chain (its lock, held to
    commit) and then, checking the rows, waited for the program's row; a save of that program held the row and then
    waited for the chain's lock to log the save: PostgreSQL killed one of the two (deadlock detected). The program's
    row is taken first by both, so the receipt waits for the save and both go through."""
    from django.db import connection

    from kedaitong.roles import Role
    from loans.models import InterestSettlement, RecordUpload
    from loans.services import upload_confirm, upload_receive
    from tests.factories import LoanFactory, UserFactory
    from tests.loans.sheets import INTEREST, xlsx

    quzhou = version("quzhou")
    bank = BankFactory(code="bank-r")
    LoanFactory(
        program_version=quzhou,
        bank=bank,
        contract_no="RACE-1",
        disbursement_date=dt.date(2025, 1, 6),
        maturity_date=dt.date(2026, 1, 5),
        annual_rate=Decimal("3.0"),
    )
    saver, receiver = (UserFactory(role=Role.BANK, bank=bank) for _ in range(2))

    def file(settled_on: dt.date, start: dt.date, end: dt.date, amount: str) -> bytes:
        return xlsx(INTEREST, [["RACE-1", "bank-r", settled_on, start, end, amount, "否"]])

    first = upload_receive(
        actor=saver,
        kind="interest",
        program=quzhou.program,
        data=file(dt.date(2025, 3, 21), dt.date(2025, 1, 6), dt.date(2025, 3, 20), "6150"),
        filename="q1.xlsx",
    )
    assert first.state == RecordUpload.State.CHECKED
    second_file = file(dt.date(2025, 6, 21), dt.date(2025, 3, 21), dt.date(2025, 6, 20), "7412.50")

    saving = threading.Event()  # the save holds the program's row
    receiver_pid: list[int] = []
    outcomes: dict[str, object] = {}
    spec = KINDS["interest"]

    def validate_then_wait(table, context):
        plan = spec.validate(table, context)
        if threading.current_thread().name != "saver":
            return plan
        saving.set()
        # Hold the program's row until the receipt waits for a lock (or 5 s): the order the run met.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if receiver_pid:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", receiver_pid
                    )
                    if cursor.fetchone() == ("Lock",):
                        break
            time.sleep(0.05)
        return plan

    def save() -> None:
        try:
            outcomes["save"] = upload_confirm(actor=saver, upload=first).state
        except Exception as exc:  # reported by the assertion below
            outcomes["save"] = exc
        finally:
            connections.close_all()

    def receive() -> None:
        try:
            saving.wait(10)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                receiver_pid.append(cursor.fetchone()[0])
            outcomes["receive"] = upload_receive(
                actor=receiver,
                kind="interest",
                program=quzhou.program,
                data=second_file,
                filename="q2.xlsx",
            ).state
        except Exception as exc:
            outcomes["receive"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, name="saver"), threading.Thread(target=receive)]
    with mock.patch.dict(
        KINDS, {"interest": dataclasses.replace(spec, validate=validate_then_wait)}
    ):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert outcomes == {"save": RecordUpload.State.SAVED, "receive": RecordUpload.State.CHECKED}
    assert InterestSettlement.objects.count() == 1
    assert not RecordUpload.objects.filter(state=RecordUpload.State.FAILED).exists()
