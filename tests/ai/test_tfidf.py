"""The built-in TF-IDF pre-labeller, including the awkward inputs real projects send."""

from __future__ import annotations

import numpy as np
import pytest

from crowdloop.ai.fake import FakePrelabeler
from crowdloop.ai.protocols import Prelabeler, TrainablePrelabeler, has_prediction, item_text
from crowdloop.ai.tfidf import TfidfPrelabeler
from tests.ai.conftest import synthetic_corpus

LABELS = ["food", "sport", "tech"]


def _items(texts: list[str]) -> list[dict[str, str]]:
    return [{"text": t} for t in texts]


class TestTfidfPrelabeler:
    def test_learns_topics_and_implements_the_protocol(self) -> None:
        texts, labels = synthetic_corpus(300)
        model = TfidfPrelabeler(LABELS).fit(_items(texts[:200]), labels[:200])
        assert isinstance(model, TrainablePrelabeler)
        proba = model.predict_proba(_items(texts[200:]))
        assert proba.shape == (100, 3)
        assert np.allclose(proba.sum(axis=1), 1.0)
        predicted = [LABELS[i] for i in proba.argmax(axis=1)]
        assert np.mean(np.array(predicted) == np.array(labels[200:])) > 0.9
        assert model.model_version.startswith("tfidf-lr-1-")

    def test_unfitted_model_is_uniform(self) -> None:
        proba = TfidfPrelabeler(LABELS).predict_proba(_items(["anything"]))
        assert proba == pytest.approx(np.full((1, 3), 1 / 3))

    def test_refit_changes_the_version(self) -> None:
        texts, labels = synthetic_corpus(60)
        model = TfidfPrelabeler(LABELS).fit(_items(texts), labels)
        first = model.model_version
        model.fit(_items(texts[:30]), labels[:30])
        assert model.model_version != first

    def test_empty_texts_train_and_predict(self) -> None:
        model = TfidfPrelabeler(LABELS).fit(_items(["", "", ""]), ["food", "food", "tech"])
        proba = model.predict_proba(_items(["", "pasta"]))
        assert np.allclose(proba.sum(axis=1), 1.0)
        assert proba[0].argmax() == LABELS.index("food")  # class balance

    def test_other_languages(self) -> None:
        texts = [
            "我喜欢吃面条",
            "今天的比赛很精彩",
            "Привет, как дела",
            "مرحبا بالعالم",
            "我喜欢吃米饭",
        ]
        labels = ["food", "sport", "tech", "tech", "food"]
        model = TfidfPrelabeler(LABELS).fit(_items(texts), labels)
        proba = model.predict_proba(_items(["我喜欢吃饺子", "Привет"]))
        assert np.all(np.isfinite(proba))
        assert proba[0].argmax() == LABELS.index("food")

    def test_a_class_with_a_single_example(self) -> None:
        texts, labels = synthetic_corpus(80)
        texts.append("kernel chip browser")
        labels.append("tech")
        keep = [i for i, y in enumerate(labels) if y != "tech"] + [len(labels) - 1]
        model = TfidfPrelabeler(LABELS).fit(
            _items([texts[i] for i in keep]), [labels[i] for i in keep]
        )
        proba = model.predict_proba(_items(["kernel chip browser"]))
        assert proba.shape == (1, 3)
        assert np.isclose(proba.sum(), 1.0)

    def test_a_single_class_gives_smoothed_frequencies(self) -> None:
        model = TfidfPrelabeler(LABELS).fit(_items(["a b", "c d"]), ["sport", "sport"])
        proba = model.predict_proba(_items(["x"]))
        assert proba[0].argmax() == LABELS.index("sport")
        assert proba[0].max() < 0.9  # not falsely certain

    def test_unseen_classes_get_zero(self) -> None:
        model = TfidfPrelabeler(LABELS).fit(
            _items(["pasta", "goal", "sauce", "match"]), ["food", "sport", "food", "sport"]
        )
        assert model.predict_proba(_items(["pasta"]))[0, LABELS.index("tech")] == 0.0

    def test_bad_input(self) -> None:
        with pytest.raises(ValueError, match="distinct"):
            TfidfPrelabeler(["a", "a"])
        model = TfidfPrelabeler(LABELS)
        with pytest.raises(ValueError, match="unknown label 'music'"):
            model.fit(_items(["x"]), ["music"])
        with pytest.raises(ValueError, match="1 items but 2 labels"):
            model.fit(_items(["x"]), ["food", "tech"])

    def test_items_without_the_text_key(self) -> None:
        assert item_text({"title": "hello", "n": 3}) == "hello"
        assert item_text({"text": 12}) == "12"
        assert TfidfPrelabeler(LABELS, text_key="body").predict_proba([{}]).shape == (1, 3)


class TestFakePrelabeler:
    def test_deterministic_and_protocol(self) -> None:
        truth = {"a": "food", "b": "tech"}
        fake = FakePrelabeler(LABELS, truth=lambda item: truth[item["text"]], confidence=0.8)
        assert isinstance(fake, Prelabeler)
        proba = fake.predict_proba([{"text": "a"}, {"text": "b"}])
        assert proba.argmax(axis=1).tolist() == [0, 2]
        assert proba.max(axis=1) == pytest.approx([0.8, 0.8])
        assert np.array_equal(proba, fake.predict_proba([{"text": "a"}, {"text": "b"}]))
        assert has_prediction(proba).all()

    def test_accuracy_share_and_fit(self) -> None:
        fake = FakePrelabeler(LABELS, truth=lambda _item: "food", accuracy=0.5)
        proba = fake.predict_proba([{"text": str(i)} for i in range(400)])
        share = np.mean(proba.argmax(axis=1) == 0)
        assert 0.4 < share < 0.6
        assert fake.fit([{"text": "x"}], ["food"]).fitted_on_ == 1
        with pytest.raises(ValueError, match="items"):
            fake.fit([], ["food"])
