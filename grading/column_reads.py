"""A query's integer columns read into numpy arrays, with as few Python objects per value as the
database allows: what the drivers spend on each value they hand over is most of a bulk read.

- PostgreSQL aggregates each column into one int8 array on the server and sends it in binary,
  which numpy takes as it is: no Python object per value. Reading ClinConsensus' 248,000 human
  labels this way takes 60% of the time of fetching them row by row (bench/). An array holds at
  most 134 million values; past that the rows are fetched instead.
- SQLite's driver makes a Python object of every row and value, so SQLite writes each column as
  one text of numbers, two columns packed in one 64-bit integer, and numpy parses it: 248,000
  human labels in 59 ms instead of 114. Past 32 bits a value cannot be packed, and past a
  billion bytes a text cannot be made; then the rows are fetched.
- Fetched rows go into numpy a block at a time, as the driver gives them.
"""

import itertools
import struct

import numpy as np
import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, DataError, connections
from django.db.models import QuerySet
from psycopg.adapt import Loader
from psycopg.pq import Format

_CHUNK = 20_000
_INT8_ARRAY = 1016  # the type oid of int8[]


def read_columns(queryset: QuerySet, fields: tuple[str, ...], dtypes: tuple) -> list[np.ndarray]:
    """One array per field of `queryset.values_list(*fields)` (integers, none null), in the
    query's order, whatever it is."""
    query = queryset.values_list(*fields).order_by().query
    connection = connections[queryset.db]
    try:
        sql, params = query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # the query cannot match anything (e.g. `__in=[]`)
        return [np.zeros(0, dtype=dtype) for dtype in dtypes]
    read = {"postgresql": _aggregated, "sqlite": _packed}.get(connection.vendor)
    columns = read(connection, sql, params, len(fields)) if read else None
    if columns is None:
        columns = _fetched(connection, sql, params, len(fields))
    return [column.astype(dtype) for column, dtype in zip(columns, dtypes, strict=True)]


def _table(cursor, width: int) -> np.ndarray:
    """The executed cursor's rows of `width` integers, in blocks of `_CHUNK` straight into numpy
    (`values_list` would pass every value through the fields' converters in Python first)."""
    blocks = [np.zeros(0, dtype=np.int64)]
    while rows := cursor.fetchmany(_CHUNK):
        values = itertools.chain.from_iterable(rows)
        blocks.append(np.fromiter(values, dtype=np.int64, count=len(rows) * width))
    return np.concatenate(blocks).reshape(-1, width)


def _fetched(connection, sql: str, params, width: int) -> list[np.ndarray]:
    """The rows, through a plain cursor, not the server-side cursor of `.iterator()`: PostgreSQL
    plans a cursor's query for its first rows (nested loops, no index bitmap, no parallel
    workers), which made these reads 2-3x slower."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(_table(cursor, width).T)


_HALF = 1 << 31


def _packed(connection, sql: str, params, width: int) -> list[np.ndarray] | None:
    """The columns two by two in one integer (the first in the high 32 bits, the second plus
    2^31 in the low ones), each packed column as one text of numbers (`group_concat`) that numpy
    parses. None when a pair does not fit (it comes as NULL, which `group_concat` leaves out)
    or a text would pass SQLite's length limit (a billion bytes)."""
    names = [f"c{i}" for i in range(width)]
    fits = f"BETWEEN -{_HALF} AND {_HALF - 1}"
    values = [
        f"CASE WHEN {a} {fits} AND {b} {fits} THEN ({a} << 32) + ({b} + {_HALF}) END"
        for a, b in zip(names[0::2], names[1::2], strict=False)
    ] + names[width - width % 2 :]
    texts = ", ".join(f"group_concat({value})" for value in values)
    sql = f"WITH q ({', '.join(names)}) AS ({sql}) SELECT count(*), {texts} FROM q"
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count, *texts = cursor.fetchone()
    except DataError:  # string or blob too big
        return None
    packed = [np.fromstring(text or "", sep=",", dtype=np.int64) for text in texts]
    if any(column.size != count for column in packed):
        return None
    columns = []
    for pair in packed[: width // 2]:
        columns += [pair >> 32, (pair & 0xFFFFFFFF) - _HALF]
    return columns + packed[width // 2 :]


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


def _aggregated(connection, sql: str, params, width: int) -> list[np.ndarray] | None:
    """The columns as int8 arrays made by the server (one query), or None when an array would
    pass PostgreSQL's limit (outside a transaction the refused query leaves nothing behind, so
    the rows can be fetched instead)."""
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
