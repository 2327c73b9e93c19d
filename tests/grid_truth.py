"""Exact answers shared by the grid tests: shortest intervals of scipy distributions and the
log multivariate Beta function (Dirichlet normalisers)."""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy.special import gammaln

__all__ = ["exact_hdi", "log_multibeta"]


def exact_hdi(dist, prob: float = 0.94) -> tuple[float, float]:
    """Shortest interval of mass ``prob`` of a unimodal frozen distribution, by minimising
    ``ppf(a + prob) - ppf(a)`` over the lower tail mass ``a``."""
    res = optimize.minimize_scalar(
        lambda a: dist.ppf(a + prob) - dist.ppf(a),
        bounds=(0.0, 1.0 - prob),
        method="bounded",
        options={"xatol": 1e-13},
    )
    a = float(res.x)
    # a mode on the support's edge puts the optimum at a = 0 exactly
    if dist.ppf(prob) - dist.ppf(0.0) <= dist.ppf(a + prob) - dist.ppf(a):
        a = 0.0
    return float(dist.ppf(a)), float(dist.ppf(a + prob))


def log_multibeta(alpha) -> float:
    alpha = np.asarray(alpha, dtype=float)
    return float(np.sum(gammaln(alpha)) - gammaln(np.sum(alpha)))
