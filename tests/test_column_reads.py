"""Integer columns of a query as numpy arrays: the same values on every database, whichever way
they are read (PostgreSQL: arrays made by the server; SQLite: texts of packed numbers; past
their limits: rows)."""

import sqlite3

import numpy as np
import pytest
from django.db import DatabaseError, connection

from curation.models import Criterion
from grading import column_reads
from grading.column_reads import read_columns
from grading.models import Label
from tests.factories import LabelFactory
from tests.stats_support import build

FIELDS = ("rater_id", "response_id", "criterion_id")
TOO_LARGE = "SELECT array_fill(0::int8, ARRAY[200000000])"  # more than an array holds

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's arrays (the suite runs there in CI)"
)


def spy(function, calls: list):
    def called(*args):
        calls.append(args)
        return function(*args)

    return called


def rows_of(columns) -> list[tuple]:
    return sorted(zip(*(column.tolist() for column in columns), strict=True))


def expected(queryset) -> list[tuple]:
    return sorted(queryset.values_list(*FIELDS))


def test_columns_hold_the_rows_of_the_query_with_their_types(benchmark):
    build(benchmark)
    labels = Label.objects.filter(calibration=False)
    columns = read_columns(labels, (*FIELDS, "pk"), (np.int64, np.int32, np.int64, float))
    assert [column.dtype for column in columns] == [np.int64, np.int32, np.int64, float]
    assert rows_of(columns[:3]) == expected(labels)
    assert len(columns[3]) == labels.count() > 0


def test_negative_values_and_an_odd_number_of_columns_come_back_as_they_are(benchmark):
    example = build(benchmark)  # criterion points are 1, 1, 2 and -1
    criteria = Criterion.objects.filter(version__in=example.versions.values())
    fields = ("points", "pk", "version_id")
    columns = read_columns(criteria, fields, (np.int64,) * 3)
    assert rows_of(columns) == sorted(criteria.values_list(*fields))
    assert min(columns[0]) == -1


def test_values_past_32_bits_are_read_too(benchmark, monkeypatch):
    """SQLite packs two columns in one integer while they fit in 32 bits each; past that the
    rows are fetched unpacked."""
    build(benchmark)
    LabelFactory(pk=2**33, response__pk=2**32 + 5)
    fetched = []
    monkeypatch.setattr(column_reads, "_fetched", spy(column_reads._fetched, fetched))
    labels = Label.objects.all()
    columns = read_columns(labels, ("pk", *FIELDS), (np.int64,) * 4)
    assert rows_of(columns) == sorted(labels.values_list("pk", *FIELDS))
    assert max(columns[0]) == 2**33
    assert len(fetched) == (1 if connection.vendor == "sqlite" else 0)


@pytest.mark.parametrize("filters", [{"pk__in": []}, {"pk": -1}])
def test_a_query_without_rows_gives_empty_columns(benchmark, filters):
    build(benchmark)
    columns = read_columns(Label.objects.filter(**filters), FIELDS, (np.int64,) * 3)
    assert [column.size for column in columns] == [0, 0, 0]


@on_postgresql
def test_past_an_arrays_limit_the_rows_are_fetched(transactional_db, benchmark, monkeypatch):
    build(benchmark)
    seen = []

    def too_large(sql, width):
        seen.append(sql)
        return TOO_LARGE

    monkeypatch.setattr(column_reads, "_arrays_sql", too_large)
    columns = read_columns(Label.objects.all(), FIELDS, (np.int64,) * 3)
    assert seen
    assert rows_of(columns) == expected(Label.objects.all())


@on_postgresql
def test_inside_a_transaction_the_limit_is_an_error(benchmark, monkeypatch):
    """A refused query spoils the transaction around it: no fetching rows after it."""
    build(benchmark)
    monkeypatch.setattr(column_reads, "_arrays_sql", lambda sql, width: TOO_LARGE)
    with pytest.raises(DatabaseError, match="array size exceeds"):
        read_columns(Label.objects.all(), FIELDS, (np.int64,) * 3)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's texts of numbers")
def test_past_sqlites_length_limit_the_rows_are_fetched(benchmark, monkeypatch):
    build(benchmark)
    connection.ensure_connection()
    limit = sqlite3.SQLITE_LIMIT_LENGTH
    before = connection.connection.getlimit(limit)
    connection.connection.setlimit(limit, 100)  # bytes: the labels' texts are longer
    fetched = []
    monkeypatch.setattr(column_reads, "_fetched", spy(column_reads._fetched, fetched))
    try:
        columns = read_columns(Label.objects.all(), FIELDS, (np.int64,) * 3)
    finally:
        connection.connection.setlimit(limit, before)
    assert rows_of(columns) == expected(Label.objects.all())
    assert len(fetched) == 1
