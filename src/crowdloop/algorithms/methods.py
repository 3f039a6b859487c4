"""The CLI names of the truth-inference methods, and nothing else (no numpy).

``crowdloop aggregate --help`` and ``crowdloop replay --help`` list them without importing
the estimators; ``crowdloop.algorithms.truth`` maps each name to its class, in this order.
"""

from __future__ import annotations

#: Categorical estimators ("auto" is the default).
CATEGORICAL: tuple[str, ...] = ("auto", "mv", "wmv", "ds", "one_coin", "glad", "mace")
#: Numeric estimators ("weighted" is the numeric default).
NUMERIC: tuple[str, ...] = ("mean", "median", "weighted")
#: Every method, by lowercase CLI name.
ALL: tuple[str, ...] = (*CATEGORICAL, *NUMERIC)
#: Worker-quality models of ``replay``: "online" (one-coin with a Beta prior) and the
#: categorical methods.
REPLAY_MODELS: tuple[str, ...] = ("online", *CATEGORICAL)
