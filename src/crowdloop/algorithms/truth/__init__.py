"""Truth-inference estimators (categorical and numeric)."""

from crowdloop.algorithms.truth.base import ConvergenceWarning, TruthInference
from crowdloop.algorithms.truth.dawid_skene import DawidSkene
from crowdloop.algorithms.truth.majority_vote import MajorityVote

__all__ = ["ConvergenceWarning", "DawidSkene", "MajorityVote", "TruthInference"]
