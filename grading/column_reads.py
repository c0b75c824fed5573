"""A query's integer columns read into numpy arrays, without a Python object per value where the
database allows it.

On PostgreSQL each column is aggregated into one int8 array on the server and sent in binary,
which numpy takes as it is: reading ClinConsensus' 248,000 human labels this way takes 60% of
the time of fetching them row by row (bench/). An array holds at most 134 million values; past
that the rows are fetched instead. On other databases (SQLite) the rows go into numpy a block at
a time, as the driver gives them.
"""

import itertools
import struct

import numpy as np
import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections
from django.db.models import QuerySet
from django.db.models.sql.constants import CURSOR
from psycopg.adapt import Loader
from psycopg.pq import Format

_CHUNK = 20_000
_INT8_ARRAY = 1016  # the type oid of int8[]


def read_columns(queryset: QuerySet, fields: tuple[str, ...], dtypes: tuple) -> list[np.ndarray]:
    """One array per field of `queryset.values_list(*fields)` (integers, none null), in the
    query's order, whatever it is."""
    query = queryset.values_list(*fields).order_by().query
    connection = connections[queryset.db]
    columns = None
    if connection.vendor == "postgresql":
        columns = _aggregated(query, connection, len(fields))
    if columns is None:
        columns = _fetched(query, connection, len(fields))
    return [column.astype(dtype) for column, dtype in zip(columns, dtypes, strict=True)]


def _fetched(query, connection, width: int) -> list[np.ndarray]:
    """The rows in blocks of `_CHUNK`, straight into numpy: `values_list` would pass every value
    through the fields' converters in Python first. The cursor is a plain one, not the
    server-side cursor of `.iterator()`: PostgreSQL plans a cursor's query for its first rows
    (nested loops, no index bitmap, no parallel workers), which made these reads 2-3x slower."""
    cursor = query.get_compiler(connection=connection).execute_sql(CURSOR)
    blocks = [np.zeros(0, dtype=np.int64)]
    if cursor is not None:  # None: the query cannot match anything (e.g. `__in=[]`)
        with cursor:
            while rows := cursor.fetchmany(_CHUNK):
                values = itertools.chain.from_iterable(rows)
                blocks.append(np.fromiter(values, dtype=np.int64, count=len(rows) * width))
    table = np.concatenate(blocks).reshape(-1, width)
    return [table[:, i] for i in range(width)]


class _Int8ArrayLoader(Loader):
    """int8[] in binary as a numpy array: a header (dimensions, null flag, element type, then
    size and lower bound of each dimension), then each element's length (4 bytes) and value."""

    format = Format.BINARY

    def load(self, data) -> np.ndarray:
        dimensions, has_nulls = struct.unpack_from("!ii", data)
        if dimensions == 0:
            return np.zeros(0, dtype=np.int64)
        if dimensions != 1 or has_nulls:
            raise ValueError("expected a one-dimensional int8 array without nulls")
        (size,) = struct.unpack_from("!i", data, 12)
        elements = np.frombuffer(
            data, dtype=[("length", ">i4"), ("value", ">i8")], offset=20, count=size
        )
        return elements["value"].astype(np.int64)


def _arrays_sql(sql: str, width: int) -> str:
    """The query `sql` of `width` columns as one row of int8 arrays, a column each."""
    names = [f"c{i}" for i in range(width)]
    arrays = ", ".join(f"array_agg({name}::int8)" for name in names)
    return f"SELECT {arrays} FROM ({sql}) AS q ({', '.join(names)})"


def _aggregated(query, connection, width: int) -> list[np.ndarray] | None:
    """The columns as int8 arrays made by the server (one query), or None when an array would
    pass PostgreSQL's limit (outside a transaction the refused query leaves nothing behind, so
    the rows can be fetched instead)."""
    try:
        sql, params = query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        return [np.zeros(0, dtype=np.int64)] * width
    # The values go into the text, as Django's own cursors do: the plan is made for them, and a
    # query run again is never planned once for any values (a prepared statement's generic plan).
    sql = connection.ops.compose_sql(_arrays_sql(sql, width), params)
    connection.ensure_connection()
    # Django's cursors give text results only (they bind on the client).
    raw = psycopg.Cursor(connection.connection)
    raw.format = Format.BINARY
    raw.adapters.register_loader(_INT8_ARRAY, _Int8ArrayLoader)
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    try:
        with wrap(raw) as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
    except DatabaseError as error:
        limit = getattr(error.__cause__, "sqlstate", None) == "54000"  # program_limit_exceeded
        if not limit or connection.in_atomic_block:
            raise
        return None
    # array_agg of no rows is NULL.
    return [np.zeros(0, dtype=np.int64) if array is None else array for array in row]
