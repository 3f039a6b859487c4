"""One-task Bayesian update: the E-step of Dawid-Skene for a single task.

Between full re-fits, worker confusion matrices and class priors are held fixed, and a task's
posterior after a new answer is exact under the model:

    log p(true = c | answers) = log prior_c + sum_a log confusion[a, c, label_a] + const.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_EPS = 1e-9


def default_confusion(n_labels: int, accuracy: float = 0.7) -> NDArray[np.float64]:
    """A symmetric confusion matrix for a worker with no fitted quality yet."""
    if n_labels < 2:
        return np.ones((max(n_labels, 1), max(n_labels, 1)))
    off = (1.0 - accuracy) / (n_labels - 1)
    conf = np.full((n_labels, n_labels), off)
    np.fill_diagonal(conf, accuracy)
    return conf


def task_posterior(
    labels: NDArray[np.int64], confusions: NDArray[np.float64], priors: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Posterior over the true label of one task.

    Parameters
    ----------
    labels : int array, shape (n_answers,), the label code of each answer.
    confusions : float array, shape (n_answers, n_labels, n_labels), ``[a, true, answer]``,
        the answering worker's confusion matrix for each answer.
    priors : float array, shape (n_labels,), class priors.

    Returns
    -------
    float array, shape (n_labels,), sums to 1.
    """
    n_labels = priors.shape[0]
    if labels.shape[0] != confusions.shape[0]:
        raise ValueError("labels and confusions must have one entry per answer")
    log_post = np.log(np.clip(priors, _EPS, None))
    if labels.size:
        picked = confusions[np.arange(labels.size), :, labels]  # (n_answers, n_labels)
        log_post = log_post + np.log(np.clip(picked, _EPS, None)).sum(axis=0)
    log_post -= log_post.max()
    post = np.exp(log_post)
    return np.asarray(post / post.sum(), dtype=np.float64).reshape(n_labels)
