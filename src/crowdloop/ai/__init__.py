"""AI execution: models that pre-label items, and the simulated human-AI labelling loop.

Services only see the :class:`~crowdloop.ai.protocols.Prelabeler` protocol. Heavy
backends (sentence embeddings with torch) live in :mod:`crowdloop.ai.backends` and are
imported lazily, so ``import crowdloop`` never imports torch.
"""

from crowdloop.ai.protocols import NO_PREDICTION, Prelabeler, TrainablePrelabeler, item_text

__all__ = ["NO_PREDICTION", "Prelabeler", "TrainablePrelabeler", "item_text"]
