"""Backup and restore of the whole site: the database and the media folder (uploads, releases).

A backup is one dated folder holding
- `database.pgdump` (PostgreSQL: `pg_dump --format=custom`, consistent while the site runs) or
  `database.sqlite3` (SQLite: the online backup API, consistent while the site runs);
- `media.tar` (the media folder);
- `manifest.json` (when, which engine, and the sha256 and size of both files).

A restore goes into a NEW database and a NEW (or empty) media folder, never over live data:
it refuses a database that has tables or a media folder that has files.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone

MANIFEST = "manifest.json"
PG_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite3"
MEDIA_TAR = "media.tar"


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why."""


@dataclass(frozen=True)
class Database:
    """Where a database is: a SQLite file path, or PostgreSQL connection settings."""

    engine: str  # "postgresql" or "sqlite"
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict) -> "Database":
        engine = "sqlite" if "sqlite" in settings_dict["ENGINE"] else "postgresql"
        return cls(
            engine=engine,
            name=str(settings_dict["NAME"]),
            user=settings_dict.get("USER") or "",
            password=settings_dict.get("PASSWORD") or "",
            host=settings_dict.get("HOST") or "",
            port=str(settings_dict.get("PORT") or ""),
        )

    @classmethod
    def from_url(cls, url: str) -> "Database":
        return cls.from_settings(dj_database_url.parse(url))

    def pg_env(self) -> dict[str, str]:
        """The environment pg_dump and pg_restore read the connection from (no password on the
        command line, where `ps` would show it)."""
        env = {**os.environ, "PGDATABASE": self.name}
        for variable, value in (
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGHOST", self.host),
            ("PGPORT", self.port),
        ):
            if value:
                env[variable] = value
        return env

    def pg_connect(self, dbname: str | None = None) -> psycopg.Connection:
        return psycopg.connect(
            dbname=dbname or self.name,
            user=self.user or None,
            password=self.password or None,
            host=self.host or None,
            port=self.port or None,
            autocommit=True,
        )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools).") from error
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} failed: {error.stderr.strip()}") from error


def _sqlite_copy(source: sqlite3.Connection, path: Path) -> None:
    """SQLite's online backup: a consistent copy while others keep writing."""
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()


def backup(*, into: Path) -> Path:
    """Back up the site's database and media folder into a new dated folder under `into`;
    returns the folder."""
    database = Database.from_settings(connection.settings_dict)
    media_root = Path(settings.MEDIA_ROOT)
    folder = Path(into) / f"consilium-backup-{timezone.now():%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=False)
    try:
        _write_backup(folder, database, media_root)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no half backup left to be mistaken for one
        raise
    return folder


def _write_backup(folder: Path, database: Database, media_root: Path) -> None:
    if database.engine == "postgresql":
        dump = folder / PG_DUMP
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"],
            database.pg_env(),
        )
    else:
        dump = folder / SQLITE_COPY
        connection.ensure_connection()
        _sqlite_copy(connection.connection, dump)
    media = folder / MEDIA_TAR
    with tarfile.open(media, "w") as archive:
        if media_root.is_dir():
            archive.add(media_root, arcname="media")
    manifest = {
        "created_at": timezone.now().isoformat(),
        "engine": database.engine,
        "files": {
            path.name: {"sha256": sha256_file(path), "bytes": path.stat().st_size}
            for path in (dump, media)
        },
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _checked_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BackupError(f"{folder} is not a Consilium backup (no {MANIFEST}).") from error
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file() or sha256_file(path) != expected["sha256"]:
            raise BackupError(f"{name} is missing or damaged (its sha256 differs).")
    return manifest


def _create_empty_pg(database: Database) -> None:
    with database.pg_connect(dbname="postgres") as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database.name]
        ).fetchone()
        if not exists:
            admin.execute(
                psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(database.name))
            )
    with database.pg_connect() as target:
        tables = target.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()[0]
    if tables:
        raise BackupError(f"Database {database.name} is not empty: restore into a new one.")


def restore(*, folder: Path, database: Database, media_root: Path) -> dict:
    """Restore the backup in `folder` into `database` (created if missing; PostgreSQL for a
    PostgreSQL backup, a new SQLite file for a SQLite one) and `media_root`. Returns the
    backup's manifest."""
    folder, media_root = Path(folder), Path(media_root)
    manifest = _checked_manifest(folder)
    if database.engine != manifest["engine"]:
        raise BackupError(
            f"This is a {manifest['engine']} backup: restore it into a {manifest['engine']} "
            "database."
        )
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"Media folder {media_root} is not empty: restore into a new one.")
    if database.engine == "postgresql":
        _create_empty_pg(database)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={database.name}",
                str(folder / PG_DUMP),
            ],
            database.pg_env(),
        )
    else:
        target_path = Path(database.name)
        if target_path.exists():
            raise BackupError(f"{target_path} exists: restore into a new file.")
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(folder / SQLITE_COPY)
        try:
            _sqlite_copy(source, target_path)
        finally:
            source.close()
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / MEDIA_TAR) as archive:
        staging = media_root.parent / f".{media_root.name}.restoring"
        staging.mkdir()
        archive.extractall(staging, filter="data")  # "data": no links or paths out of staging
        extracted = staging / "media"
        if extracted.is_dir():
            for child in extracted.iterdir():
                shutil.move(str(child), media_root / child.name)
        shutil.rmtree(staging)
    return manifest
