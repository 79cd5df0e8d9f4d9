"""The migrated test-database template (tests/dbtemplate.py) is keyed by everything a migration reads."""

from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import dbtemplate


def test_a_migration_s_own_imports_of_the_project_are_part_of_the_key(tmp_path):
    migration = tmp_path / "0099_example.py"
    migration.write_text(
        "from django.db import migrations\n"
        "from kedaitong import auditchain\n"
        "from kedaitong.programs import setup_program\n"
        "import operations.models\n",
        encoding="utf-8",
    )
    found = {str(p.relative_to(dbtemplate.BASE)) for p in dbtemplate._project_imports(migration)}
    assert found == {
        "kedaitong/__init__.py",
        "kedaitong/auditchain.py",
        "kedaitong/programs.py",
        "operations/models.py",
    }


def test_the_key_changes_with_a_data_file_a_migration_loads(monkeypatch):
    before = dbtemplate.template_key()
    original = Path.read_bytes

    def changed(self: Path) -> bytes:
        data = original(self)
        return data + b"\n2027-01-01,new" if self.name == "holidays.csv" else data

    monkeypatch.setattr(Path, "read_bytes", changed)
    assert dbtemplate.template_key() != before


@pytest.mark.django_db
def test_the_test_database_has_every_migration_applied():
    """What a test database is made from (the template, or the migrations run afresh) leaves nothing to apply.

    `make test-db` runs this test alone: it builds the templates (SQLite, and PostgreSQL when DATABASE_URL names
    one) ahead of a suite, as CI does while the static checks run.
    """
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
