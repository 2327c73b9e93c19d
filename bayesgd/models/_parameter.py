"""What a model is made of: its free parameters, and the helpers its results pass through.

:class:`Parameter` describes one free parameter (name, shape, prior, transform);
:class:`NaNLikelihoodError` is what a NaN log likelihood raises; :func:`warn_finite_differences`
says when gradients are numerical. :class:`~bayesgd.models.base.Model` uses them all.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> p = bg.Binomial(k=3, n=10, p=stats.beta(1, 1)).parameters["p"]
>>> p.name, p.shape, p.element_names()
('p', (), ['p'])
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..priors import Prior
from ..transforms import Transform

if TYPE_CHECKING:
    from .base import Model

__all__ = ["NaNLikelihoodError", "Parameter", "warn_finite_differences"]


class NaNLikelihoodError(ValueError):
    """The log likelihood, or its finite-difference gradient, is NaN at a point.

    A ValueError for users (their function returned NaN); samplers catch it to treat the
    point as a divergence, as PyMC does with a NaN log density.
    """


@dataclass(frozen=True)
class Parameter:
    """One free parameter of a model.

    Attributes
    ----------
    name : str
    shape : tuple of int
        The parameter's own shape (``()`` for a scalar).
    prior : Prior
        The prior it belongs to (a joint prior covers several parameters).
    transform : Transform
        Bijection from unconstrained space onto the parameter's support.
    """

    name: str
    shape: tuple[int, ...]
    prior: Prior
    transform: Transform

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=int))

    @property
    def unconstrained_shape(self) -> tuple[int, ...]:
        return self.transform.unconstrained_shape(self.shape)

    @property
    def unconstrained_size(self) -> int:
        return int(np.prod(self.unconstrained_shape, dtype=int))

    @property
    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Elementwise ``(low, high)`` of the prior's support."""
        return self.prior.support(self.name)

    def element_names(self) -> list[str]:
        """``["p"]`` for a scalar, ``["coef[0]", "coef[1]", ...]`` otherwise.

        ArviZ's spelling, as in ``az.summary``: ``"W[0, 1]"`` for a matrix element.
        """
        if not self.shape:
            return [self.name]
        return [f"{self.name}[{', '.join(map(str, idx))}]" for idx in np.ndindex(*self.shape)]


def _as_out(value: Any) -> np.ndarray:
    """Public results are always writeable float ndarrays (0-d for a scalar batch)."""
    return np.array(value, dtype=float)


def _as_out_dict(values: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {name: np.array(value, dtype=float) for name, value in values.items()}


def warn_finite_differences(model: Model, stacklevel: int = 3) -> None:
    """Say, once per call site, that a custom model's gradient is numerical."""
    if not model.has_gradient:
        warnings.warn(
            "the model has no grad_log_likelihood; gradients come from central finite "
            "differences (slower and less accurate). Pass grad_log_likelihood for exact ones.",
            UserWarning,
            stacklevel=stacklevel,
        )
