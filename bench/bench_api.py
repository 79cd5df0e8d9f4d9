"""Issue 21: the 50,000-row interest batch through the bank API beside the Excel upload (target: under 30 s each).

    .venv/bin/python bench/bench_api.py [--rows 50000]

Seeds the 5,000 Quzhou loans of bench_import.py, then:
1. the Excel door: the .xlsx of bench_import.py checked and saved by `loans.importer.run_import`;
2. the same settlements deleted, then the API door: the same rows as JSON, in batches of the
   API's cap (10,000 rows), each POSTed with a bank token and its Idempotency-Key through
   the whole Django stack (middleware, token, throttle, per-call audit) in this process;
3. the same batches again under new keys: every row found unchanged, nothing duplicated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from bench_import import interest_file, interest_rows, seed
from common import peak_rss_mb, report, setup_django, timed


def api_rows(rows: int) -> list[dict[str, object]]:
    """The rows of bench_import.interest_file (bench_import.interest_rows), as the API takes them."""
    return [
        {
            "contract_no": contract_no,
            "settled_on": str(settled_on),
            "period_start": str(first),
            "period_end": str(last),
            "amount": str(amount),
            "overdue": overdue == "是",
        }
        for contract_no, _bank, settled_on, first, last, amount, overdue in interest_rows(rows)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    setup_django("api")
    seed()
    from django.conf import settings
    from django.test import Client

    from api.services import token_create
    from applications.models import Program
    from kedaitong.models import User
    from kedaitong.roles import Role
    from loans.importer import context_for, run_import
    from loans.models import Bank, InterestSettlement, RecordUpload, UploadedRecord

    settings.UPLOAD_MAX_MB = max(settings.UPLOAD_MAX_MB, 50)
    program = Program.objects.get(code="quzhou")
    clerk = User.objects.create(
        username="bench-clerk", role=Role.BANK, bank=Bank.objects.get(code="bench-bank")
    )

    # 1. Excel.
    data = interest_file(args.rows)
    context = context_for(kind="interest", program=program, actor=clerk)
    with timed() as excel:
        result = run_import(
            kind="interest", data=data, filename="interest.xlsx", context=context, commit=True
        )
    assert result.saved and result.created == args.rows, result.errors[:5]
    InterestSettlement.objects.all().delete()
    UploadedRecord.objects.all().delete()
    RecordUpload.objects.all().delete()

    # 2. The API, in batches of its cap.
    secret = token_create(
        actor=clerk,
        name="基准测试",
        scope="write",
        expires_on=dt.date.today() + dt.timedelta(days=30),
    ).secret
    size = settings.API_BATCH_MAX_ROWS
    rows = api_rows(args.rows)
    bodies = [
        json.dumps({"rows": rows[i : i + size]}, ensure_ascii=False).encode()
        for i in range(0, len(rows), size)
    ]
    client = Client()
    headers = {"Authorization": f"Bearer {secret}"}

    def send(round_: str) -> list[float]:
        seconds = []
        for n, body in enumerate(bodies):
            with timed() as one:
                answer = client.post(
                    "/api/v1/batches/interest?program=quzhou",
                    data=body,
                    content_type="application/json",
                    headers=headers | {"Idempotency-Key": f"bench-{round_}-{n}"},
                )
            assert answer.status_code == 201, answer.content[:500]
            seconds.append(one["seconds"])
        return seconds

    # A running server has loaded its URLs and views before the bank's first batch: so does this one
    # (the first request imports the whole URLconf, PDF rendering included: seconds not the batch's).
    assert client.get("/api/v1/token", headers=headers).status_code == 200
    before = peak_rss_mb()
    first = send("a")
    assert InterestSettlement.objects.count() == args.rows
    again = send("b")
    assert InterestSettlement.objects.count() == args.rows
    report(
        f"Interest, {args.rows:,} rows: Excel upload (one .xlsx, checked and saved)",
        f"{excel['seconds']:.1f} s, {len(data) / 1e6:.1f} MB file",
        "< 30 s",
    )
    report(
        f"Interest, {args.rows:,} rows through the API ({len(bodies)} batches of at most {size:,}, JSON, token, audit)",
        f"{sum(first):.1f} s (batches {min(first):.1f}–{max(first):.1f} s; the same again, all unchanged: "
        f"{sum(again):.1f} s), peak RSS {peak_rss_mb():.0f} MB (before {before:.0f} MB), "
        f"{sum(len(b) for b in bodies) / 1e6:.1f} MB of JSON",
        "< 30 s, < 500 MB",
    )


if __name__ == "__main__":
    main()
