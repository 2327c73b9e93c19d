"""Named errors and warnings of bayesgd."""

from __future__ import annotations

__all__ = [
    "BoundaryWarning",
    "ConvergenceWarning",
    "DivergenceError",
    "GridWarning",
    "NotApplicableError",
    "NotConjugateError",
    "SamplingWarning",
]


class NotApplicableError(ValueError):
    """A method does not apply to this model or posterior.

    No closed form (:class:`NotConjugateError`), no Gaussian approximation at a mode on an
    edge of the support, at a kink, or where the curvature is not positive definite
    (``bayesgd.NotPositiveDefiniteError``). :func:`bayesgd.compare` reports a method chosen by
    default that raises it in ``skipped`` instead of failing.
    """


class NotConjugateError(NotApplicableError):
    """The model's prior and likelihood have no closed-form posterior."""


class DivergenceError(RuntimeError):
    """An optimizer produced a non-finite or exploding loss or gradient.

    The facts of the message are attributes too (``None`` when unknown): ``iteration`` (where it
    happened), ``last_params`` (the last finite point, ``{name: value}``), ``suggested_lr`` (a
    step size from the local curvature, ``nan`` when none can be suggested), ``reason``
    (``"nonfinite"``, ``"blowup"`` or ``"unbounded"``: the density has no maximum) and
    ``parameter`` (for ``"unbounded"``: the element running to the edge of its support).
    """

    def __init__(
        self,
        message: str = "",
        *,
        iteration: int | None = None,
        last_params: dict | None = None,
        suggested_lr: float | None = None,
        reason: str | None = None,
        parameter: str | None = None,
    ):
        super().__init__(message)
        self.iteration = iteration
        self.last_params = last_params
        self.suggested_lr = suggested_lr
        self.reason = reason
        self.parameter = parameter


class ConvergenceWarning(UserWarning):
    """An iterative method stopped before meeting its tolerance."""


class BoundaryWarning(UserWarning):
    """A mode lies on the edge of the parameter's support."""


class GridWarning(UserWarning):
    """A grid truncates the posterior or is too coarse to resolve it."""


class SamplingWarning(UserWarning):
    """MCMC diagnostics (R-hat, ESS, divergences) failed their thresholds."""
