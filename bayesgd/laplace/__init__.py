"""The Laplace approximation: a Gaussian at the posterior mode with the inverse Hessian.

:func:`laplace` finds the mode with :func:`bayesgd.map_estimate`, measures the curvature of
``L = -log p(theta | D)`` there and returns a :class:`LaplacePosterior`, which answers the same
questions as every other posterior.

Two spaces
----------
``space="unconstrained"`` (the default, as Stan's ``laplace_sample`` and PyMC's
``fit_laplace`` do): a Gaussian on the unconstrained ``u`` (log of a positive parameter, logit
of a probability, ...) centred at the mode of the density of ``u``, i.e. the
*Jacobian-adjusted* mode (``map_estimate(jacobian=True)``), with covariance the inverse Hessian
of ``L(u) - log|det J(u)|``. Pushed through the transforms, it never leaves the support.
Summaries are exact where the transform allows it: quantiles of an elementwise monotone
transform are the transformed quantiles of ``u``; means and standard deviations are closed
form (identity, log: lognormal) or Gauss–Hermite quadrature (logit: logit-normal); HDIs are
the shortest intervals of the transformed Normal, found by golden-section search. Probability
vectors (stick-breaking) are summarised from 200,000 draws with a fixed seed.

``space="constrained"`` (rethinking's ``quap``): a Gaussian on ``theta`` itself centred at the
MAP of the density of ``theta`` (no Jacobian), covariance the inverse Hessian of ``L(theta)``.
All summaries are exact Normal ones. Draws may leave the support (a probability below 0):
that is what this approximation is. A probability vector of ``K`` entries is represented by
its first ``K - 1`` entries (the last one is one minus their sum, so its marginal is Normal
too).

The likelihood's part of the Hessian is analytic where the model declares one
(:meth:`bayesgd.Model.hessian_log_likelihood`: every GLM); the rest (or all of it, for other
models) comes from central finite differences (five-point stencil) of the analytic gradient,
with steps scaled to the curvature of each coordinate (a coefficient of a feature measured in
dollars has a posterior sd of 1e-5), symmetrised. A Hessian that is not
positive definite (a saddle point, a flat direction) raises :class:`NotPositiveDefiniteError`
(a ``numpy.linalg.LinAlgError``, hence a ``ValueError``), never clipped.

Evidence
--------
``log_evidence`` is Laplace's estimate of ``log p(D) = log ∫ p(D | theta) p(theta) dtheta``::

    log p(D) ≈ -L(x*) + d/2 log(2 pi) - 1/2 log det H

in the space used (``x = u`` with ``L`` including ``-log|det J|``, or ``x = c``). It is exact
when the posterior is exactly Gaussian in that space (a Normal mean with known variance).

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Normal(y=[1.0, 2.0, 0.5], mu=stats.norm(0, 10), sigma=1.0)
>>> post = laplace(m, space="constrained")
>>> round(post.mean()["mu"], 6), round(post.sd()["mu"], 6)      # exact for this model
(1.162791, 0.57639)
"""

from __future__ import annotations

from ._checks import (
    PRIOR_SD_RATIO,
    SINGULAR_RATIO,
    SUPPORT_MASS_LIMIT,
    NearSingularWarning,
    NotPositiveDefiniteError,
    SupportWarning,
)
from ._fit import laplace
from .posterior import LaplacePosterior

__all__ = [
    "PRIOR_SD_RATIO",
    "SINGULAR_RATIO",
    "SUPPORT_MASS_LIMIT",
    "LaplacePosterior",
    "NearSingularWarning",
    "NotPositiveDefiniteError",
    "SupportWarning",
    "laplace",
]
