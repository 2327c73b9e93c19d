"""Pure conjugate updates: prior hyperparameters and sufficient statistics in, a frozen
scipy.stats posterior out. No models, no state; the posterior classes use the same arithmetic.

Each function takes keyword arguments only and broadcasts over any batch shape.

Examples
--------
>>> [float(v) for v in beta_binomial(a=2, b=2, successes=7, failures=3).args]
[9.0, 5.0]
>>> d = normal_known_variance(loc=0.0, scale=1.0, n=2, mean=1.5, sigma=1.0)
>>> round(float(d.mean()), 6), round(float(d.std()), 6)  # (2 * 1.5) / 3, 1 / sqrt(3)
(1.0, 0.57735)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from .normal import invgamma_hyper, nig_hyper, normal_mean_hyper
from .regression import regression_nig_hyper

__all__ = [
    "beta_binomial",
    "dirichlet_multinomial",
    "gamma_rate",
    "invgamma_normal_known_mean",
    "linear_regression_nig",
    "normal_inverse_gamma",
    "normal_known_variance",
]


def _f(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


def beta_binomial(*, a: Any, b: Any, successes: Any, failures: Any) -> Any:
    """``Beta(a + successes, b + failures)``: the posterior of ``p`` in any success/failure
    likelihood (Bernoulli, Binomial, Geometric, NegativeBinomial with known ``r``)."""
    return stats.beta(_f(a) + _f(successes), _f(b) + _f(failures))


def gamma_rate(*, a: Any, rate: Any, count: Any, extent: Any) -> Any:
    """``Gamma(a + count, rate + extent)`` (``scale = 1 / rate``): the posterior of a rate in
    ``rate^count exp(-rate extent)`` (Poisson: events and exposure; Exponential: n and sum y).

    Examples
    --------
    >>> gamma_rate(a=2, rate=1, count=7, extent=2).mean()  # 9 / 3
    np.float64(3.0)
    """
    return stats.gamma(_f(a) + _f(count), scale=1.0 / (_f(rate) + _f(extent)))


def normal_known_variance(
    *, loc: Any, scale: Any, n: Any, mean: Any, sigma: Any = None, sigma2: Any = None
) -> Any:
    """``N(loc, scale^2)`` prior on ``mu`` updated by ``n`` observations of mean ``mean`` with
    known noise ``sigma`` (or variance ``sigma2``): a ``stats.norm``. Computed with log
    precisions, so ``sigma = 1e-200`` and data near ``1e308`` stay finite."""
    if (sigma is None) == (sigma2 is None):
        raise TypeError("give exactly one of sigma= and sigma2=")
    log_s2 = 2.0 * np.log(_f(sigma)) if sigma is not None else np.log(_f(sigma2))
    m0, s0, n, mean, log_s2 = np.broadcast_arrays(_f(loc), _f(scale), _f(n), _f(mean), log_s2)
    loc_n, scale_n, *_ = normal_mean_hyper(m0, s0, n, mean, log_s2, m0.shape, m0.shape)
    return stats.norm(loc_n, scale_n)


def invgamma_normal_known_mean(*, a: Any, b: Any, n: Any, ss: Any) -> Any:
    """``InvGamma(a, scale=b)`` prior on ``sigma2`` updated by ``n`` observations whose squared
    deviations from the known mean sum to ``ss``: a ``stats.invgamma``.

    Examples
    --------
    >>> invgamma_normal_known_mean(a=2, b=2, n=2, ss=2.0).kwds["scale"]
    np.float64(3.0)
    """
    a_n, b_n = invgamma_hyper(_f(a), _f(b), _f(n), _f(ss))
    return stats.invgamma(a_n, scale=b_n)


def normal_inverse_gamma(*, mu: Any, lmbda: Any, a: Any, b: Any, n: Any, mean: Any, m2: Any):
    """``stats.normal_inverse_gamma(mu, lmbda, a, b)`` updated by ``n`` observations with
    sample mean ``mean`` and sum of squared deviations ``m2``.

    Examples
    --------
    >>> post = normal_inverse_gamma(mu=0, lmbda=1, a=2, b=2, n=2, mean=1.0, m2=2.0)
    >>> float(post.mean()[0])  # 2 * 1 / 3
    0.6666666666666666
    """
    hyper = nig_hyper(_f(mu), _f(lmbda), _f(a), _f(b), _f(n), _f(mean), _f(m2))
    return stats.normal_inverse_gamma(*hyper)


def dirichlet_multinomial(*, alpha: Any, counts: Any) -> Any:
    """``Dirichlet(alpha + counts)``: the posterior of ``p`` for Multinomial/Categorical data."""
    return stats.dirichlet(_f(alpha) + _f(counts))


def linear_regression_nig(
    *, mean: Any, cov: Any, a: float, b: float, xtx: Any, coef_ols: Any, rss: float, n: float
) -> Any:
    """Normal-inverse-gamma regression posterior as
    :class:`bayesgd.priors.NormalInverseGamma`: ``coef | s2 ~ N(mean, s2 cov)``,
    ``s2 ~ InvGamma(a, b)``, updated by ``X'X``, the least-squares coefficients, the residual
    sum of squares and ``n``.

    Examples
    --------
    >>> post = linear_regression_nig(
    ...     mean=[0.0], cov=[[1.0]], a=2, b=2, xtx=[[4.0]], coef_ols=[1.0], rss=1.0, n=4
    ... )
    >>> float(post.mean_[0]), float(post.a)  # 4 / 5, 2 + 4 / 2
    (0.8, 4.0)
    """
    from ..priors import NormalInverseGamma

    cov = np.atleast_2d(_f(cov))
    m, fac, a_n, b_n = regression_nig_hyper(
        np.atleast_1d(_f(mean)), np.linalg.inv(cov), float(a), float(b), _f(xtx),
        np.atleast_1d(_f(coef_ols)), float(rss), float(n),
    )  # fmt: skip
    return NormalInverseGamma(m, fac.inverse(), a_n, b_n)
