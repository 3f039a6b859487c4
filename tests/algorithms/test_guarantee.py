"""Certified thresholds, audit decisions and uncertainty scores (pure numpy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta

from crowdloop.algorithms.guarantee import (
    audit,
    certify_threshold,
    clopper_pearson_bounds,
    lower_bound,
    upper_bound,
    wilson_bounds,
)
from crowdloop.algorithms.uncertainty import entropy, margin, uncertainty, uncertainty_order


class TestBounds:
    def test_clopper_pearson_perfect_record(self) -> None:
        lo, hi = clopper_pearson_bounds([59], [59], 0.05)
        assert lo[0] == pytest.approx(0.05 ** (1 / 59))
        assert hi[0] == 1.0

    def test_clopper_pearson_matches_beta_quantiles(self) -> None:
        lo, hi = clopper_pearson_bounds([90], [100], 0.025)
        assert lo[0] == pytest.approx(beta.ppf(0.025, 90, 11))
        assert hi[0] == pytest.approx(beta.ppf(0.975, 91, 10))

    def test_zero_trials_give_trivial_bounds(self) -> None:
        for fn in (clopper_pearson_bounds, wilson_bounds):
            lo, hi = fn([0], [0], 0.05)
            assert (lo[0], hi[0]) == (0.0, 1.0)

    def test_wilson_brackets_the_estimate(self) -> None:
        lo, hi = wilson_bounds([0, 5, 10], [10, 10, 10], 0.05)
        assert np.all(lo <= np.array([0.0, 0.5, 1.0]) + 1e-12)
        assert np.all(hi >= np.array([0.0, 0.5, 1.0]) - 1e-12)
        assert np.all((lo >= 0) & (hi <= 1))

    def test_scalar_helpers_and_method_choice(self) -> None:
        assert lower_bound(9, 10, 0.05, "wilson") < 0.9 < upper_bound(9, 10, 0.05, "wilson")
        with pytest.raises(ValueError, match="method"):
            lower_bound(1, 2, 0.05, "normal")  # type: ignore[arg-type]

    def test_bad_counts_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="0 <= k <= n"):
            clopper_pearson_bounds([3], [2], 0.05)


def _calibrated(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Confidences whose correctness is drawn with exactly that probability."""
    conf = rng.uniform(0.5, 1.0, n)
    return conf, rng.random(n) < conf


class TestCertifyThreshold:
    def test_perfect_model_certifies_everything(self) -> None:
        conf = np.linspace(0.5, 1.0, 400)
        cert = certify_threshold(conf, np.ones(400, bool), target=0.95)
        assert cert.certified
        assert cert.threshold == pytest.approx(0.5)
        assert cert.n_above == 400
        assert cert.lower_bound >= 0.95

    def test_useless_model_certifies_nothing_and_says_why(self) -> None:
        conf = np.linspace(0.5, 1.0, 400)
        cert = certify_threshold(conf, np.zeros(400, bool), target=0.95)
        assert not cert.certified
        assert "no confidence threshold" in cert.status
        assert np.isnan(cert.accuracy_above)

    def test_too_few_held_out_items(self) -> None:
        cert = certify_threshold(np.ones(20), np.ones(20, bool), target=0.95)
        assert not cert.certified
        assert "too few" in cert.status
        assert "20" in cert.status

    def test_no_held_out_items(self) -> None:
        cert = certify_threshold(np.zeros(0), np.zeros(0, bool), target=0.95)
        assert not cert.certified
        assert cert.n_validation == 0

    def test_a_few_errors_among_the_most_confident_do_not_end_the_search(self) -> None:
        conf = np.linspace(1.0, 0.5, 1000)
        ok = np.ones(1000, bool)
        ok[[3, 17, 40]] = False  # e.g. human-label errors on the held-out slice
        cert = certify_threshold(conf, ok, target=0.95)
        assert cert.certified
        assert cert.n_above == 1000

    def test_ties_keep_the_whole_group(self) -> None:
        conf = np.full(300, 0.9)
        cert = certify_threshold(conf, np.ones(300, bool), target=0.95)
        assert cert.threshold == pytest.approx(0.9)
        assert cert.n_above == 300

    @pytest.mark.parametrize("procedure", ["fixed_sequence", "bonferroni"])
    @pytest.mark.parametrize("method", ["clopper_pearson", "wilson"])
    def test_threshold_rises_with_the_target(self, procedure: str, method: str) -> None:
        conf, ok = _calibrated(np.random.default_rng(0), 5000)
        low = certify_threshold(conf, ok, target=0.85, procedure=procedure, method=method)  # type: ignore[arg-type]
        high = certify_threshold(conf, ok, target=0.95, procedure=procedure, method=method)  # type: ignore[arg-type]
        assert low.certified
        assert high.certified
        assert low.threshold is not None
        assert high.threshold is not None
        assert high.threshold > low.threshold

    def test_guarantee_holds_where_the_point_estimate_fails(self) -> None:
        """Over many held-out draws, the certified threshold's true accuracy is below the
        target at most about delta of the time; the plain estimate misses far more."""
        rng = np.random.default_rng(42)
        target, delta, trials = 0.93, 0.1, 300
        certified_misses = point_misses = 0
        for _ in range(trials):
            conf, ok = _calibrated(rng, 400)
            cert = certify_threshold(conf, ok, target=target, delta=delta)
            if cert.threshold is not None:
                true_acc = (cert.threshold + 1.0) / 2.0  # mean of U(threshold, 1)
                certified_misses += true_acc < target
            point_misses += _point_estimate_true_accuracy(conf, ok, target) < target
        assert certified_misses / trials <= delta
        assert point_misses / trials > 0.3

    def test_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match="equal length"):
            certify_threshold(np.ones(3), np.ones(2, bool), target=0.9)
        with pytest.raises(ValueError, match="target"):
            certify_threshold(np.ones(3), np.ones(3, bool), target=1.0)
        with pytest.raises(ValueError, match="finite"):
            certify_threshold(np.array([np.nan]), np.ones(1, bool), target=0.9)
        with pytest.raises(ValueError, match="procedure"):
            certify_threshold(np.ones(300), np.ones(300, bool), target=0.9, procedure="x")  # type: ignore[arg-type]


def _point_estimate_true_accuracy(conf: np.ndarray, ok: np.ndarray, target: float) -> float:
    """True accuracy above the lowest threshold whose *observed* accuracy meets target."""
    order = np.argsort(-conf)
    running = np.cumsum(ok[order]) / np.arange(1, conf.size + 1)
    passing = np.flatnonzero(running[29:] >= target)
    if passing.size == 0:
        return 1.0
    threshold = conf[order][29 + passing[-1]]
    return float((threshold + 1.0) / 2.0)


class TestAudit:
    def test_clear_shortfall_stops_auto_acceptance(self) -> None:
        result = audit(70, 100, target=0.95)
        assert result.stop
        assert result.upper_bound < 0.95
        assert "below target" in result.status

    def test_good_audit_keeps_going(self) -> None:
        result = audit(97, 100, target=0.95)
        assert not result.stop
        assert result.accuracy == pytest.approx(0.97)

    def test_small_noisy_audit_does_not_stop(self) -> None:
        assert not audit(9, 10, target=0.95).stop

    def test_empty_audit(self) -> None:
        result = audit(0, 0, target=0.95)
        assert not result.stop
        assert np.isnan(result.accuracy)

    def test_bad_counts(self) -> None:
        with pytest.raises(ValueError, match="n_correct"):
            audit(5, 3, target=0.9)
        with pytest.raises(ValueError, match="delta"):
            audit(1, 3, target=0.9, delta=0.0)


class TestUncertainty:
    proba = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [1 / 3, 1 / 3, 1 / 3]])

    def test_margin_and_entropy(self) -> None:
        assert margin(self.proba) == pytest.approx([0.85, 0.05, 0.0])
        ent = entropy(self.proba)
        assert ent[2] == pytest.approx(np.log(3))
        assert ent[0] < ent[1] < ent[2]

    @pytest.mark.parametrize("method", ["margin", "entropy", "least"])
    def test_order_puts_uncertain_first(self, method: str) -> None:
        assert uncertainty_order(self.proba, method).tolist() == [2, 1, 0]  # type: ignore[arg-type]

    def test_missing_predictions_are_most_uncertain(self) -> None:
        proba = np.vstack([self.proba, np.full(3, np.nan)])
        assert uncertainty_order(proba)[0] == 3
        assert np.isinf(uncertainty(proba)[3])

    def test_single_column_and_bad_input(self) -> None:
        assert margin(np.ones((2, 1))).tolist() == [1.0, 1.0]
        with pytest.raises(ValueError, match="shape"):
            margin(np.ones(3))
        with pytest.raises(ValueError, match="method"):
            uncertainty(self.proba, "random")  # type: ignore[arg-type]
