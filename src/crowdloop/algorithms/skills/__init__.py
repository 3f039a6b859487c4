"""Worker ability: Beta posteriors from counts (with forgetting) and from DS confusions."""

from crowdloop.algorithms.skills.beta_binomial import (
    Ability,
    ability_from_counts,
    decay_weights,
    decayed_counts,
    update_counts,
)
from crowdloop.algorithms.skills.from_confusion import (
    ability_from_confusion,
    one_coin_confusion,
    shrink_confusion,
)

__all__ = [
    "Ability",
    "ability_from_confusion",
    "ability_from_counts",
    "decay_weights",
    "decayed_counts",
    "one_coin_confusion",
    "shrink_confusion",
    "update_counts",
]
