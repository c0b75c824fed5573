"""Backup and restore: a site with cases, labels and a built release is backed up, restored into
a NEW database and media folder, and everything is found there: every table with as many rows,
every file with the same bytes."""

import hashlib
import io
import sqlite3
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from consilium.backup import MANIFEST, BackupError, Database, restore
from curation.models import AuditEvent, Case
from grading.models import Label, Release, ReleaseFile
from grading.releases.services import release_build
from tests.factories import LabelFactory
from tests.release_support import cut, gold, media  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only


@pytest.fixture
def site(benchmark, adjudicator, manager, media):  # noqa: F811
    """Three cases with their gold labels, grader labels and a built release (files on disk)."""
    versions = gold(benchmark, adjudicator, cases=3)
    for version in versions:
        for response in version.responses.all():
            LabelFactory(response=response, criterion=version.criteria.first(), met=True)
    release = release_build(release=cut(benchmark, manager))
    assert release.status == Release.Status.BUILT
    assert ReleaseFile.objects.filter(release=release).count() > 3
    (media / "uploads").mkdir(parents=True, exist_ok=True)
    (media / "uploads" / "病例.jsonl").write_text('{"id": "CC-0001"}\n', encoding="utf-8")
    return media


def row_counts(execute) -> dict[str, int]:
    return {
        table: execute(f'SELECT count(*) FROM "{table}"')
        for table in connection.introspection.table_names()
    }


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def call_command_output(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue().strip()


def site_counts() -> dict[str, int]:
    def execute(sql: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    return row_counts(execute)


def check_restored(execute, restored_media: Path, original: Path, before: dict[str, int]) -> None:
    assert row_counts(execute) == before
    assert file_hashes(restored_media) == file_hashes(original)
    assert before["curation_case"] == Case.objects.count() == 3
    assert before["grading_label"] == Label.objects.count() > 0
    assert before["grading_releasefile"] == ReleaseFile.objects.count() > 3
    assert before["curation_auditevent"] == AuditEvent.objects.count() > 0
    assert len(file_hashes(original)) == ReleaseFile.objects.count() + 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump and pg_restore need PostgreSQL; the SQLite variant is the test below",
)
def test_postgresql_backup_restores_into_a_new_database_with_everything(site, tmp_path):
    before = site_counts()
    call_command("backup", into=tmp_path / "backups")
    (folder,) = (tmp_path / "backups").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [MANIFEST, "database.pgdump", "media.tar"]
    )
    source = Database.from_settings(connection.settings_dict)
    target = Database(**{**source.__dict__, "name": f"consilium_restore_{uuid.uuid4().hex[:8]}"})
    url = (
        f"postgres://{target.user}{':' + target.password if target.password else ''}"
        f"@{target.host or 'localhost'}:{target.port or 5432}/{target.name}"
    )
    restored_media = tmp_path / "restored-media"
    try:
        call_command("restore", folder, database_url=url, media_root=restored_media)
        with target.pg_connect() as restored:
            check_restored(
                lambda sql: restored.execute(sql).fetchone()[0], restored_media, site, before
            )
        with pytest.raises(BackupError, match="not empty"):
            restore(folder=folder, database=target, media_root=tmp_path / "another")
    finally:
        with source.pg_connect(dbname="postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')


def test_sqlite_backup_restores_into_a_new_database_with_everything(site, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite online backup; the PostgreSQL variant is the test above")
    before = site_counts()
    call_command("backup", into=tmp_path / "backups")
    (folder,) = (tmp_path / "backups").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [MANIFEST, "database.sqlite3", "media.tar"]
    )
    restored_db = tmp_path / "restored.sqlite3"
    restored_media = tmp_path / "restored-media"

    call_command(
        "restore", folder, database_url=f"sqlite:///{restored_db}", media_root=restored_media
    )

    restored = sqlite3.connect(restored_db)
    try:
        check_restored(
            lambda sql: restored.execute(sql).fetchone()[0], restored_media, site, before
        )
    finally:
        restored.close()
    with pytest.raises(BackupError, match="exists"):
        restore(
            folder=folder,
            database=Database.from_url(f"sqlite:///{restored_db}"),
            media_root=tmp_path / "another",
        )


def test_a_damaged_backup_is_refused_before_anything_is_written(site, tmp_path):
    folder = Path(call_command_output("backup", into=tmp_path / "backups"))
    media_tar = folder / "media.tar"
    media_tar.write_bytes(media_tar.read_bytes()[:-10])
    target = tmp_path / "restored-media"

    with pytest.raises(BackupError, match=r"media\.tar is missing or damaged"):
        restore(
            folder=folder,
            database=Database.from_url(f"sqlite:///{tmp_path / 'new.sqlite3'}"),
            media_root=target,
        )

    assert not target.exists()
    assert not (tmp_path / "new.sqlite3").exists()


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    with pytest.raises(BackupError, match="not a Consilium backup"):
        restore(
            folder=tmp_path,
            database=Database.from_url(f"sqlite:///{tmp_path / 'x.sqlite3'}"),
            media_root=tmp_path / "m",
        )


def test_the_postgresql_password_goes_to_the_tools_in_their_environment():
    env = Database.from_url("postgres://backup:s3cret@db:5433/consilium").pg_env()

    assert (env["PGUSER"], env["PGPASSWORD"], env["PGHOST"], env["PGPORT"]) == (
        "backup",
        "s3cret",
        "db",
        "5433",
    )
    assert env["PGDATABASE"] == "consilium"
