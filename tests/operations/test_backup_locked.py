"""A SQLite backup whose source stays locked gives up with a reason instead of waiting for ever."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from operations.models import BackupRun
from tests.operations.test_backup import places  # noqa: F401

# Not transactional: the test's own transaction holds the database's write lock while the backup runs,
# as a writer that never lets go would.
pytestmark = [
    pytest.mark.django_db,
    # SQLite's online backup waits on the writer's lock; pg_dump reads an exported snapshot and waits on nothing.
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
        reason="SQLite's write lock",
    ),
]


def test_a_backup_of_a_database_locked_by_a_writer_gives_up_and_says_why(places, settings):  # noqa: F811
    settings.BACKUP_BUSY_SECONDS = 1
    BackupRun.objects.create(
        ok=True, name="earlier.tar", sha256="0" * 64
    )  # a write: the lock is held
    with pytest.raises(CommandError, match="备份失败，未保存备份集") as refused:
        call_command("backup", stdout=io.StringIO())
    assert "BACKUP_BUSY_SECONDS" in str(refused.value)
    failed = BackupRun.objects.get(ok=False)
    assert "持续被写入锁定超过 1 秒" in failed.message
    assert not any((places / "backups").glob("*.tar"))
