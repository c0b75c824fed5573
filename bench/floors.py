"""The floors: what the same work costs when nothing but the database, numpy or the disk does it,
measured in the same process and run as the figure it stands beside.

- `bulk_insert_floor`: the rows a step created, inserted again by the database's own bulk path
  (PostgreSQL: COPY through psycopg; SQLite: executemany in one transaction) into empty copies of
  their tables with the same indexes and constraints, foreign keys included (every insert into
  the real table checks them), from rows already in memory.
- `preloaded` + `replay`: a computation run again with every answer of a module's functions (the
  statistics' selectors) recorded on a first run, so only the numpy work is left.
- `write_floor`: the bytes of a folder written again and hashed (sha256).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

PREFIX = "bench_floor_"


def _tables() -> list[tuple[str, str]]:
    """(table, integer primary key column) of every model with such a key."""
    from django.apps import apps
    from django.db import models

    integer = (models.AutoField, models.BigAutoField, models.SmallAutoField)
    return sorted(
        {
            (model._meta.db_table, model._meta.pk.column)
            for model in apps.get_models(include_auto_created=True)
            if isinstance(model._meta.pk, integer)
        }
    )


def table_marks() -> dict[str, int]:
    """The highest primary key of every table: the rows a step adds are those above it."""
    from django.db import connection

    marks = {}
    with connection.cursor() as cursor:
        for table, pk in _tables():
            cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
            marks[table] = cursor.fetchone()[0]
    return marks


def bulk_insert_floor(marks: dict[str, int]) -> dict:
    """Seconds to insert every row created since `marks` into empty copies of their tables (same
    columns, indexes and constraints, foreign keys to the same tables), in one transaction."""
    from django.db import connection

    created = {}
    with connection.cursor() as cursor:
        for table, pk in _tables():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}" WHERE "{pk}" > %s', [marks[table]])
            if count := cursor.fetchone()[0]:
                created[table] = (pk, count)
    connection.ensure_connection()
    measure = _postgres_floor if connection.vendor == "postgresql" else _sqlite_floor
    seconds = measure(connection.connection, created, marks)
    return {"seconds": seconds, "rows": sum(count for _pk, count in created.values())}


def _postgres_floor(raw, created: dict, marks: dict) -> float:
    data = {}
    with raw.cursor() as cursor:
        for table, (pk, _count) in created.items():
            query = f'COPY (SELECT * FROM "{table}" WHERE "{pk}" > {int(marks[table])}) TO STDOUT'
            with cursor.copy(query) as copy:
                data[table] = b"".join(bytes(block) for block in copy)
            cursor.execute(f'CREATE TABLE "{PREFIX}{table}" (LIKE "{table}" INCLUDING ALL)')
            # LIKE leaves out foreign keys; Django's are deferred, checked at the commit.
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [f'"{table}"'],
            )
            for (definition,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{PREFIX}{table}" ADD {definition}')
        try:
            started = time.perf_counter()
            with raw.transaction():
                for table, block in data.items():
                    with cursor.copy(f'COPY "{PREFIX}{table}" FROM STDIN') as copy:
                        copy.write(block)
            return time.perf_counter() - started
        finally:
            for table in data:
                cursor.execute(f'DROP TABLE "{PREFIX}{table}"')


def _sqlite_floor(raw, created: dict, marks: dict) -> float:
    rows, inserts = {}, {}
    cursor = raw.cursor()
    for table, (pk, _count) in created.items():
        cursor.execute(f'SELECT * FROM "{table}" WHERE "{pk}" > ?', [marks[table]])
        rows[table] = cursor.fetchall()
        placeholders = ", ".join("?" * len(cursor.description))
        inserts[table] = f'INSERT INTO "{PREFIX}{table}" VALUES ({placeholders})'
        definitions = cursor.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
            "ORDER BY type = 'index'",
            [table],
        ).fetchall()
        for (sql,) in definitions:
            # The table's and its indexes' own names get the prefix; references to others don't.
            sql = re.sub(rf'"{table}"', f'"{PREFIX}{table}"', sql)
            sql = re.sub(r'^(CREATE (?:UNIQUE )?INDEX )"', rf'\1"{PREFIX}', sql)
            cursor.execute(sql)
    raw.commit()
    try:
        started = time.perf_counter()
        cursor.execute("BEGIN")
        for table, values in rows.items():
            cursor.executemany(inserts[table], values)
        raw.commit()
        return time.perf_counter() - started
    finally:
        for table in rows:
            cursor.execute(f'DROP TABLE "{PREFIX}{table}"')
        raw.commit()


@contextmanager
def preloaded(module) -> Iterator[Callable[[], None]]:
    """Within it, the public functions of `module` record their answers; calling the yielded
    `replay()` makes them give the recorded answers again, in the same order, without work."""
    recorded: dict[str, list] = defaultdict(list)
    state = {"replaying": False, "position": defaultdict(int)}

    def wrap(name: str, function: Callable) -> Callable:
        def answer(*args, **kwargs):
            if not state["replaying"]:
                recorded[name].append(function(*args, **kwargs))
                return recorded[name][-1]
            position = state["position"][name]
            state["position"][name] += 1
            return recorded[name][position]

        return answer

    def replay() -> None:
        state["replaying"] = True
        state["position"].clear()

    functions = {
        name: value
        for name, value in vars(module).items()
        if callable(value)
        and not name.startswith("_")
        and getattr(value, "__module__", None) == module.__name__
        and not isinstance(value, type)
    }
    with mock.patch.multiple(module, **{n: wrap(n, f) for n, f in functions.items()}):
        yield replay


def write_floor(folder: Path, scratch: Path) -> dict:
    """Seconds to write every file of `folder` again (read into memory first) and hash it."""
    paths = [path for path in folder.rglob("*") if path.is_file()]
    files = {path.relative_to(folder): path.read_bytes() for path in paths}
    started = time.perf_counter()
    for name, data in files.items():
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        hashlib.sha256(data).hexdigest()
    return {"seconds": time.perf_counter() - started, "bytes": sum(map(len, files.values()))}
