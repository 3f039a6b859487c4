"""Answers, NumericAnswers, Codebook and dedupe."""

from __future__ import annotations

import numpy as np
import pytest

from crowdloop.algorithms.answers import Answers, Codebook, NumericAnswers, dedupe


class TestAnswersValidation:
    def test_unequal_lengths(self) -> None:
        with pytest.raises(ValueError, match=r"equal lengths, got 2, 1 and 2"):
            Answers(np.array([0, 1]), np.array([0]), np.array([0, 1]), 2, 1, 2)

    def test_negative_code(self) -> None:
        with pytest.raises(ValueError, match=r"^worker_idx contains negative values$"):
            Answers(np.array([0]), np.array([-1]), np.array([0]), 1, 1, 2)

    def test_code_out_of_range(self) -> None:
        with pytest.raises(ValueError, match=r"^label_idx contains codes >= n_labels \(2\)$"):
            Answers(np.array([0]), np.array([0]), np.array([2]), 1, 1, 2)

    def test_float_codes_rejected(self) -> None:
        with pytest.raises(TypeError, match="task_idx must be an integer array, got float64"):
            Answers(np.array([0.5]), np.array([0]), np.array([0]), 1, 1, 2)

    def test_arrays_are_read_only_views_and_caller_untouched(self) -> None:
        t = np.array([0, 1])
        a = Answers(t, np.array([0, 0]), np.array([1, 0]), 2, 1, 2)
        assert not a.task_idx.flags.writeable
        assert t.flags.writeable
        assert a.n_answers == 2

    def test_numeric_rejects_nan(self) -> None:
        with pytest.raises(ValueError, match="values must contain only finite numbers"):
            NumericAnswers(np.array([0]), np.array([0]), np.array([np.nan]), 1, 1)


class TestCodebook:
    def test_sorted_roundtrip(self) -> None:
        cb = Codebook(["b", "a", "b", "c"])
        assert len(cb) == 3
        assert cb.encode(["c", "a"]).tolist() == [2, 0]
        assert cb.decode(np.array([1, 1])) == ["b", "b"]

    def test_unknown_id(self) -> None:
        with pytest.raises(ValueError, match="unknown id 'z'"):
            Codebook(["a"]).encode(["z"])

    def test_mixed_types_keep_first_appearance(self) -> None:
        assert Codebook([2, "a", 1]).ids == [2, "a", 1]


class TestFromRecords:
    def test_labels_order_fixes_codes_and_keeps_unused_class(self) -> None:
        a, tasks, workers, labels = Answers.from_records(
            ["t1", "t2"], ["w1", "w1"], ["no", "yes"], labels_order=["yes", "no", "maybe"]
        )
        assert a.n_labels == 3
        assert a.label_idx.tolist() == [1, 0]
        assert tasks.ids == ["t1", "t2"]
        assert workers.ids == ["w1"]
        assert labels.decode(np.array([2])) == ["maybe"]

    def test_label_outside_order(self) -> None:
        with pytest.raises(ValueError, match="label not in labels_order: unknown id 'x'"):
            Answers.from_records(["t"], ["w"], ["x"], labels_order=["a"])

    def test_numeric(self) -> None:
        a, tasks, _ = NumericAnswers.from_records(["t", "t"], ["u", "v"], [1.0, 3.0])
        assert a.values.tolist() == [1.0, 3.0]
        assert len(tasks) == 1


class TestDedupe:
    def test_keep_last_and_first(self) -> None:
        a = Answers(np.array([0, 0, 1, 0]), np.array([0, 1, 0, 0]), np.array([1, 0, 0, 0]), 2, 2, 2)
        last, n = dedupe(a)
        assert n == 1
        assert isinstance(last, Answers)
        assert last.label_idx.tolist() == [0, 0, 0]
        first, _ = dedupe(a, keep="first")
        assert isinstance(first, Answers)
        assert first.label_idx.tolist() == [1, 0, 0]

    @pytest.mark.parametrize("keep", ["first", "last"])
    def test_matches_a_plain_dict_on_random_answers(self, keep: str) -> None:
        rng = np.random.default_rng(7)
        t, w = rng.integers(0, 30, 500), rng.integers(0, 9, 500)
        a = Answers(t, w, np.arange(500) % 3, 30, 9, 3)
        chosen: dict[tuple[int, int], int] = {}
        for row, pair in enumerate(zip(t.tolist(), w.tolist(), strict=True)):
            if keep == "last" or pair not in chosen:
                chosen[pair] = row
        out, n = dedupe(a, keep=keep)  # type: ignore[arg-type]
        assert isinstance(out, Answers)
        rows = sorted(chosen.values())
        assert n == 500 - len(rows)
        assert out.label_idx.tolist() == (np.arange(500) % 3)[rows].tolist()
        assert out.task_idx.tolist() == t[rows].tolist()

    def test_no_duplicates_returns_same_object(self) -> None:
        a = NumericAnswers(np.array([0, 1]), np.array([0, 0]), np.array([1.0, 2.0]), 2, 1)
        assert dedupe(a) == (a, 0)

    def test_encode_indexed_in_the_codebooks_own_order_is_the_index(self) -> None:
        book = Codebook(["b", "a"], keep_order=True)
        index = np.array([1, 0, 1])
        assert book.encode_indexed(book.ids, index).tolist() == [1, 0, 1]
        with pytest.raises(ValueError, match="index"):
            book.encode_indexed(book.ids, [2])

    def test_bad_keep(self) -> None:
        a = NumericAnswers(np.array([0]), np.array([0]), np.array([1.0]), 1, 1)
        with pytest.raises(ValueError, match="keep must be 'first' or 'last'"):
            dedupe(a, keep="middle")  # type: ignore[arg-type]
