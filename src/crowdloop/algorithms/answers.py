"""Integer-coded crowd answers and the codebooks that map platform ids to codes.

The numeric core never sees database ids: a domain service converts ids to codes once
with :class:`Codebook` (or :meth:`Answers.from_records`) and decodes the results.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from crowdloop.algorithms._validation import (
    FloatArray,
    IntArray,
    as_code_array,
    as_value_array,
    check_range,
)

__all__ = ["Answers", "Codebook", "NumericAnswers", "dedupe"]


class Codebook:
    """Bijection between hashable ids and codes ``0..n-1``.

    Ids are ordered by ``sorted`` when they are mutually comparable, else by first
    appearance, so the same set of ids always gets the same codes.

    >>> cb = Codebook(["b", "a", "b"])
    >>> cb.encode(["a", "b"]).tolist(), cb.decode(np.array([1]))
    ([0, 1], ['b'])
    """

    def __init__(self, ids: Iterable[Hashable] = (), *, keep_order: bool = False) -> None:
        unique = list(dict.fromkeys(ids))
        if not keep_order:
            with contextlib.suppress(TypeError):
                unique = sorted(unique)  # type: ignore[type-var]
        self._ids: list[Hashable] = unique

    @cached_property
    def _codes(self) -> dict[Hashable, int]:
        return {v: i for i, v in enumerate(self._ids)}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, item: object) -> bool:
        return item in self._codes

    @property
    def ids(self) -> list[Hashable]:
        """The ids in code order (a copy)."""
        return list(self._ids)

    def encode(self, ids: Iterable[Hashable]) -> IntArray:
        """Codes of ``ids``; raises ``ValueError`` naming the first unknown id."""
        codes = self._codes
        try:
            return np.fromiter((codes[i] for i in ids), dtype=np.int64)
        except KeyError as exc:
            raise ValueError(f"unknown id {exc.args[0]!r}") from None

    def encode_indexed(self, ids: Sequence[Hashable], index: Iterable[int] | IntArray) -> IntArray:
        """Codes of ``ids[i] for i in index``, looking each of ``ids`` up once and gathering
        with numpy: for a dictionary-encoded column (distinct ``ids``, one index per row).
        When ``ids`` are this codebook's ids in code order, ``index`` is returned as the
        codes (as int64, a view when it is int64 already); out-of-range indices raise.

        >>> Codebook(["a", "b"]).encode_indexed(["b", "a"], [0, 0, 1]).tolist()
        [1, 1, 0]
        """
        codes = np.asarray(index, dtype=np.int64)
        check_range("index", codes, len(ids), "len(ids)")
        if isinstance(ids, list) and ids == self._ids:
            return codes
        return self.encode(ids)[codes]

    def decode(self, codes: Iterable[int] | IntArray) -> list[Hashable]:
        """Ids of ``codes``; raises ``ValueError`` for a code outside ``0..len-1``."""
        arr = np.asarray(codes, dtype=np.int64)
        check_range("codes", arr, len(self._ids), "len(codebook)")
        ids = self._ids
        return [ids[c] for c in arr.tolist()]


@dataclass(frozen=True)
class Answers:
    """Categorical answers: row ``i`` says worker ``worker_idx[i]`` gave task
    ``task_idx[i]`` the label ``label_idx[i]``.

    Arrays are int64, equal length, read-only views (the caller's arrays are never
    modified or copied unless their dtype differs).
    """

    task_idx: IntArray
    worker_idx: IntArray
    label_idx: IntArray
    n_tasks: int
    n_workers: int
    n_labels: int

    def __post_init__(self) -> None:
        t = as_code_array("task_idx", self.task_idx)
        w = as_code_array("worker_idx", self.worker_idx)
        y = as_code_array("label_idx", self.label_idx)
        if not t.size == w.size == y.size:
            raise ValueError(
                "task_idx, worker_idx and label_idx must have equal lengths, "
                f"got {t.size}, {w.size} and {y.size}"
            )
        check_range("task_idx", t, int(self.n_tasks), "n_tasks")
        check_range("worker_idx", w, int(self.n_workers), "n_workers")
        check_range("label_idx", y, int(self.n_labels), "n_labels")
        for name, value in (("task_idx", t), ("worker_idx", w), ("label_idx", y)):
            object.__setattr__(self, name, value)
        for name in ("n_tasks", "n_workers", "n_labels"):
            object.__setattr__(self, name, int(getattr(self, name)))

    @property
    def n_answers(self) -> int:
        """Number of answer rows."""
        return int(self.task_idx.size)

    @classmethod
    def from_records(
        cls,
        tasks: Sequence[Hashable],
        workers: Sequence[Hashable],
        labels: Sequence[Hashable],
        *,
        labels_order: Sequence[Hashable] | None = None,
    ) -> tuple[Answers, Codebook, Codebook, Codebook]:
        """Encode parallel id sequences; ``labels_order`` fixes the label codes
        (labels outside it raise ``ValueError``) and may include unused classes."""
        if not len(tasks) == len(workers) == len(labels):
            raise ValueError(
                "tasks, workers and labels must have equal lengths, "
                f"got {len(tasks)}, {len(workers)} and {len(labels)}"
            )
        task_cb, worker_cb = Codebook(tasks), Codebook(workers)
        if labels_order is None:
            label_cb = Codebook(labels)
        else:
            label_cb = Codebook(labels_order, keep_order=True)
            if len(label_cb) != len(labels_order):
                raise ValueError("labels_order contains duplicates")
        try:
            label_codes = label_cb.encode(labels)
        except ValueError as exc:
            raise ValueError(f"label not in labels_order: {exc}") from None
        answers = cls(
            task_cb.encode(tasks),
            worker_cb.encode(workers),
            label_codes,
            len(task_cb),
            len(worker_cb),
            len(label_cb),
        )
        return answers, task_cb, worker_cb, label_cb


@dataclass(frozen=True)
class NumericAnswers:
    """Numeric answers: worker ``worker_idx[i]`` gave task ``task_idx[i]`` the finite
    value ``values[i]``."""

    task_idx: IntArray
    worker_idx: IntArray
    values: FloatArray
    n_tasks: int
    n_workers: int

    def __post_init__(self) -> None:
        t = as_code_array("task_idx", self.task_idx)
        w = as_code_array("worker_idx", self.worker_idx)
        v = as_value_array("values", self.values)
        if not t.size == w.size == v.size:
            raise ValueError(
                "task_idx, worker_idx and values must have equal lengths, "
                f"got {t.size}, {w.size} and {v.size}"
            )
        check_range("task_idx", t, int(self.n_tasks), "n_tasks")
        check_range("worker_idx", w, int(self.n_workers), "n_workers")
        for name, value in (("task_idx", t), ("worker_idx", w), ("values", v)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "n_tasks", int(self.n_tasks))
        object.__setattr__(self, "n_workers", int(self.n_workers))

    @property
    def n_answers(self) -> int:
        """Number of answer rows."""
        return int(self.task_idx.size)

    @classmethod
    def from_records(
        cls,
        tasks: Sequence[Hashable],
        workers: Sequence[Hashable],
        values: Sequence[float],
    ) -> tuple[NumericAnswers, Codebook, Codebook]:
        """Encode parallel sequences of task ids, worker ids and numbers."""
        if not len(tasks) == len(workers) == len(values):
            raise ValueError(
                "tasks, workers and values must have equal lengths, "
                f"got {len(tasks)}, {len(workers)} and {len(values)}"
            )
        task_cb, worker_cb = Codebook(tasks), Codebook(workers)
        answers = cls(
            task_cb.encode(tasks),
            worker_cb.encode(workers),
            np.asarray(values, dtype=np.float64),
            len(task_cb),
            len(worker_cb),
        )
        return answers, task_cb, worker_cb


def _pair_keys(task_idx: IntArray, worker_idx: IntArray, n_workers: int) -> IntArray:
    key = task_idx * max(n_workers, 1)
    key += worker_idx
    return key


def _kept_rows(
    task_idx: IntArray, worker_idx: IntArray, n_workers: int, keep: str
) -> IntArray | None:
    """Rows to keep in order, or None when no (task, worker) pair repeats.

    An in-place sort of the pair keys tells whether any pair repeats (one array of the
    answers' length); only then a stable argsort (equal keys stay in row order) finds them.
    """
    key = _pair_keys(task_idx, worker_idx, n_workers)
    key.sort()
    if not (key[1:] == key[:-1]).any():
        return None
    key = _pair_keys(task_idx, worker_idx, n_workers)
    order = np.argsort(key, kind="stable")
    key = key[order]
    repeated = key[1:] == key[:-1]  # order[i] and order[i + 1] are the same pair
    del key
    dropped = order[:-1][repeated] if keep == "last" else order[1:][repeated]
    kept = np.ones(task_idx.size, dtype=bool)
    kept[dropped] = False
    return np.flatnonzero(kept)


def dedupe(
    answers: Answers | NumericAnswers, keep: Literal["first", "last"] = "last"
) -> tuple[Answers | NumericAnswers, int]:
    """Drop repeated (task, worker) pairs, keeping the ``keep`` occurrence.

    Returns the de-duplicated answers (original row order) and the number removed.
    """
    if keep not in ("first", "last"):
        raise ValueError(f"keep must be 'first' or 'last', got {keep!r}")
    rows = _kept_rows(answers.task_idx, answers.worker_idx, answers.n_workers, keep)
    if rows is None:
        return answers, 0
    n_removed = answers.n_answers - int(rows.size)
    if isinstance(answers, Answers):
        out: Answers | NumericAnswers = Answers(
            answers.task_idx[rows],
            answers.worker_idx[rows],
            answers.label_idx[rows],
            answers.n_tasks,
            answers.n_workers,
            answers.n_labels,
        )
    else:
        out = NumericAnswers(
            answers.task_idx[rows],
            answers.worker_idx[rows],
            answers.values[rows],
            answers.n_tasks,
            answers.n_workers,
        )
    return out, n_removed
