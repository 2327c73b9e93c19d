"""Named errors and warnings of bayesgd."""

from __future__ import annotations

__all__ = [
    "BoundaryWarning",
    "ConvergenceWarning",
    "DivergenceError",
    "GridWarning",
    "NotConjugateError",
    "SamplingWarning",
]


class NotConjugateError(ValueError):
    """The model's prior and likelihood have no closed-form posterior."""


class DivergenceError(RuntimeError):
    """An optimizer produced a non-finite or exploding loss or gradient."""


class ConvergenceWarning(UserWarning):
    """An iterative method stopped before meeting its tolerance."""


class BoundaryWarning(UserWarning):
    """A mode lies on the edge of the parameter's support."""


class GridWarning(UserWarning):
    """A grid truncates the posterior or is too coarse to resolve it."""


class SamplingWarning(UserWarning):
    """MCMC diagnostics (R-hat, ESS, divergences) failed their thresholds."""
