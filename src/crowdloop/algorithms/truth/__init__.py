"""Truth-inference estimators (categorical and numeric) and the CLI-name registry."""

from crowdloop.algorithms import methods
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

#: CLI names of the categorical estimators ("auto" is the default); the names themselves
#: live in crowdloop.algorithms.methods (light: the CLI's help lists them).
CATEGORICAL_METHODS: dict[str, type[TruthInference]] = dict(
    zip(
        methods.CATEGORICAL,
        (Auto, MajorityVote, WeightedMajorityVote, DawidSkene, OneCoinDawidSkene, GLAD, MACE),
        strict=True,
    )
)
#: CLI names of the numeric estimators ("weighted" is the numeric default).
NUMERIC_METHODS: dict[str, type[NumericInference]] = dict(
    zip(methods.NUMERIC, (MeanAggregator, MedianAggregator, WeightedNumeric), strict=True)
)
#: Every method by lowercase CLI name.
METHODS: dict[str, type] = {**CATEGORICAL_METHODS, **NUMERIC_METHODS}
