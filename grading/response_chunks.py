"""Reading the rows (labels, consensus, adjudication items) of many responses, a chunk of
responses per query."""

from collections.abc import Iterable, Iterator

from django.db.models import Q

CHUNK = 900  # responses per query (SQLite binds at most 32766 variables per statement)


def response_chunks(
    response_ids: Iterable[int], size: int = CHUNK
) -> Iterator[tuple[list[int], Q]]:
    """The ids, sorted and cut into chunks, each with the filter on `response_id` of its rows.

    The filter bounds the list by its lowest and highest id too. Without statistics on the
    column (a table filled in the same transaction, as by an import, or never analysed)
    PostgreSQL takes a list of hundreds of ids to match most rows, and reads the labels through
    another index (by rater) in full for every chunk: quadratic in the size of an import. The
    range lets it use the indexes that lead with the response."""
    ids = sorted(set(response_ids))
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        yield chunk, Q(response_id__in=chunk, response_id__gte=chunk[0], response_id__lte=chunk[-1])
