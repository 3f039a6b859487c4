"""Scoring a simulation run against the hidden truth, and the no-model baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from crowdloop.ai.crowd_sim import LabelledText, SimulatedCrowd
from crowdloop.ai.posterior import Labeller
from crowdloop.ai.protocols import Prelabeler
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.guarantee import Certificate
from crowdloop.algorithms.truth import MajorityVote, OneCoinDawidSkene

if TYPE_CHECKING:
    from crowdloop.ai.simulate import SimulationSettings

__all__ = ["baseline_overlap", "summary"]


def summary(
    data: LabelledText,
    labeller: Labeller,
    auto: NDArray[np.int64],
    model: Prelabeler,
    cert: Certificate,
    audit_info: dict[str, Any],
) -> dict[str, Any]:
    """The report's headline numbers; ``auto`` rows are (item, predicted label code)."""
    n = len(data)
    final = np.full(n, -1, dtype=np.int64)
    human_items = sorted(labeller.answers)
    human_labels, _ = labeller.labels_of(human_items)
    final[np.asarray(human_items, dtype=np.int64)] = human_labels
    final[auto[:, 0]] = auto[:, 1]
    n_answers = labeller.crowd.n_answers
    auto_ok = data.truth[auto[:, 0]] == auto[:, 1]
    human_ok = data.truth[human_items] == human_labels
    return {
        "items": n,
        "labels": len(data.label_names),
        "human_answers": n_answers,
        "human_answers_per_item": round(n_answers / n, 4),
        "answer_reduction_vs_overlap3": round(1.0 - n_answers / (3.0 * n), 4),
        "auto_accepted": int(auto.shape[0]),
        "auto_accepted_fraction": round(auto.shape[0] / n, 4),
        "auto_accepted_accuracy": _rate(auto_ok),
        "human_labelled_items": len(human_items),
        "human_labelled_accuracy": _rate(human_ok),
        "final_accuracy": round(float(np.mean(final == data.truth)), 4),
        "target_met_by_auto_accepted": bool(auto_ok.size == 0 or auto_ok.mean() >= cert.target),
        "threshold": cert.threshold,
        "status": _status(cert, audit_info),
        "certificate": {
            "status": cert.status,
            "held_out_items": cert.n_validation,
            "held_out_above": cert.n_above,
            "held_out_accuracy_above": None if cert.n_above == 0 else round(cert.accuracy_above, 4),
            "lower_bound": round(cert.lower_bound, 4),
            "delta": cert.delta,
        },
        "audit": audit_info,
        "model_version": model.model_version,
    }


def baseline_overlap(
    data: LabelledText, settings: SimulationSettings, *, overlap: int
) -> dict[str, Any]:
    """Fixed overlap with no model: every item gets ``overlap`` answers from the same pool."""
    k = len(data.label_names)
    crowd = SimulatedCrowd.build(
        data.truth,
        k,
        error_rates=settings.error_rates,
        spammer_share=settings.spammer_share,
        rng=np.random.default_rng([settings.seed, 2]),
    )
    for item in range(len(data)):
        for _ in range(min(overlap, crowd.n_workers)):
            crowd.ask(item)
    answers = Answers(
        np.array(crowd.items, dtype=np.int64),
        np.array(crowd.workers, dtype=np.int64),
        np.array(crowd.labels, dtype=np.int64),
        len(data),
        crowd.n_workers,
        k,
    )
    out: dict[str, Any] = {
        "overlap": overlap,
        "human_answers": crowd.n_answers,
        "human_answers_per_item": round(crowd.n_answers / len(data), 4),
    }
    for name, method in (("majority_vote", MajorityVote()), ("one_coin_ds", OneCoinDawidSkene())):
        labels = method.fit(answers).labels_
        out[f"accuracy_{name}"] = round(float(np.mean(labels == data.truth)), 4)
    return out


def _rate(ok: NDArray[np.bool_]) -> float | None:
    return round(float(ok.mean()), 4) if ok.size else None


def _status(cert: Certificate, audit_info: dict[str, Any]) -> str:
    if not cert.certified:
        return f"nothing auto-accepted: {cert.status}"
    if audit_info.get("stop"):
        return f"auto-acceptance stopped by the audit: {audit_info['status']}"
    return f"auto-accepting above confidence {cert.threshold:.4f} ({cert.status})"
