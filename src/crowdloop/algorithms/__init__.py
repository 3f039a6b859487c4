"""The pure numeric core: numpy/scipy arrays in, numpy arrays out (no database)."""

from crowdloop.algorithms.answers import Answers, Codebook, NumericAnswers, dedupe

__all__ = ["Answers", "Codebook", "NumericAnswers", "dedupe"]
