"""Built-in pre-labeller: TF-IDF features + logistic regression (base install).

Word uni/bigrams plus character 2-4-grams inside word boundaries, so texts in languages
without spaces, typos and very short texts still get features. Empty texts are fine:
they get no features and fall back to the learned class balance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # scipy and scikit-learn are imported by the first fit, not at import
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

from crowdloop.ai._linear import LinearHead, digest, encode_labels
from crowdloop.ai.protocols import item_text

__all__ = ["TfidfPrelabeler"]


class TfidfPrelabeler:
    """TF-IDF + multinomial logistic regression over a fixed label set.

    Parameters
    ----------
    labels : the project's label names (output column order).
    text_key : the item key holding the text.
    C : inverse L2 regularisation strength of the classifier.
    """

    def __init__(self, labels: Sequence[str], *, text_key: str = "text", C: float = 10.0) -> None:
        if len(set(labels)) != len(labels) or not labels:
            raise ValueError("labels must be a non-empty list of distinct names")
        self._labels = list(labels)
        self.text_key = text_key
        self.C = C
        self._vectorizers: list[TfidfVectorizer] = []
        self._head = LinearHead(n_labels=len(labels), C=C)
        self._version = "tfidf-unfitted"
        self.n_fits_ = 0

    @property
    def labels(self) -> Sequence[str]:
        return list(self._labels)

    @property
    def model_version(self) -> str:
        return self._version

    @property
    def converged_(self) -> bool:
        return self._head.converged_

    def fit(
        self,
        items: Sequence[Mapping[str, Any]],
        labels: Sequence[str],
        *,
        sample_weight: Sequence[float] | None = None,
    ) -> Self:
        """Train on items and their label names (refitting forgets the previous fit)."""
        if len(items) != len(labels):
            raise ValueError(f"got {len(items)} items but {len(labels)} labels")
        texts = [item_text(i, self.text_key) for i in items]
        y = encode_labels(labels, self._labels)
        self._vectorizers = _fit_vectorizers(texts)
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self._head.fit(self._features(texts), y, weight)
        self.n_fits_ += 1
        self._version = f"tfidf-lr-{self.n_fits_}-{digest(texts, labels)}"
        return self

    def predict_proba(self, items: Sequence[Mapping[str, Any]]) -> NDArray[np.float64]:
        """Probabilities, shape (n_items, n_labels); uniform before the first fit."""
        texts = [item_text(i, self.text_key) for i in items]
        return self._head.predict_proba(self._features(texts), len(texts))

    def _features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        from scipy import sparse  # lazy: scipy only when used

        if not self._vectorizers:
            return sparse.csr_matrix((len(texts), 1))
        blocks = [v.transform(texts) for v in self._vectorizers]
        return sparse.csr_matrix(sparse.hstack(blocks, format="csr"))


def _fit_vectorizers(texts: Sequence[str]) -> list[TfidfVectorizer]:
    """Fitted word and character vectorizers; one whose vocabulary is empty is dropped."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # lazy: scikit-learn costs ~1.5 s

    candidates = [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2),
    ]
    fitted = []
    for vec in candidates:
        try:
            vec.fit(texts)
        except ValueError:  # empty vocabulary: every text empty or too rare
            continue
        fitted.append(vec)
    return fitted
