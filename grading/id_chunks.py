"""Reading the rows of many parents (the labels, consensus and adjudication items of responses,
the responses of case versions), a chunk of parent ids per query."""

from collections.abc import Iterable, Iterator

from django.db.models import Q

CHUNK = 900  # ids per query (SQLite binds at most 32766 variables per statement)


def id_chunks(ids: Iterable[int], field: str, size: int = CHUNK) -> Iterator[tuple[list[int], Q]]:
    """The ids, sorted and cut into chunks, each with the filter on `field` of its rows.

    The filter bounds the list by its lowest and highest id too. Without statistics on the
    column (a table filled in the same transaction or minutes before, as by an import, and not
    analysed yet) PostgreSQL takes a list of hundreds of ids to match most rows, and reads the
    whole table, or another index, for every chunk: quadratic in the size of an import. The
    range lets it use the indexes that lead with the column. None (a null column) matches
    nothing and is left out."""
    ids = sorted(set(ids) - {None})
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        yield (
            chunk,
            Q(**{f"{field}__in": chunk, f"{field}__gte": chunk[0], f"{field}__lte": chunk[-1]}),
        )
