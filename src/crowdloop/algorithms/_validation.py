"""Input checks and small shared helpers for the numeric core (no public API)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

IntArray: TypeAlias = NDArray[np.int64]
FloatArray: TypeAlias = NDArray[np.float64]
Gold: TypeAlias = Mapping[int, int] | Sequence[int] | NDArray[np.integer] | None
NumericGold: TypeAlias = Mapping[int, float] | Sequence[float] | NDArray[np.floating] | None
RandomState: TypeAlias = int | np.random.Generator | None

UNKNOWN = -1


def as_code_array(name: str, values: object) -> IntArray:
    """Return ``values`` as a read-only int64 view (a copy only if the dtype differs)."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got {arr.ndim} dimensions")
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array, got {arr.dtype}")
    out = arr.astype(np.int64, copy=False).view()
    out.setflags(write=False)
    return out


def as_value_array(name: str, values: object) -> FloatArray:
    """Return ``values`` as a read-only finite float64 view."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got {arr.ndim} dimensions")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers")
    out = arr.view()
    out.setflags(write=False)
    return out


def check_range(name: str, arr: IntArray, size: int, size_name: str) -> None:
    """Raise ``ValueError`` unless every code in ``arr`` lies in ``0..size-1``."""
    if size < 0:
        raise ValueError(f"{size_name} must be >= 0, got {size}")
    if arr.size == 0:
        return
    if int(arr.min()) < 0:
        raise ValueError(f"{name} contains negative values")
    if int(arr.max()) >= size:
        raise ValueError(f"{name} contains codes >= {size_name} ({size})")


def gold_array(gold: Gold, n_tasks: int, n_labels: int) -> IntArray:
    """Normalise ``gold`` to an int64 array of length ``n_tasks`` (-1 = unknown)."""
    out = np.full(n_tasks, UNKNOWN, dtype=np.int64)
    if gold is None:
        return out
    if isinstance(gold, Mapping):
        tasks = np.fromiter((int(k) for k in gold), dtype=np.int64, count=len(gold))
        labels = np.fromiter((int(v) for v in gold.values()), dtype=np.int64, count=len(gold))
        check_range("gold task", tasks, n_tasks, "n_tasks")
        out[tasks] = labels
    else:
        arr = np.asarray(gold)
        if arr.shape != (n_tasks,):
            raise ValueError(f"gold array must have shape ({n_tasks},), got {arr.shape}")
        out[:] = arr
    if out.size and (int(out.min()) < UNKNOWN or int(out.max()) >= n_labels):
        raise ValueError(f"gold labels must be -1 (unknown) or codes < n_labels ({n_labels})")
    return out


def numeric_gold_array(gold: NumericGold, n_tasks: int) -> FloatArray:
    """Normalise numeric ``gold`` to a float64 array of length ``n_tasks`` (NaN = unknown)."""
    out = np.full(n_tasks, np.nan)
    if gold is None:
        return out
    if isinstance(gold, Mapping):
        tasks = np.fromiter((int(k) for k in gold), dtype=np.int64, count=len(gold))
        check_range("gold task", tasks, n_tasks, "n_tasks")
        out[tasks] = np.fromiter((float(v) for v in gold.values()), dtype=np.float64)
        return out
    arr = np.asarray(gold, dtype=np.float64)
    if arr.shape != (n_tasks,):
        raise ValueError(f"gold array must have shape ({n_tasks},), got {arr.shape}")
    out[:] = arr
    return out


def rng_from(random_state: RandomState) -> np.random.Generator:
    """Normalise ``random_state`` once, never touching the global RNG."""
    return np.random.default_rng(random_state)


_CHUNK = 1 << 20


def count_codes(codes: IntArray, size: int) -> IntArray:
    """``np.bincount(codes, minlength=size)`` in chunks of 2**20 rows.

    ``np.bincount`` copies a read-only input (the frozen ``Answers`` arrays) in full;
    chunking bounds that copy at 8 MB.
    """
    out = np.zeros(size, dtype=np.int64)
    for start in range(0, codes.size, _CHUNK):
        out += np.bincount(codes[start : start + _CHUNK], minlength=size)
    return out
