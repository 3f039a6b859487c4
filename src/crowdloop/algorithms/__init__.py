"""The pure numeric core: numpy/scipy arrays in, numpy arrays out (no database).

The names below load ``crowdloop.algorithms.answers`` (numpy) on first use, so that a light
submodule (``crowdloop.algorithms.methods``: the method names the CLI's help lists) can be
imported without numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crowdloop.algorithms.answers import Answers, Codebook, NumericAnswers, dedupe

__all__ = ["Answers", "Codebook", "NumericAnswers", "dedupe"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from crowdloop.algorithms import answers

        return getattr(answers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
