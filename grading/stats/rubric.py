"""The rubric rows of a benchmark: one per (response, criterion of the response's case version),
joined in numpy from the responses and the criteria as read from the database."""

from dataclasses import dataclass

import numpy as np

from .arrays import ItemRows


@dataclass(frozen=True)
class Rubric(ItemRows):
    """One row per criterion of the rubric version of every response."""

    response: np.ndarray  # response id
    criterion: np.ndarray  # criterion id
    points: np.ndarray  # the criterion's points
    version: np.ndarray  # case version id
    case: np.ndarray  # case id (the resampling unit of intervals)
    model: np.ndarray  # model id


def rubric_rows(*, response, version, case, model, criterion, criterion_version, points) -> Rubric:
    """Each response (`response`, with its case `version`, `case` and `model`) repeated once per
    criterion of its version (`criterion`, `criterion_version`, `points`)."""
    order = np.argsort(criterion_version, kind="stable")
    criterion, criterion_version, points = (
        criterion[order],
        criterion_version[order],
        points[order],
    )
    start = np.searchsorted(criterion_version, version, side="left")
    length = np.searchsorted(criterion_version, version, side="right") - start
    per_row = np.repeat(np.arange(response.size), length)
    offset = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    rows = np.repeat(start, length) + offset
    return Rubric(
        response=response[per_row],
        criterion=criterion[rows],
        points=points[rows],
        version=version[per_row],
        case=case[per_row],
        model=model[per_row],
    )
