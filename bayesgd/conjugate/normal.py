"""Normal likelihood: known variance (normal prior on ``mu``), known mean (inverse-gamma prior
on ``sigma2``), and the joint normal-inverse-gamma prior on ``(mu, sigma2)``."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import gammaln

from ..models.base import Model
from ..priors import NIGPrior, UnivariatePrior
from ._common import (
    _LOG_2PI,
    _check_kwargs,
    _expand,
    _invgamma_mean_sd,
    _out,
    _reduce,
    _reduce_log,
    _t_mean_sd,
)
from .base import ConjugatePosterior
from .roles import not_conjugate, register_role

__all__ = ["invgamma_hyper", "nig_hyper", "normal_mean_hyper"]


def _normal_variance(model: Model) -> np.ndarray:
    if "sigma" in model.fixed:
        return np.asarray(model.fixed["sigma"], dtype=float) ** 2
    return np.asarray(model.fixed["sigma2"], dtype=float)


def _normal_log_variance(model: Model) -> np.ndarray:
    """``log sigma^2`` of the fixed noise, from ``sigma`` without squaring it."""
    if "sigma" in model.fixed:
        return 2.0 * np.log(np.asarray(model.fixed["sigma"], dtype=float))
    return np.log(np.asarray(model.fixed["sigma2"], dtype=float))


def normal_mean_hyper(m0, s0, n, mean, log_s2, group, shape):
    """Posterior ``(loc, scale)`` of ``mu ~ N(m0, s0^2)`` given group means of known noise.

    Groups (``group`` shape) with ``n`` observations, mean ``mean`` and noise variance
    ``exp(log_s2)`` are pooled into the parameter's ``shape``. Also returns the
    precision-weighted data mean, the log data precision (0 where there are no data) and
    where there are data.

    Precisions are kept in log space: ``sigma = 1e-200`` or ``1e200`` has a finite log
    precision though ``1 / sigma^2`` is not. Every average is convex (weights summing to 1),
    so data near ``1e308`` do not overflow.
    """
    with np.errstate(divide="ignore"):
        log_w = np.log(n) - log_s2  # log likelihood precision of each group's mean
    log_prec_lik = _reduce_log(log_w, group, shape)
    has = np.isfinite(log_prec_lik)
    safe = np.where(has, log_prec_lik, 0.0)
    ybar = _reduce(np.exp(log_w - _expand(safe, group, shape)) * mean, group, shape)
    log_prec0 = -2.0 * np.log(s0)
    log_prec = np.logaddexp(log_prec0, log_prec_lik)
    loc = _weighted(log_prec0 - log_prec, m0) + _weighted(log_prec_lik - log_prec, ybar)
    return loc, np.exp(-0.5 * log_prec), ybar, safe, has


def _weighted(log_w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``exp(log_w) * x`` formed in log space: a weight below the normal range (a prior sd
    1e157 times the data's) would lose digits as a subnormal before the product."""
    w = np.exp(log_w)
    tiny = w < np.finfo(float).tiny
    if not np.any(tiny):  # the usual case: the direct product is exact to rounding
        return w * x
    with np.errstate(divide="ignore"):
        in_logs = np.sign(x) * np.exp(log_w + np.log(np.abs(x)))
    return np.where(tiny, in_logs, w * x)


def invgamma_hyper(a0, b0, n, ss):
    """Posterior ``(a, b)`` of ``sigma2 ~ InvGamma(a0, scale=b0)`` after ``n`` observations
    whose squared deviations from the known mean sum to ``ss``."""
    return a0 + 0.5 * n, b0 + 0.5 * ss


def nig_hyper(mu0, lam0, a0, b0, n, mean, m2):
    """Posterior ``(mu, lmbda, a, b)`` of a normal-inverse-gamma prior (scipy's spelling)
    after ``n`` observations with mean ``mean`` and sum of squared deviations ``m2``."""
    lam = lam0 + n
    mu = mu0 + n * (mean - mu0) / lam
    a = a0 + 0.5 * n
    b = b0 + 0.5 * m2 + 0.5 * lam0 * n * (mean - mu0) ** 2 / lam
    return mu, lam, a, b


class _NormalMeanPosterior(ConjugatePosterior):
    """``mu ~ N(m0, s0^2)``, ``y ~ N(mu, sigma^2)`` with sigma known (per group if an array)."""

    def __init__(self, model: Model, m0: np.ndarray, s0: np.ndarray):
        super().__init__(model)
        self.pair = "normal-normal"
        shape, group = model.parameters["mu"].shape, model.group_shape
        m0 = np.broadcast_to(m0, shape).astype(float)
        s0 = np.broadcast_to(s0, shape).astype(float)
        log_s2 = np.broadcast_to(_normal_log_variance(model), group)
        n, mean, m2 = model.stats["n"], model.stats["mean"], model.stats["m2"]
        loc, scale, ybar, safe, has = normal_mean_hyper(m0, s0, n, mean, log_s2, group, shape)
        self._m0, self._s0, self._ybar, self._log_prec_lik, self._has = m0, s0, ybar, safe, has
        self._stats_n, self._stats_mean, self._m2 = n, mean, m2
        self._log_s2 = log_s2
        self._loc, self._scale = loc, scale

    @cached_property
    def _prior_hyper(self) -> dict[str, Any]:
        return {"loc": _out(self._m0), "scale": _out(self._s0)}

    @cached_property
    def _hyper(self) -> dict[str, Any]:
        return {"loc": _out(self._loc), "scale": _out(self._scale)}

    @cached_property
    def dist(self) -> dict[str, Any]:
        return {"mu": stats.norm(self._loc, self._scale)}

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        return dict(self.dist)

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {"mu": self._loc}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {"mu": self._scale}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        return {"mu": self._loc}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        s0, m0, ybar, log_pl = self._s0, self._m0, self._ybar, self._log_prec_lik
        group, shape = self.model.group_shape, self._loc.shape
        n, m2, log_s2 = self._stats_n, self._m2, self._log_s2
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            inv_s = np.exp(-0.5 * log_s2)
            dev = (self._stats_mean - _expand(ybar, group, shape)) * inv_s
            # log likelihood = const_lik - prec_lik (mu - ybar)^2 / 2, without cancellation
            const_lik = _reduce(
                -0.5 * n * (_LOG_2PI + log_s2) - 0.5 * (m2 * inv_s * inv_s + n * dev * dev),
                group,
                shape,
            )
            # log of s0^2 + 1 / prec_lik, and the standardised distance of ybar from m0
            log_marg = np.logaddexp(2.0 * np.log(s0), -log_pl)
            z = (ybar - m0) * np.exp(-0.5 * log_marg)
            integral = -0.5 * log_pl - 0.5 * (log_marg + z * z)
        return const_lik + np.where(self._has, integral, 0.0)

    def _sample(self, shape, rng):
        loc, scale = self._loc, self._scale
        return {"mu": loc + scale * rng.standard_normal((*shape, *loc.shape))}

    def predictive(self, **new: Any) -> Any:
        """``stats.norm(loc, sqrt(scale^2 + sigma^2))`` for one new observation.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.conjugate(bg.Normal(y=[1.0], mu=stats.norm(0, 1), sigma=1.0))
        >>> round(float(post.predictive().std()), 4)  # sqrt(1/2 + 1)
        1.2247
        """
        _check_kwargs(new, (), "a Normal (known sigma) posterior predictive")
        group_sd = np.exp(0.5 * self._log_s2)
        return stats.norm(self._loc, np.hypot(self._scale, group_sd))


class _NormalVariancePosterior(ConjugatePosterior):
    """``sigma2 ~ InvGamma(a, scale=b)``, ``y ~ N(mu, sigma2)`` with mu known."""

    def __init__(self, model: Model, a0: np.ndarray, b0: np.ndarray):
        super().__init__(model)
        self.pair = "invgamma-normal"
        shape, group = model.parameters["sigma2"].shape, model.group_shape
        a0 = np.broadcast_to(a0, shape).astype(float)
        b0 = np.broadcast_to(b0, shape).astype(float)
        mu = np.asarray(model.fixed["mu"], dtype=float)
        n, mean, m2 = model.stats["n"], model.stats["mean"], model.stats["m2"]
        ss = m2 + n * (mean - mu) ** 2
        n_r = _reduce(n, group, shape)
        a, b = invgamma_hyper(a0, b0, n_r, _reduce(ss, group, shape))
        self._a0, self._b0, self._n_r = a0, b0, n_r
        self._a, self._b, self._mu = a, b, mu

    @cached_property
    def _prior_hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a0), "b": _out(self._b0)}

    @cached_property
    def _hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a), "b": _out(self._b)}

    @cached_property
    def dist(self) -> dict[str, Any]:
        return {"sigma2": stats.invgamma(self._a, scale=self._b)}

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        return dict(self.dist)

    @cached_property
    def _mean_sd(self) -> tuple[np.ndarray, np.ndarray]:
        return _invgamma_mean_sd(self._a, self._b)

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {"sigma2": self._mean_sd[0]}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {"sigma2": self._mean_sd[1]}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        return {"sigma2": self._b / (self._a + 1)}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        a0, b0, a, b = self._a0, self._b0, self._a, self._b
        return (
            -0.5 * self._n_r * _LOG_2PI
            + a0 * np.log(b0)
            - a * np.log(b)
            + gammaln(a)
            - gammaln(a0)
        )

    def _sample(self, shape, rng):
        a, b = self._a, self._b
        return {"sigma2": b / rng.gamma(a, size=(*shape, *a.shape))}

    def predictive(self, **new: Any) -> Any:
        """``stats.t(2a, loc=mu, scale=sqrt(b/a))`` for one new observation.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.Normal(y=[1.0, -1.0], mu=0.0, sigma2=stats.invgamma(2, scale=2))
        >>> post = bg.conjugate(m)
        >>> float(post.predictive().kwds["scale"]) ** 2  # b / a = 3 / 3
        1.0
        """
        _check_kwargs(new, (), "a Normal (known mu) posterior predictive")
        a, b = self._a, self._b
        return stats.t(2 * a, loc=self._mu, scale=np.sqrt(b / a))


class _NIGPosterior(ConjugatePosterior):
    """``(mu, sigma2) ~ NIG(mu0, lmbda, a, b)``, ``y ~ N(mu, sigma2)``."""

    def __init__(self, model: Model, prior: NIGPrior):
        super().__init__(model)
        self.pair = "normal_inverse_gamma-normal"
        mu_name, s2_name = prior.names
        shape = prior.shapes[mu_name]
        mu0, lam0, a0, b0 = (
            np.broadcast_to(v, shape).astype(float)
            for v in (prior.mu, prior.lmbda, prior.a, prior.b)
        )
        n = _reduce(model.stats["n"], model.group_shape, shape)
        mean = _reduce(model.stats["mean"], model.group_shape, shape)
        m2 = _reduce(model.stats["m2"], model.group_shape, shape)
        mu, lam, a, b = nig_hyper(mu0, lam0, a0, b0, n, mean, m2)
        self._mu0, self._lam0, self._a0, self._b0, self._n = mu0, lam0, a0, b0, n
        self._mu, self._lam, self._a, self._b = mu, lam, a, b
        self._names = (mu_name, s2_name)

    @cached_property
    def _prior_hyper(self) -> dict[str, Any]:
        return {
            "mu": _out(self._mu0),
            "lmbda": _out(self._lam0),
            "a": _out(self._a0),
            "b": _out(self._b0),
        }

    @cached_property
    def _hyper(self) -> dict[str, Any]:
        return {
            "mu": _out(self._mu),
            "lmbda": _out(self._lam),
            "a": _out(self._a),
            "b": _out(self._b),
        }

    @cached_property
    def _t_scale(self) -> np.ndarray:
        return np.sqrt(self._b / (self._a * self._lam))

    @cached_property
    def dist(self) -> dict[str, Any]:
        mu_name, s2_name = self._names
        a = self._a
        return {
            mu_name: stats.t(2 * a, loc=self._mu, scale=self._t_scale),
            s2_name: stats.invgamma(a, scale=self._b),
        }

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        return dict(self.dist)

    @cached_property
    def joint(self) -> Any:
        return stats.normal_inverse_gamma(self._mu, self._lam, self._a, self._b)

    @cached_property
    def _mean_sd(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        mu_name, s2_name = self._names
        return {
            mu_name: _t_mean_sd(2 * self._a, self._mu, self._t_scale),
            s2_name: _invgamma_mean_sd(self._a, self._b),
        }

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {k: v[0] for k, v in self._mean_sd.items()}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {k: v[1] for k, v in self._mean_sd.items()}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        mu_name, s2_name = self._names
        return {mu_name: self._mu, s2_name: self._b / (self._a + 1.5)}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        a0, b0, lam0, a, b, lam = self._a0, self._b0, self._lam0, self._a, self._b, self._lam
        return (
            -0.5 * self._n * _LOG_2PI
            + 0.5 * (np.log(lam0) - np.log(lam))
            + a0 * np.log(b0)
            - a * np.log(b)
            + gammaln(a)
            - gammaln(a0)
        )

    def _sample(self, shape, rng):
        mu_name, s2_name = self._names
        full = (*shape, *self._mu.shape)
        s2 = self._b / rng.gamma(self._a, size=full)
        mu = self._mu + np.sqrt(s2 / self._lam) * rng.standard_normal(full)
        return {mu_name: mu, s2_name: s2}

    def predictive(self, **new: Any) -> Any:
        """``stats.t(2a, loc=mu, scale=sqrt(b (1 + 1/lmbda) / a))`` for one new observation.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> nig = stats.normal_inverse_gamma(1, 1, 2, 2)
        >>> post = bg.conjugate(bg.Normal(y=[0.0, 2.0], prior=nig))
        >>> float(post.predictive().mean())
        1.0
        """
        _check_kwargs(new, (), "a Normal (normal-inverse-gamma) posterior predictive")
        a, b, lam = self._a, self._b, self._lam
        return stats.t(2 * a, loc=self._mu, scale=np.sqrt(b * (1 + 1 / lam) / a))


def _build(model: Model) -> ConjugatePosterior:
    names, priors = set(model.parameters), model.priors
    if names == {"mu", "sigma2"} and len(priors) == 1 and isinstance(priors[0], NIGPrior):
        return _NIGPosterior(model, priors[0])
    if names in ({"mu"}, {"sigma2"}):
        prior = model.parameters[next(iter(names))].prior
        family = prior.family if isinstance(prior, UnivariatePrior) else None
        if names == {"mu"} and family == "norm":
            return _NormalMeanPosterior(model, prior.loc, prior.scale)
        if names == {"sigma2"} and family == "invgamma":
            if np.any(prior.loc != 0):
                raise not_conjugate(model, " (an invgamma prior must have loc=0)")
            return _NormalVariancePosterior(model, prior._shape_args[0], prior.scale)
    raise not_conjugate(model, _REASONS.get(frozenset(names), ""))


_REASONS = {
    frozenset({"sigma"}): " (with mu fixed, put an invgamma prior on the variance: "
    "sigma2=stats.invgamma(...))",
    frozenset({"mu", "sigma2"}): " (independent priors on mu and the scale are only "
    "semi-conjugate; the joint conjugate prior is prior=stats.normal_inverse_gamma(mu, lmbda, "
    "a, b))",
}
_REASONS[frozenset({"mu", "sigma"})] = _REASONS[frozenset({"mu", "sigma2"})]

register_role(
    "normal",
    _build,
    pairs=(
        "norm prior on mu with Normal, sigma or sigma2 fixed",
        "invgamma prior, loc=0, on sigma2 with Normal, mu fixed",
        "prior=stats.normal_inverse_gamma(mu, lmbda, a, b) with Normal (parameters mu, sigma2)",
    ),
)
