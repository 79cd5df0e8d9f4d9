"""Backup sets: what the manifest says, how many days are kept, a failure recorded, an S3 bucket as the place."""

from __future__ import annotations

import datetime as dt
import json
import tarfile
from pathlib import Path

import boto3
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.db import connection
from moto import mock_aws

from loans.models import Loan
from operations import backup, restore
from operations.models import BackupRun
from tests.compensation import helpers

pytestmark = pytest.mark.django_db(transaction=True)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def places(settings, tmp_path):
    """Uploads and backups in folders of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "backups")},
        },
    }
    return tmp_path


def test_prune_keeps_every_set_of_the_last_n_days_that_have_one(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    names = [
        "kedaitong-20261120-020000.tar",
        "kedaitong-20261121-020000.tar",
        "kedaitong-20261121-150000.tar",
        "kedaitong-20261123-020000.tar",  # no set on the 22nd: the 21st is still one of the last two days
        "kedaitong-20261123-020000-2.tar",
    ]
    for name in names:
        storage.save(name, ContentFile(b"set"))
        storage.save(f"{name}.sha256", ContentFile(b"sum"))
    storage.save("notes.txt", ContentFile(b"not a set"))
    removed = backup.prune(keep_days=2, storage=storage)
    assert removed == ["kedaitong-20261120-020000.tar"]
    assert backup.list_sets(storage) == names[1:]
    assert not storage.exists("kedaitong-20261120-020000.tar.sha256") and storage.exists(
        "notes.txt"
    )
    assert backup.prune(keep_days=1, storage=storage) == names[1:3]


def test_the_command_writes_a_set_whose_manifest_describes_the_database(places, cast, client):
    helpers.draft(cast)
    with time_machine.travel(dt.datetime(2026, 12, 1, 2, 0, tzinfo=SHANGHAI), tick=True):
        out = call_backup()
    name = "kedaitong-20261201-020000.tar"
    folder = places / "backups"
    assert f"备份集已写入 {folder}/{name}" in out
    with tarfile.open(folder / name) as archive:
        assert archive.getnames() == [
            "manifest.json",
            backup.DATABASE[connection.vendor],
            "media.tar.gz",
        ]
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert (
        manifest["tables"]["loans_loan"] == Loan.objects.count() == 3
    )  # the cast's two and the bad loan
    assert (
        manifest["money"]["loans_loan.principal"]
        == f"{sum(loan.principal for loan in Loan.objects.all()):.2f}"
    )
    assert ["operations", "0001_history_checks_backups"] in manifest["migrations"]
    assert manifest["media"]["files"] == 5 and manifest["missing_files"] == []
    run = BackupRun.objects.get()
    assert (run.ok, run.name, run.sha256) == (True, name, backup.sha256_of(folder / name))
    # The administrator's home page says when and where the last set went.
    client.force_login(cast.admin)
    page = client.get("/").content.decode()
    assert f"最近备份集 {name}" in page and str(folder) in page


def test_a_failed_backup_is_recorded_and_shown(places, settings, cast, client):
    blocked = places / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocked)},
        },
    }
    with pytest.raises(CommandError, match="备份失败，未保存备份集"):
        call_backup()
    run = BackupRun.objects.get()
    assert run.ok is False and run.message
    client.force_login(cast.admin)
    assert "的备份失败" in client.get("/").content.decode()


def call_backup(*args: str) -> str:
    import io

    out = io.StringIO()
    call_command("backup", *args, stdout=out)
    return out.getvalue()


@mock_aws
def test_sets_go_to_an_s3_bucket_and_come_back_checked(places, settings, cast, monkeypatch):
    """Several machines: the sets in an S3-compatible bucket through django-storages (here moto's)."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="kd-backups")
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "kd-backups",
                "location": "kedaitong-backups",
                "region_name": "us-east-1",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    helpers.draft(cast)
    for day in (1, 2, 3):
        with time_machine.travel(dt.datetime(2026, 12, day, 2, 0, tzinfo=SHANGHAI), tick=True):
            call_backup("--keep-days", "2")
    keys = sorted(
        o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="kd-backups")["Contents"]
    )
    assert keys == [
        "kedaitong-backups/kedaitong-20261202-020000.tar",
        "kedaitong-backups/kedaitong-20261202-020000.tar.sha256",
        "kedaitong-backups/kedaitong-20261203-020000.tar",
        "kedaitong-backups/kedaitong-20261203-020000.tar.sha256",
    ]
    assert (
        BackupRun.objects.order_by("started_at").last().location
        == "s3://kd-backups/kedaitong-backups"
    )
    manifest = restore.check_only(
        "latest"
    )  # fetched from the bucket, checksums and migrations checked
    assert manifest["name"] == "kedaitong-20261203-020000.tar"
    assert manifest["media"]["files"] == 5


def test_restore_check_refuses_a_set_without_its_checksum_file(places, cast):
    call_backup()
    (set_file,) = Path(places / "backups").glob("*.tar")
    Path(f"{set_file}.sha256").unlink()
    with pytest.raises(restore.RestoreRefused, match="旁没有校验文件"):
        restore.check_only(str(set_file))
