"""Cross-check against crowd-kit (a test/bench-only dependency; skipped when absent)."""

from __future__ import annotations

import numpy as np
import pytest

from crowdloop.algorithms.truth import DawidSkene, MajorityVote

from .conftest import load_categorical

# crowd-kit 1.4.2 and pandas warn about their own deprecations; they are the oracle here.
pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore:.*inplace keyword.*"
)
crowdkit_classification = pytest.importorskip("crowdkit.aggregation")
pd = pytest.importorskip("pandas")


def test_dawid_skene_matches_crowdkit_on_real_data() -> None:
    answers, _ = load_categorical("zheng_d_duck")
    frame = pd.DataFrame(
        {"task": answers.task_idx, "worker": answers.worker_idx, "label": answers.label_idx}
    )
    theirs_ds = crowdkit_classification.DawidSkene(n_iter=100).fit_predict(frame)
    theirs_mv = crowdkit_classification.MajorityVote().fit_predict_proba(frame)
    ours_ds = DawidSkene(smoothing=1e-9, prior_smoothing=0.0).fit(answers).labels_
    ours_mv = MajorityVote().fit(answers).posteriors_
    agree = np.mean(ours_ds[theirs_ds.index.to_numpy()] == theirs_ds.to_numpy())
    assert agree >= 0.97
    mv = theirs_mv.sort_index()
    np.testing.assert_allclose(ours_mv[mv.index.to_numpy()][:, mv.columns.to_numpy()], mv)
