"""Lean sparse kernels shared by the Dawid-Skene family (no public API).

Memory is what limits a 1M-task project, so the working set is kept small:

* the answer matrix ``A`` (n_tasks x n_workers*n_labels) is built straight into CSR form
  (no COO triplets, no sort when the answers arrive ordered by task), with int32 indices
  when they fit and float32 counts;
* per-task arrays live in float32 while EM iterates (log-probabilities are summed over
  at most a few hundred answers per task, far inside float32's 7 significant digits);
  worker and class statistics are accumulated and kept in float64;
* one (n_tasks, n_labels) buffer at a time: the E-step's product is normalised in place.

Each product ``A @ X`` or ``A.T @ X`` is a single pass over the answers with all classes
at once (scipy's ``csr_matvecs``), so an EM iteration reads the answers twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from crowdloop.algorithms._validation import FloatArray, IntArray, count_codes
from crowdloop.algorithms.answers import Answers

if TYPE_CHECKING:  # scipy is imported where it is used: a CLI command that never fits
    from scipy import sparse  # a model never pays for it

__all__ = ["WORK", "WorkArray", "answer_matrix", "clamp", "e_step", "expected_counts", "votes"]

#: Working precision of per-task arrays during EM.
WORK = np.float32
WorkArray: TypeAlias = NDArray[np.float32]


def answer_matrix(answers: Answers) -> sparse.csr_array:
    """CSR counts ``A[t, w * n_labels + l]`` (float32), built in O(n_answers) time.

    When ``task_idx`` is already sorted the column array is the only copy made;
    otherwise a stable argsort by task orders it first.
    """
    k = max(answers.n_labels, 1)
    n_cols, n_rows = answers.n_workers * k, answers.n_tasks
    small = max(n_cols, answers.n_answers, n_rows) < 2**31 - 1
    index: np.dtype[Any] = np.dtype(np.int32) if small else np.dtype(np.int64)
    task = answers.task_idx
    col: NDArray[np.integer[Any]] = answers.worker_idx.astype(index)
    col *= k
    np.add(col, answers.label_idx, out=col, casting="unsafe")
    if task.size > 1 and bool(np.any(task[1:] < task[:-1])):
        col = col[np.argsort(task, kind="stable")]
    counts = count_codes(task, n_rows)
    np.cumsum(counts, out=counts)
    indptr = np.zeros(n_rows + 1, dtype=index)
    indptr[1:] = counts
    del counts
    data = np.ones(col.size, dtype=WORK)
    from scipy import sparse  # lazy: scipy only when used

    return sparse.csr_array((data, col, indptr), shape=(n_rows, n_cols), copy=False)


def votes(matrix: sparse.csr_array, n_labels: int) -> WorkArray:
    """Vote shares per task (float32, column-major); tasks without answers are uniform."""
    post = np.empty((matrix.shape[0], n_labels), dtype=WORK, order="F")
    cols = np.arange(matrix.shape[1])
    for j in range(n_labels):
        post[:, j] = matrix @ (cols % n_labels == j).astype(WORK)
    total = _row_sum(post)
    empty = total <= 0
    post[empty] = 1.0
    total[empty] = n_labels
    post /= total[:, None]
    return post


def clamp(post: WorkArray, gold: IntArray) -> WorkArray:
    """One-hot rows for known-gold tasks (in place)."""
    known = np.flatnonzero(gold >= 0)
    if known.size:
        post[known] = 0.0
        post[known, gold[known]] = 1.0
    return post


def _row_sum(post: WorkArray) -> WorkArray:
    """Row sums of a column-major array, column by column (contiguous, no temporaries)."""
    total = post[:, 0].copy()
    for j in range(1, post.shape[1]):
        total += post[:, j]
    return total


def e_step(
    matrix: sparse.csr_array, log_conf: FloatArray, log_prior: FloatArray, gold: IntArray
) -> tuple[WorkArray, float]:
    """Posteriors from log confusions ``[w, answer, true]`` and log class priors.

    Returns float32 column-major posteriors (n_tasks, n_labels) and the observed-data
    log-likelihood.
    """
    k = log_prior.size
    flat = np.asfortranarray(log_conf.reshape(-1, k), dtype=WORK)
    post = np.empty((matrix.shape[0], k), dtype=WORK, order="F")
    if post.size == 0:
        return post, 0.0
    for j in range(k):
        post[:, j] = matrix @ flat[:, j]
    top = post[:, 0] + np.float32(log_prior[0])
    for j in range(k):
        post[:, j] += np.float32(log_prior[j])
        np.maximum(top, post[:, j], out=top)
    for j in range(k):
        post[:, j] -= top
    np.exp(post, out=post)
    total = _row_sum(post)
    post /= total[:, None]
    ll = float(top.sum(dtype=np.float64) + np.log(total).sum(dtype=np.float64))
    return clamp(post, gold), ll


def expected_counts(matrix: sparse.csr_array, post: WorkArray) -> FloatArray:
    """Expected answer counts ``[w, answer, true]`` (float64) under ``post``."""
    k = post.shape[1]
    flat = np.asarray(matrix.T @ np.ascontiguousarray(post), dtype=np.float64)
    return flat.reshape(-1, k, k)
