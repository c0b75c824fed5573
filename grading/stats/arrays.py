"""Array helpers shared by the statistics modules: keys, label values, safe ratios."""

from typing import Self

import numpy as np

_KEY_LIMIT = 2**31


def factorize(keys) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct keys and a dense code 0..n-1 per element."""
    distinct, codes = np.unique(np.asarray(keys), return_inverse=True)
    return distinct, codes.reshape(-1)


def distinct(values) -> np.ndarray:
    """Sorted distinct values (by sorting: numpy 2's hash-based np.unique is far slower here)."""
    values = np.sort(np.asarray(values).reshape(-1))
    return values[np.r_[True, values[1:] != values[:-1]]] if values.size else values


def item_key(response, criterion) -> np.ndarray:
    """One int64 key per (response id, criterion id), equal across queries, to join label sets."""
    response = np.asarray(response, dtype=np.int64)
    criterion = np.asarray(criterion, dtype=np.int64)
    for name, ids in (("response", response), ("criterion", criterion)):
        if ids.size and (ids.min() < 0 or ids.max() >= _KEY_LIMIT):
            raise ValueError(f"{name} ids must lie in [0, 2**31)")
    return response * _KEY_LIMIT + criterion


class ItemRows:
    """Base of the frozen dataclasses of equal-length arrays with one row per (response,
    criterion) item: rubric rows, labels."""

    response: np.ndarray
    criterion: np.ndarray

    @property
    def item(self) -> np.ndarray:
        return item_key(self.response, self.criterion)

    def take(self, rows) -> Self:
        """The rows `rows` selects (a mask or indices), as the same class."""
        return type(self)(**{name: getattr(self, name)[rows] for name in self.__dataclass_fields__})

    def __len__(self) -> int:
        return self.response.size


def lookup(keys, table_keys, table_values) -> np.ndarray:
    """`table_values` at `keys` (float, NaN where a key is not in the table); table keys unique."""
    keys = np.asarray(keys, dtype=np.int64)
    table_keys = np.asarray(table_keys, dtype=np.int64)
    table_values = np.asarray(table_values, dtype=float)
    order = np.argsort(table_keys, kind="stable")
    table_keys, table_values = table_keys[order], table_values[order]
    if np.any(table_keys[1:] == table_keys[:-1]):
        raise ValueError("table_keys must be unique")
    found = np.full(keys.shape, np.nan)
    if table_keys.size:
        position = np.minimum(np.searchsorted(table_keys, keys), table_keys.size - 1)
        hit = table_keys[position] == keys
        found[hit] = table_values[position[hit]]
    return found


def binary_values(values) -> np.ndarray:
    """Labels as floats: 1.0 met, 0.0 not met, NaN no label (None and NaN both mean no label)."""
    values = np.asarray(values, dtype=float).reshape(-1)
    if not np.all(np.isnan(values) | (values == 0) | (values == 1)):
        raise ValueError("labels must be true/false, 0/1, or missing (None/NaN)")
    return values


def category_values(values, n_categories: int) -> np.ndarray:
    """Category codes as floats in 0..n_categories-1, NaN for no rating."""
    values = np.asarray(values, dtype=float).reshape(-1)
    present = values[~np.isnan(values)]
    if n_categories < 2:
        raise ValueError("there must be at least 2 categories")
    if np.any((present != np.round(present)) | (present < 0) | (present >= n_categories)):
        raise ValueError(f"ratings must be category codes 0..{n_categories - 1} or missing")
    return values


def ratio(numerator, denominator) -> np.ndarray:
    """numerator / denominator elementwise, NaN where the denominator is 0 (undefined)."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    shape = np.broadcast_shapes(numerator.shape, denominator.shape)
    out = np.full(shape, np.nan)
    np.divide(numerator, denominator, out=out, where=np.broadcast_to(denominator != 0, shape))
    return out


def finite_mean(values, axis: int) -> np.ndarray:
    """Mean along `axis` of the finite values (undefined figures left out), NaN if none."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    return ratio(np.where(finite, values, 0.0).sum(axis=axis), finite.sum(axis=axis))


def figure(value) -> float | None:
    """A scalar figure as a Python float, or None when it is undefined (NaN/inf)."""
    value = float(value)
    return value if np.isfinite(value) else None
