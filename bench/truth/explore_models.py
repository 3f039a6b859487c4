"""Models tried for the default method and not shipped: accuracy, held-out fit, calibration.

Reproduces the "what was tried" figures of docs/benchmarks/truth.md (no gold given to
any model; gold only scores). Usage::

    cd bench/truth && PYTHONPATH=../../src:. ../../.venv/bin/python explore_models.py

* EBCC (Li, Rubinstein & Cohn, ICML 2019): each class has ``M`` subtypes, each worker a
  confusion row per (class, subtype); mean-field VB with the paper's default prior
  (a_pi=0.1, alpha=1, a_v=4, b_v=1), subtypes initialised at random (seed 1234).
  Written from the model description, vectorised on the sparse answer matrix.
* Held-out answer log-likelihood (5 folds over answers): fit on 4/5, score
  ``log sum_k p(k | other answers) pi_w[k, answer]`` on the held-out fifth.
* Calibration on the gold tasks: log-loss, Brier score, expected calibration error.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np
from common import CATEGORICAL, CROWDKIT_DS, load
from numpy.typing import NDArray
from scipy.special import digamma

from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.metrics import accuracy
from crowdloop.algorithms.truth import MACE, Auto, DawidSkene, OneCoinDawidSkene
from crowdloop.algorithms.truth.base import design_matrix, vote_posteriors

Array = NDArray[np.float64]


def ebcc(a: Answers, m: int = 10, a_pi: float = 0.1, alpha: float = 1.0,
         a_v: float = 4.0, b_v: float = 1.0, seed: int = 1234) -> Array:  # fmt: skip
    k, w, t = a.n_labels, a.n_workers, a.n_tasks
    design = design_matrix(a)
    design_t = design.T.tocsr()
    z = vote_posteriors(a)
    g = np.random.default_rng(seed).dirichlet(np.ones(m), size=(t, k)) * z[:, :, None]
    beta = np.eye(k) * (a_v - b_v) + b_v
    for _ in range(500):
        eta, nu = a_pi / m + g.sum(axis=0), alpha + z.sum(axis=0)
        counts = (design_t @ g.reshape(t, k * m)).reshape(w, k, k, m)  # [w, answer, true, sub]
        mu = counts.transpose(0, 2, 3, 1) + beta[None, :, None, :]  # [w, true, sub, answer]
        e_log_v = digamma(mu) - digamma(mu.sum(axis=-1, keepdims=True))
        e_log_pi = digamma(eta) - digamma(eta.sum(axis=-1, keepdims=True))
        e_log_tau = digamma(nu) - digamma(nu.sum())
        flat = e_log_v.transpose(0, 3, 1, 2).reshape(w * k, k * m)
        log_g = (design @ flat).reshape(t, k, m) + e_log_pi[None] + e_log_tau[None, :, None]
        log_g -= log_g.reshape(t, -1).max(axis=1)[:, None, None]
        g = np.exp(log_g)
        g /= g.reshape(t, -1).sum(axis=1)[:, None, None]
        z_old, z = z, g.sum(axis=-1)
        if np.allclose(z_old, z, atol=1e-3):
            break
    return z


def heldout_ll(a: Answers, make: Callable[[], Any], folds: int = 5) -> float:
    fold = np.random.default_rng(0).integers(0, folds, a.n_answers)
    total = 0.0
    for i in range(folds):
        train, test = fold != i, fold == i
        part = Answers(a.task_idx[train], a.worker_idx[train], a.label_idx[train],
                       a.n_tasks, a.n_workers, a.n_labels)  # fmt: skip
        est = make().fit(part)
        post = est.posteriors_[a.task_idx[test]]
        conf = est.confusion_[a.worker_idx[test], :, a.label_idx[test]]
        total += float(np.log(np.maximum((post * conf).sum(axis=1), 1e-300)).sum())
    return total / a.n_answers


def calibration(post: Array, gold: NDArray[np.int64]) -> tuple[float, float, float]:
    known = gold >= 0
    p, y = post[known], gold[known]
    log_loss = float(-np.mean(np.log(np.maximum(p[np.arange(y.size), y], 1e-12))))
    brier = float(np.mean(((p - np.eye(p.shape[1])[y]) ** 2).sum(axis=1)))
    conf, right = p.max(axis=1), p.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, 11)
    ece = sum(float(np.mean(b) * abs(conf[b].mean() - right[b].mean()))
              for lo, hi in pairwise(edges)
              if np.any(b := (conf > lo) & (conf <= hi)))  # fmt: skip
    return log_loss, brier, ece


def main() -> None:
    warnings.simplefilter("ignore")
    data = {name: load(name) for name in CATEGORICAL}
    print("| model | " + " | ".join(CATEGORICAL) + " | mean | worst gap to crowd-kit DS |")
    print("|---|" + "---:|" * (len(CATEGORICAL) + 2))
    for m in (1, 2, 3, 10):
        accs = [accuracy(data[n].gold, ebcc(data[n].answers, m=m).argmax(axis=1))
                for n in CATEGORICAL]  # fmt: skip
        gap = min(x - CROWDKIT_DS[n] for x, n in zip(accs, CATEGORICAL, strict=True))
        cells = " | ".join(f"{x:.4f}" for x in accs)
        print(f"| EBCC M={m} | {cells} | **{np.mean(accs):.4f}** | {gap:+.4f} |", flush=True)
    models: dict[str, Callable[[], Any]] = {
        "auto (hierarchical DS)": Auto,
        "ds (MAP, smoothing 0.01)": DawidSkene,
        "previous auto (VB DS, fixed prior)": lambda: DawidSkene(
            estimate="vb", smoothing=0.05, shrinkage=2.0, diagonal=1.0
        ),
        "one_coin": OneCoinDawidSkene,
        "mace": MACE,
    }
    print("\nHeld-out answer log-likelihood per answer (higher is better)")
    print("| model | " + " | ".join(CATEGORICAL) + " |")
    print("|---|" + "---:|" * len(CATEGORICAL))
    for label, make in models.items():
        cells = " | ".join(f"{heldout_ll(data[n].answers, make):.4f}" for n in CATEGORICAL)
        print(f"| {label} | {cells} |", flush=True)
    print("\nCalibration on gold tasks: log-loss / Brier / ECE (lower is better)")
    print("| model | " + " | ".join(CATEGORICAL) + " |")
    print("|---|" + "---:|" * len(CATEGORICAL))
    for label, make in models.items():
        scores = [calibration(make().fit(data[n].answers).posteriors_, data[n].gold)
                  for n in CATEGORICAL]  # fmt: skip
        cells = " | ".join(f"{a:.3f} / {b:.3f} / {c:.3f}" for a, b, c in scores)
        print(f"| {label} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
