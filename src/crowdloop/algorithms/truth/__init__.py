"""Truth-inference estimators (categorical and numeric) and the CLI-name registry."""

from crowdloop.algorithms.truth.auto import Auto
from crowdloop.algorithms.truth.base import ConvergenceWarning, TruthInference
from crowdloop.algorithms.truth.dawid_skene import DawidSkene
from crowdloop.algorithms.truth.glad import GLAD
from crowdloop.algorithms.truth.mace import MACE
from crowdloop.algorithms.truth.majority_vote import MajorityVote
from crowdloop.algorithms.truth.numeric import (
    MeanAggregator,
    MedianAggregator,
    NumericInference,
    WeightedNumeric,
)
from crowdloop.algorithms.truth.one_coin import OneCoinDawidSkene
from crowdloop.algorithms.truth.wmv import WeightedMajorityVote

__all__ = [
    "GLAD",
    "MACE",
    "METHODS",
    "NUMERIC_METHODS",
    "Auto",
    "ConvergenceWarning",
    "DawidSkene",
    "MajorityVote",
    "MeanAggregator",
    "MedianAggregator",
    "NumericInference",
    "OneCoinDawidSkene",
    "TruthInference",
    "WeightedMajorityVote",
    "WeightedNumeric",
]

#: CLI names of the categorical estimators ("auto" is the default).
CATEGORICAL_METHODS: dict[str, type[TruthInference]] = {
    "auto": Auto,
    "mv": MajorityVote,
    "wmv": WeightedMajorityVote,
    "ds": DawidSkene,
    "one_coin": OneCoinDawidSkene,
    "glad": GLAD,
    "mace": MACE,
}
#: CLI names of the numeric estimators ("weighted" is the numeric default).
NUMERIC_METHODS: dict[str, type[NumericInference]] = {
    "mean": MeanAggregator,
    "median": MedianAggregator,
    "weighted": WeightedNumeric,
}
#: Every method by lowercase CLI name.
METHODS: dict[str, type] = {**CATEGORICAL_METHODS, **NUMERIC_METHODS}
