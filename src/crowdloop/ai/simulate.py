"""The full human + AI labelling loop on a labelled text file, with a simulated crowd.

Labels are hidden from the loop and used only to score it. Steps (after SageMaker
Ground Truth's automated labelling, with a certified threshold instead of a point one):

1. A random held-out slice (``validation_share``) is labelled by people only (no model
   prior), to a high posterior; a random seed batch is labelled the same way.
2. Each round the model is trained on the inferred labels of the human-labelled items
   (never the held-out slice) and the most uncertain unlabelled items (smallest margin)
   go to people, with the model's out-of-sample probabilities as prior. A rough
   threshold estimate on one third of the held-out slice projects the total of paid
   answers; the loop stops when that projection has not fallen for two rounds, nothing
   is left below the threshold, or after ``max_rounds``.
3. The final model's threshold is certified once, at level ``delta``, on the other two
   thirds of the slice (:func:`crowdloop.algorithms.guarantee.certify_threshold`); they
   played no part in training or stopping, so the guarantee needs no correction for the
   rounds. Unlabelled items above it are auto-accepted, the rest go to people. A random
   ``audit_share`` of auto-accepted items goes to people; if the audit shows accuracy
   under the target, auto-acceptance stops and those items go to people too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crowdloop.ai.crowd_sim import LabelledText, SimulatedCrowd
from crowdloop.ai.posterior import Labeller
from crowdloop.ai.protocols import TrainablePrelabeler
from crowdloop.ai.simulate_report import baseline_overlap, summary
from crowdloop.ai.tfidf import TfidfPrelabeler
from crowdloop.algorithms.guarantee import Certificate, audit, certify_threshold
from crowdloop.algorithms.uncertainty import uncertainty_order

__all__ = ["SimulationSettings", "default_error_rates", "make_model", "run_simulation"]

IntArray = NDArray[np.int64]
#: Rounds without a fall in projected paid answers before the loop stops.
_PATIENCE = 2
#: Level of the rough threshold estimate that steers the rounds (not a guarantee).
_STEERING_DELTA = 0.5
#: Items labelled between worker re-estimates while there is no model yet.
_CHUNK = 100
Progress = Callable[[str], None]


def default_error_rates(n_workers: int = 40) -> tuple[float, ...]:
    """Honest workers 70-95% accurate: error rates evenly spaced in [0.05, 0.30]."""
    return tuple(round(float(x), 4) for x in np.linspace(0.05, 0.30, n_workers))


@dataclass(frozen=True)
class SimulationSettings:
    """Everything a run depends on (echoed in its JSON report)."""

    target_accuracy: float = 0.95
    error_rates: tuple[float, ...] = field(default_factory=default_error_rates)
    spammer_share: float = 0.1
    seed: int = 0
    model: str = "tfidf"
    max_items: int | None = None
    delta: float = 0.05
    validation_share: float = 0.1
    batch_share: float = 0.05
    audit_share: float = 0.02
    max_rounds: int = 10
    max_overlap: int = 5
    embedding_cache: str | None = None

    def validate(self) -> None:
        """Raise ``ValueError`` for settings outside their ranges."""
        checks = {
            "target_accuracy": 0.0 < self.target_accuracy < 1.0,
            "error_rates": bool(self.error_rates) and all(0 <= e <= 1 for e in self.error_rates),
            "spammer_share": 0.0 <= self.spammer_share < 1.0,
            "delta": 0.0 < self.delta < 1.0,
            "validation_share": 0.0 < self.validation_share < 1.0,
            "batch_share": 0.0 < self.batch_share <= 1.0,
            "audit_share": 0.0 <= self.audit_share <= 1.0,
            "max_rounds": self.max_rounds >= 1,
            "max_overlap": self.max_overlap >= 1,
            "max_items": self.max_items is None or self.max_items >= 2,
            "model": self.model in ("tfidf", "embeddings"),
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid simulation settings: {', '.join(bad)}")


def make_model(settings: SimulationSettings, labels: Sequence[str]) -> TrainablePrelabeler:
    """The pre-labeller named by ``settings.model``."""
    if settings.model == "embeddings":
        from crowdloop.ai.backends.embeddings import EmbeddingCache, EmbeddingPrelabeler

        return EmbeddingPrelabeler(labels, cache=EmbeddingCache(settings.embedding_cache))
    return TfidfPrelabeler(labels)


@dataclass
class _Loop:
    data: LabelledText
    settings: SimulationSettings
    model: TrainablePrelabeler
    labeller: Labeller
    validation: IntArray
    trained: list[int]
    unlabelled: IntArray
    say: Progress
    rounds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stop_validation(self) -> float:
        return 1.0 - (1.0 - self.settings.target_accuracy) / 5.0

    @property
    def stop_item(self) -> float:
        return self.settings.target_accuracy

    def items(self, rows: Sequence[int] | IntArray) -> list[Mapping[str, Any]]:
        return [{"text": self.data.texts[i]} for i in np.asarray(rows).tolist()]

    @property
    def tuning(self) -> IntArray:
        """The third of the held-out slice that steers the loop (when to stop)."""
        return self.validation[: self.validation.size // 3]

    @property
    def certifying(self) -> IntArray:
        """The rest of the held-out slice: used once, for the final certificate."""
        return self.validation[self.validation.size // 3 :]

    def train(self) -> NDArray[np.float64]:
        """Fit on the inferred labels of human-labelled items; predict the unlabelled."""
        labels, weight = self.labeller.labels_of(self.trained)
        names = [self.data.label_names[c] for c in labels.tolist()]
        self.model.fit(self.items(self.trained), names, sample_weight=weight.tolist())
        return np.nan_to_num(self.model.predict_proba(self.items(self.unlabelled)), nan=0.0)

    def certify(self, rows: IntArray, delta: float) -> Certificate:
        """Certificate of the current model on held-out ``rows`` (human labels only)."""
        val_proba = np.nan_to_num(self.model.predict_proba(self.items(rows)), nan=0.0)
        human, _ = self.labeller.labels_of(rows.tolist())
        correct = val_proba.argmax(axis=1) == human
        return certify_threshold(
            val_proba.max(axis=1, initial=0.0),
            correct,
            target=self.settings.target_accuracy,
            delta=delta,
        )

    def ask_people(
        self, rows: Sequence[int], stop: float, proba: NDArray[np.float64] | None
    ) -> None:
        for pos, item in enumerate(rows):
            self.labeller.label(int(item), stop, None if proba is None else proba[pos])


def run_simulation(
    data: LabelledText, settings: SimulationSettings, progress: Progress | None = None
) -> dict[str, Any]:
    """Run the loop; returns the JSON-ready report (see module docstring)."""
    settings.validate()
    say = progress or (lambda _msg: None)
    rng = np.random.default_rng(settings.seed)
    if settings.max_items is not None and settings.max_items < len(data):
        data = data.subset(np.sort(rng.permutation(len(data))[: settings.max_items]))
    k = len(data.label_names)
    crowd = SimulatedCrowd.build(
        data.truth,
        k,
        error_rates=settings.error_rates,
        spammer_share=settings.spammer_share,
        rng=np.random.default_rng([settings.seed, 1]),
    )
    loop = _start(data, settings, crowd, rng, say)
    cert, proba = _rounds(loop)
    auto_rows, audit_info = _finish(loop, cert, proba, rng)
    report = summary(loop.data, loop.labeller, auto_rows, loop.model, cert, audit_info)
    report["rounds"] = loop.rounds
    report["baseline_overlap3"] = baseline_overlap(data, settings, overlap=3)
    report["settings"] = _settings_dict(settings)
    return report


def _start(
    data: LabelledText,
    settings: SimulationSettings,
    crowd: SimulatedCrowd,
    rng: np.random.Generator,
    say: Progress,
) -> _Loop:
    n = len(data)
    perm = rng.permutation(n).astype(np.int64)
    n_val = max(1, round(settings.validation_share * n))
    n_seed = min(n - n_val, max(len(data.label_names), math.ceil(settings.batch_share * n)))
    labeller = Labeller(crowd, max_overlap=settings.max_overlap)
    model = make_model(settings, data.label_names)
    loop = _Loop(
        data,
        settings,
        model,
        labeller,
        perm[:n_val],
        perm[n_val : n_val + n_seed].tolist(),
        perm[n_val + n_seed :],
        say,
    )
    say(f"labelling {n_val} held-out and {n_seed} seed items")
    for rows, stop in (
        (loop.validation.tolist(), loop.stop_validation),
        (list(loop.trained), loop.stop_item),
    ):
        for start in range(0, len(rows), _CHUNK):  # re-estimate workers as answers arrive
            loop.ask_people(rows[start : start + _CHUNK], stop, None)
            labeller.refresh_accuracy()
    return loop


def _rounds(loop: _Loop) -> tuple[Certificate, NDArray[np.float64]]:
    """Train and query people round by round, steered by a rough threshold estimate on
    the tuning third of the held-out slice; then certify the final model once, at level
    ``delta``, on the other two thirds (which nothing else has looked at)."""
    s = loop.settings
    batch = max(1, math.ceil(s.batch_share * len(loop.data)))
    best, stale = math.inf, 0
    for r in range(1, s.max_rounds + 1):
        proba = loop.train()
        estimate = loop.certify(loop.tuning, _STEERING_DELTA)
        above = _above(estimate, proba)
        left = int(loop.unlabelled.size - above.sum())
        projected = loop.labeller.crowd.n_answers + left * _cost_per_item(loop.labeller)
        loop.rounds.append(_round_info(r, loop, estimate, int(above.sum()), projected))
        loop.say(
            f"round {r}: estimated threshold {estimate.threshold}, auto {int(above.sum())}, "
            f"left {left}, projected answers {projected:.0f}"
        )
        stale = stale + 1 if estimate.certified and projected >= best else 0
        if estimate.certified:
            best = min(best, projected)
        if left == 0 or stale >= _PATIENCE or r == s.max_rounds:
            break
        order = uncertainty_order(proba)[:batch]
        chosen = loop.unlabelled[order]
        loop.ask_people(chosen.tolist(), loop.stop_item, proba[order])
        loop.trained.extend(chosen.tolist())
        keep = np.ones(loop.unlabelled.size, dtype=bool)
        keep[order] = False
        loop.unlabelled = loop.unlabelled[keep]
        loop.labeller.refresh_accuracy()
    return loop.certify(loop.certifying, s.delta), proba


def _finish(
    loop: _Loop, cert: Certificate, proba: NDArray[np.float64], rng: np.random.Generator
) -> tuple[IntArray, dict[str, Any]]:
    s = loop.settings
    above = _above(cert, proba)
    rest = loop.unlabelled[~above]
    loop.say(f"final: {int(above.sum())} auto-accepted, {rest.size} to people")
    loop.ask_people(rest.tolist(), loop.stop_item, proba[~above])
    auto_rows = loop.unlabelled[above]
    auto_pred = proba[above].argmax(axis=1)
    n_audit = min(auto_rows.size, math.ceil(s.audit_share * auto_rows.size))
    pick = rng.permutation(auto_rows.size)[:n_audit]
    audited = auto_rows[pick]
    loop.ask_people(audited.tolist(), loop.stop_validation, None)
    human, _ = loop.labeller.labels_of(audited.tolist())
    result = audit(
        int((human == auto_pred[pick]).sum()), int(n_audit), target=s.target_accuracy, delta=s.delta
    )
    keep = np.ones(auto_rows.size, dtype=bool)
    keep[pick] = False
    if result.stop:
        loop.say(f"audit stopped auto-acceptance: {result.status}")
        loop.ask_people(auto_rows[keep].tolist(), loop.stop_item, proba[above][keep])
        keep[:] = False
    info = {**asdict(result), "audited_items": int(n_audit)}
    info["accuracy"] = None if n_audit == 0 else round(result.accuracy, 4)
    final_auto = np.stack([auto_rows[keep], auto_pred[keep]], axis=1).astype(np.int64)
    return final_auto.reshape(-1, 2), info


def _above(cert: Certificate, proba: NDArray[np.float64]) -> NDArray[np.bool_]:
    if cert.threshold is None or proba.size == 0:
        return np.zeros(proba.shape[0], dtype=bool)
    return np.asarray(proba.max(axis=1) >= cert.threshold, dtype=np.bool_)


def _cost_per_item(labeller: Labeller) -> float:
    """Mean answers per model-assisted item so far (all labelled items before any)."""
    assisted = [len(labeller.answers[i]) for i in labeller.priors if i in labeller.answers]
    pool = assisted or [len(v) for v in labeller.answers.values()] or [1]
    return float(np.mean(pool))


def _round_info(
    r: int, loop: _Loop, cert: Certificate, n_auto: int, projected: float
) -> dict[str, Any]:
    return {
        "round": r,
        "trained_on": len(loop.trained),
        "human_answers": loop.labeller.crowd.n_answers,
        "estimated_threshold": cert.threshold,
        "estimate_status": cert.status,
        "auto_acceptable": n_auto,
        "projected_answers": round(projected, 1),
    }


def _settings_dict(settings: SimulationSettings) -> dict[str, Any]:
    out = asdict(settings)
    rates = np.asarray(settings.error_rates)
    out["error_rates"] = {
        "n_workers": int(rates.size),
        "min": float(rates.min()),
        "max": float(rates.max()),
        "mean": round(float(rates.mean()), 4),
    }
    if out["embedding_cache"] is not None:
        out["embedding_cache"] = Path(out["embedding_cache"]).name
    return out
