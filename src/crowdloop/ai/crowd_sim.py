"""Simulated crowd and labelled-text input for :mod:`crowdloop.ai.simulate`.

Honest workers answer right with their accuracy and otherwise pick a wrong label
uniformly at random; spammers answer uniformly at random. Workers never answer the same
item twice. All randomness comes from one injected ``numpy.random.Generator``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from crowdloop.errors import InvalidInput

__all__ = ["LabelledText", "SimulatedCrowd", "read_labelled_tsv"]


class LabelledText:
    """Texts with their true labels (hidden from the loop; used only to score it)."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.texts = list(texts)
        self.label_names = sorted(set(labels))
        index = {name: i for i, name in enumerate(self.label_names)}
        self.truth = np.array([index[x] for x in labels], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, rows: NDArray[np.int64]) -> LabelledText:
        names = [self.label_names[i] for i in self.truth[rows].tolist()]
        return LabelledText([self.texts[i] for i in rows.tolist()], names)


def read_labelled_tsv(path: str | Path) -> LabelledText:
    """Read ``text<TAB>label`` rows (header ``text<TAB>label``, csv dialect excel-tab).

    Raises :class:`InvalidInput` with the line number for a missing column or label.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh, dialect="excel-tab")
            missing = {"text", "label"} - set(reader.fieldnames or [])
            if missing:
                raise InvalidInput(
                    f"{path}: header must name the columns 'text' and 'label' "
                    f"(tab-separated); missing {', '.join(sorted(missing))}"
                )
            texts, labels = [], []
            for row in reader:
                label = (row.get("label") or "").strip()
                if not label:
                    raise InvalidInput(f"{path}: line {reader.line_num}: empty label")
                texts.append(row.get("text") or "")
                labels.append(label)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise InvalidInput(f"{path}: malformed TSV: {exc}") from None
    if len(set(labels)) < 2:
        raise InvalidInput(f"{path}: need at least 2 rows and 2 distinct labels")
    return LabelledText(texts, labels)


class SimulatedCrowd:
    """Workers with known accuracies answering items with known truth.

    ``accuracy``: float array (n_workers,), each worker's chance of a right answer
    (spammers have ``1 / n_labels``). ``answers`` lists every (item, worker, label).
    """

    def __init__(
        self,
        truth: NDArray[np.int64],
        n_labels: int,
        accuracy: NDArray[np.float64],
        spammer: NDArray[np.bool_],
        rng: np.random.Generator,
    ) -> None:
        self.truth = truth
        self.n_labels = n_labels
        self.accuracy = accuracy
        self.spammer = spammer
        self.rng = rng
        self.items: list[int] = []
        self.workers: list[int] = []
        self.labels: list[int] = []
        self._seen: dict[int, set[int]] = {}

    @classmethod
    def build(
        cls,
        truth: NDArray[np.int64],
        n_labels: int,
        *,
        error_rates: Sequence[float],
        spammer_share: float,
        rng: np.random.Generator,
    ) -> SimulatedCrowd:
        """Honest workers with ``error_rates`` plus spammers making up ``spammer_share``
        of the whole pool."""
        honest = np.clip(1.0 - np.asarray(error_rates, dtype=np.float64), 0.0, 1.0)
        n_spam = round(spammer_share * len(honest) / max(1.0 - spammer_share, 1e-9))
        accuracy = np.concatenate([honest, np.full(n_spam, 1.0 / n_labels)])
        spammer = np.concatenate([np.zeros(len(honest), bool), np.ones(n_spam, bool)])
        return cls(truth, n_labels, accuracy, spammer, rng)

    @property
    def n_workers(self) -> int:
        return int(self.accuracy.size)

    @property
    def n_answers(self) -> int:
        return len(self.items)

    def ask(self, item: int) -> tuple[int, int] | None:
        """One more answer for ``item`` from a worker who has not answered it yet."""
        seen = self._seen.setdefault(item, set())
        if len(seen) >= self.n_workers:
            return None
        worker = int(self.rng.integers(self.n_workers))
        while worker in seen:
            worker = int(self.rng.integers(self.n_workers))
        seen.add(worker)
        label = self._answer(item, worker)
        self.items.append(item)
        self.workers.append(worker)
        self.labels.append(label)
        return worker, label

    def _answer(self, item: int, worker: int) -> int:
        if self.spammer[worker]:
            return int(self.rng.integers(self.n_labels))
        true = int(self.truth[item])
        if self.rng.random() < self.accuracy[worker] or self.n_labels < 2:
            return true
        wrong = int(self.rng.integers(self.n_labels - 1))
        return wrong + 1 if wrong >= true else wrong
