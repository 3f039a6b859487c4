"""Human answers combined with a model prior, one item at a time (dynamic overlap).

Each worker follows the one-coin model: right with accuracy ``a_w``, else any other
label evenly. An item's posterior is ``prior(y) * prod_w lik_w(y)`` where the prior is
the model's (out-of-sample) probabilities mixed with a little uniform mass, or uniform
when there is no model or the answer must not lean on it (held-out and audit items).
People are asked one at a time until the posterior reaches the stop confidence.

Worker accuracies are re-estimated with :class:`OneCoinDawidSkene` from
:mod:`crowdloop.algorithms.truth`, with the model taking part as one more pseudo-worker
(its votes are never counted as paid answers).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from crowdloop.ai.crowd_sim import SimulatedCrowd
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.truth import OneCoinDawidSkene

__all__ = ["Labeller"]

FloatArray = NDArray[np.float64]

#: Uniform mass mixed into a model prior, so a confident wrong model can be overruled.
PRIOR_FLOOR = 0.1


class Labeller:
    """Collects answers from a :class:`SimulatedCrowd` and keeps per-item posteriors."""

    def __init__(
        self, crowd: SimulatedCrowd, *, prior_accuracy: float = 0.7, max_overlap: int = 5
    ) -> None:
        self.crowd = crowd
        self.k = crowd.n_labels
        self.max_overlap = max_overlap
        self.worker_accuracy = np.full(crowd.n_workers, prior_accuracy)
        self.answers: dict[int, list[tuple[int, int]]] = {}
        self.priors: dict[int, FloatArray] = {}
        self.model_votes: dict[int, int] = {}

    def label(self, item: int, stop: float, prior: FloatArray | None = None) -> None:
        """Ask people about ``item`` until its posterior reaches ``stop``."""
        if prior is not None:
            p = np.nan_to_num(prior, nan=1.0 / self.k)
            self.priors[item] = (1.0 - PRIOR_FLOOR) * p / max(p.sum(), 1e-12) + PRIOR_FLOOR / self.k
            self.model_votes[item] = int(np.argmax(p))
        got = self.answers.setdefault(item, [])
        while len(got) < self.max_overlap and self.posterior(item).max() < stop:
            answer = self.crowd.ask(item)
            if answer is None:
                break
            got.append(answer)

    def posterior(self, item: int) -> FloatArray:
        """Posterior over labels, shape (n_labels,)."""
        log_post = np.log(self.priors.get(item, np.full(self.k, 1.0 / self.k)))
        for worker, label in self.answers.get(item, []):
            a = float(self.worker_accuracy[worker])
            wrong = np.log(max((1.0 - a) / max(self.k - 1, 1), 1e-12))
            lik = np.full(self.k, wrong)
            lik[label] = np.log(max(a, 1e-12))
            log_post += lik
        log_post -= log_post.max()
        post = np.exp(log_post)
        return np.asarray(post / post.sum(), dtype=np.float64)

    def labels_of(self, items: list[int]) -> tuple[NDArray[np.int64], FloatArray]:
        """Most probable label and its posterior for each item."""
        posts = np.array([self.posterior(i) for i in items]).reshape(len(items), self.k)
        return posts.argmax(axis=1).astype(np.int64), posts.max(axis=1, initial=0.0)

    def refresh_accuracy(self) -> None:
        """Re-estimate worker accuracies (one-coin Dawid-Skene; the model as a pseudo-worker)."""
        items = [i for i, got in self.answers.items() for _ in got]
        workers = [w for got in self.answers.values() for w, _ in got]
        labels = [y for got in self.answers.values() for _, y in got]
        model = self.crowd.n_workers
        for item, vote in self.model_votes.items():
            if self.answers.get(item):
                items.append(item)
                workers.append(model)
                labels.append(vote)
        if not items:
            return
        task_codes = {t: c for c, t in enumerate(dict.fromkeys(items))}
        answers = Answers(
            np.array([task_codes[t] for t in items], dtype=np.int64),
            np.array(workers, dtype=np.int64),
            np.array(labels, dtype=np.int64),
            len(task_codes),
            model + 1,
            self.k,
        )
        fitted = OneCoinDawidSkene().fit(answers)
        seen = np.bincount(answers.worker_idx, minlength=model + 1)[:model] > 0
        est = np.clip(fitted.worker_accuracy_[:model], 1.0 / self.k, 0.99)
        self.worker_accuracy = np.where(seen, est, self.worker_accuracy)
