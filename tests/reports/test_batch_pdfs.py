"""The 附件4 of every application of a meeting or a publicity batch, as a zip made by a background job."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest

from applications.models import Application
from kedaitong import jobs
from kedaitong.models import Job
from review.models import Meeting, MeetingDecision, PublicityBatch, PublicityEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(cast):
    Application.objects.filter(pk__in=[cast.application_a.pk, cast.application_b.pk]).update(
        state="bank_review"
    )
    meeting = Meeting.objects.create(
        program=cast.changjiang, date=dt.date(2026, 3, 5), created_by=cast.leading_group
    )
    for application in (cast.application_a, cast.application_b):
        MeetingDecision.objects.create(
            meeting=meeting,
            application=application,
            recommended=True,
            recommended_amount=Decimal("500000.00"),
        )
    return meeting


@pytest.fixture
def batch(cast):
    Application.objects.filter(pk__in=[cast.application_a.pk, cast.application_b.pk]).update(
        state="publicity"
    )
    batch = PublicityBatch.objects.create(
        program=cast.changjiang,
        start_date=dt.date(2026, 3, 10),
        end_date=dt.date(2026, 3, 16),
        created_by=cast.bureau_staff,
    )
    for application in (cast.application_a, cast.application_b):
        PublicityEntry.objects.create(
            batch=batch, application=application, credit_amount=Decimal("500000.00")
        )
    return batch


def zip_of(client, job):
    download = client.get(f"/jobs/{job.public_id}/download/")
    assert download.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))


def expected_names(cast):
    return sorted(
        f"附件4-{a.reference}-{a.enterprise.name}.pdf"
        for a in (cast.application_a, cast.application_b)
    )


@pytest.mark.parametrize("scope", ["meeting", "publicity"])
def test_the_zip_holds_one_annex4_per_application(
    client, cast, meeting, batch, scope, django_capture_on_commit_callbacks
):
    source = meeting if scope == "meeting" else batch
    client.force_login(cast.leading_group)
    page = client.get(
        f"/review/meetings/{meeting.public_id}/"
        if scope == "meeting"
        else f"/review/publicity/{batch.public_id}/"
    )
    assert f'action="/reports/annex4/{scope}/{source.public_id}/"' in page.content.decode()
    progress: list[tuple[int, int]] = []
    original = jobs.JobContext.progress

    def spy(self, done, total=None, message=""):
        original(self, done, total, message)
        progress.append((self.job.done, self.job.total))

    with pytest.MonkeyPatch.context() as mp, django_capture_on_commit_callbacks(execute=True):
        mp.setattr(jobs.JobContext, "progress", spy)
        response = client.post(f"/reports/annex4/{scope}/{source.public_id}/")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.public_id}/"
    job.refresh_from_db()
    assert (job.kind, job.state, job.done, job.total) == (
        "review.tasks.annex4_zip_job",
        "done",
        2,
        2,
    )
    assert progress == [(0, 2), (1, 2), (2, 2)]  # one step per PDF
    archive = zip_of(client, job)
    assert sorted(archive.namelist()) == expected_names(cast)
    for application in (cast.application_a, cast.application_b):
        data = archive.read(f"附件4-{application.reference}-{application.enterprise.name}.pdf")
        assert data.startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = subprocess.run(
                ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
            ).stdout.decode()
            assert "备案审核表" in text and application.enterprise.name in text
    assert job.result_name.endswith(".zip") and "附件4" in job.result_name


def test_outsiders_get_404_and_the_download_is_the_owners(
    client, cast, meeting, django_capture_on_commit_callbacks
):
    quzhou_staff = UserFactory(username="qz", role="bureau_staff", program=cast.quzhou)
    url = f"/reports/annex4/meeting/{meeting.public_id}/"
    for outsider in (quzhou_staff, cast.bank_x_user):
        client.force_login(outsider)
        assert client.post(url).status_code == 404
    client.force_login(cast.applicant)
    assert client.post(url).status_code == 404
    assert (
        client.post("/reports/annex4/loans/00000000-0000-0000-0000-000000000000/").status_code
        == 404
    )
    assert not Job.objects.exists()
    client.force_login(cast.auditor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    job = Job.objects.get()
    for other in (cast.bureau_staff, quzhou_staff, cast.bank_x_user):
        client.force_login(other)
        assert client.get(f"/jobs/{job.public_id}/download/").status_code == 404
        assert client.get(f"/jobs/{job.public_id}/").status_code == 404
    client.force_login(cast.auditor)
    assert len(zip_of(client, job).namelist()) == 2


def test_an_empty_meeting_queues_nothing(client, cast):
    empty = Meeting.objects.create(
        program=cast.changjiang, date=dt.date(2026, 3, 6), created_by=cast.leading_group
    )
    client.force_login(cast.bureau_staff)
    response = client.post(f"/reports/annex4/meeting/{empty.public_id}/", follow=True)
    assert "没有可打印的申请" in response.content.decode() and not Job.objects.exists()
