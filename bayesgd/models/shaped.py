"""Continuous likelihoods with a shape parameter: Gamma, LogNormal, StudentT and Weibull.

Parameters are spelled as PyMC spells them (``pm.Gamma(alpha, beta)`` with ``beta`` the
*rate*, ``pm.LogNormal(mu, sigma)``, ``pm.StudentT(nu, mu, sigma)``, ``pm.Weibull(alpha, beta)``
with ``beta`` the *scale*), and :func:`bayesgd.to_pymc` writes each with PyMC's own observed
distribution.

Gamma and LogNormal have sufficient statistics (``n``, ``sum y``, ``sum log y``; the Normal
statistics of ``log y``), so ``update`` merges them and grids never touch the data again.
StudentT and Weibull (with a free shape) have none: their statistics are the observations
themselves, kept whatever their number, and every evaluation sums over them.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Gamma(y=[1.0, 2.0, 4.0], alpha=2.0, beta=stats.gamma(2, scale=1))
>>> float(m.stats["total"]), round(float(m.stats["log_total"]), 4)
(7.0, 2.0794)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from ._elementwise import ElementwiseModel, _is_lazy, check_real
from .base import POSITIVE, REAL
from .continuous import Normal

__all__ = ["Gamma", "LogNormal", "StudentT", "Weibull"]


def _positive_data(data: Mapping[str, Any]) -> dict[str, Any]:
    return {"y": check_real("y", data["y"], low=0.0, strict=True)}


def _per_observation(v: Mapping[str, np.ndarray], nd: int) -> dict[str, np.ndarray]:
    """Aligned parameters (``batch + group``) with an observation axis before the group axes."""
    return {k: np.expand_dims(a, a.ndim - nd) for k, a in v.items()}


def _with_fixed(model: ElementwiseModel, params: Mapping[str, Any]) -> dict[str, Any]:
    """The free parameters' PyTensor variables and the fixed values as constants."""
    import pytensor.tensor as pt

    return {**{k: pt.as_tensor_variable(v) for k, v in model.fixed.items()}, **params}


def _scale_of(v: Mapping[str, Any]) -> Any:
    return v["sigma"] if "sigma" in v else v["sigma2"] ** 0.5


class _RawDataModel(ElementwiseModel):
    """A family without sufficient statistics: the statistics are the observations.

    ``stats["y"]`` has shape ``(n_obs, *group_shape)`` and is kept whatever its size (the
    likelihood cannot be evaluated without it); ``update`` appends to it.
    """

    observed = ("y",)

    def _stats(self, arrays):
        y = arrays["y"]  # a copy: the caller's array may change later, the model's must not
        return {"y": y if _is_lazy(y) else np.array(y, dtype=float)}

    def _merge(self, a, b):
        return {"y": np.concatenate([a["y"], b["y"]], axis=0)}

    def _obs(self, v):
        """The observations and the parameters with an observation axis, and that axis."""
        nd = len(self.group_shape)
        return self.stats["y"], _per_observation(v, nd), -(nd + 1)

    @property
    def bytes_per_evaluation(self) -> int:
        return 8 * 8 * max(1, self.n_obs) * max(1, int(np.prod(self.group_shape)))


class Gamma(ElementwiseModel):
    """Positive observations ``y`` with shape ``alpha`` and *rate* ``beta`` (PyMC's Gamma).

    The density is ``beta**alpha y**(alpha-1) exp(-beta y) / Gamma(alpha)``, scipy's
    ``stats.gamma(alpha, scale=1/beta)``. With ``alpha`` a fixed number and a gamma prior on
    ``beta`` the model is conjugate: :func:`bayesgd.conjugate` gives the Gamma posterior
    ``Gamma(a0 + n alpha, rate b0 + sum y)``.

    Parameters
    ----------
    y : array_like
        Observed values, all ``> 0``.
    alpha : scipy.stats frozen distribution or float
        Prior on (or value of) the shape.
    beta : scipy.stats frozen distribution or float
        Prior on (or value of) the rate, e.g. ``stats.gamma(2, scale=1)``.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Gamma(y=[0.5, 1.5], alpha=3.0, beta=stats.gamma(2, scale=0.5))
    >>> bg.conjugate(m).hyper  # a0 + 2 * 3, b0 + 2
    {'a': 8.0, 'b': 4.0}
    """

    likelihood = "gamma"
    conjugate_role = "gamma-gamma"
    observed = ("y",)
    domains = {"alpha": POSITIVE, "beta": POSITIVE}

    def __init__(self, *, y: Any, alpha: Any, beta: Any):
        self._init_family({"y": y}, {"alpha": alpha, "beta": beta})

    def _validate(self, data):
        return _positive_data(data)

    def _stats(self, arrays):
        y = arrays["y"]
        total = self._sum(y)
        return {
            "n": np.full(self.group_shape, float(y.shape[0])),
            "total": total,
            "log_total": self._sum(np.log(y)),
        }

    def _ll(self, v):
        a, b = v["alpha"], v["beta"]
        n, total, log_total = self.stats["n"], self.stats["total"], self.stats["log_total"]
        with np.errstate(divide="ignore"):
            return n * (a * np.log(b) - gammaln(a)) + (a - 1) * log_total - b * total

    def _grad_ll(self, v):
        a, b = v["alpha"], v["beta"]
        n, total, log_total = self.stats["n"], self.stats["total"], self.stats["log_total"]
        return {
            "alpha": n * (np.log(b) - digamma(a)) + log_total,
            "beta": n * a / b - total,
        }

    def _pymc_likelihood(self, params: Mapping[str, Any]) -> Any:
        """``pm.Gamma("y", alpha, beta, observed=y)``; a ``pm.Potential`` from the statistics
        when the data were not kept."""
        import pymc as pm
        import pytensor.tensor as pt

        v = _with_fixed(self, params)
        if self.data is not None:
            return pm.Gamma("y", alpha=v["alpha"], beta=v["beta"], observed=self.data["y"])
        s = self.stats
        a, b = v["alpha"], v["beta"]
        ll = s["n"] * (a * pt.log(b) - pt.gammaln(a)) + (a - 1) * s["log_total"] - b * s["total"]
        return pm.Potential("log_likelihood", pt.sum(ll))


class LogNormal(Normal):
    """Positive observations ``y`` whose log is Normal with mean ``mu`` and scale ``sigma``.

    PyMC's LogNormal (scipy's ``stats.lognorm(sigma, scale=exp(mu))``). It is a
    :class:`~bayesgd.Normal` model of ``log y``: the same statistics (of ``log y``), the same
    conjugate priors (``stats.norm`` on ``mu`` with the scale fixed, ``stats.invgamma`` on
    ``sigma2`` with ``mu`` fixed, or a joint ``prior=stats.normal_inverse_gamma(...)`` over
    ``mu`` and ``sigma2``), and a log likelihood that adds the Jacobian ``-sum(log y)``.

    Parameters
    ----------
    y : array_like
        Observed values, all ``> 0``.
    mu : scipy.stats frozen distribution or float, optional
        Prior on (or value of) the mean of ``log y``.
    sigma, sigma2 : scipy.stats frozen distribution or float, optional
        Prior on (or value of) the standard deviation of ``log y``, or of its variance.
    prior : scipy.stats.normal_inverse_gamma frozen distribution, optional
        Joint prior; the parameters are then ``mu`` and ``sigma2``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.LogNormal(y=np.exp([0.0, 1.0]), mu=stats.norm(0, 10), sigma=1.0)
    >>> float(m.stats["mean"])  # the mean of log y
    0.5
    >>> bg.LogNormal(y=[1.0, 2.0], prior=stats.normal_inverse_gamma(0, 1, 2, 2)).names
    ('mu', 'sigma2')
    """

    likelihood = "lognormal"
    conjugate_role = "lognormal"

    def __init__(
        self,
        *,
        y: Any,
        mu: Any = None,
        sigma: Any = None,
        sigma2: Any = None,
        prior: Any = None,
    ):
        if prior is not None and (mu is not None or sigma is not None or sigma2 is not None):
            raise TypeError("give either a joint prior= or mu and sigma/sigma2, not both")
        if prior is None and mu is None:
            raise TypeError("LogNormal needs mu (a prior or a number), or a joint prior=")
        if prior is None and (sigma is None) == (sigma2 is None):
            raise TypeError(
                "LogNormal needs exactly one of sigma and sigma2 (a prior or a number)"
            )
        super().__init__(y=y, mu=mu, sigma=sigma, sigma2=sigma2, prior=prior)

    def _validate(self, data):
        return _positive_data(data)  # the data are kept as given; the statistics are of log y

    def _stats(self, arrays):
        return super()._stats({"y": np.log(arrays["y"])})

    def _ll(self, v):
        return super()._ll(v) - self.stats["n"] * self.stats["mean"]  # Jacobian: -sum(log y)

    def _pymc_likelihood(self, params: Mapping[str, Any]) -> Any:
        """``pm.LogNormal("y", mu, sigma, observed=y)``; a ``pm.Potential`` from the statistics
        when the data were not kept."""
        import pymc as pm
        import pytensor.tensor as pt

        v = _with_fixed(self, params)
        if self.data is not None:
            return pm.LogNormal("y", mu=v["mu"], sigma=_scale_of(v), observed=self.data["y"])
        s = self.stats
        s2 = v["sigma"] ** 2 if "sigma" in v else v["sigma2"]
        n, mean = s["n"], s["mean"]
        ll = (
            -0.5 * n * (np.log(2 * np.pi) + pt.log(s2))
            - (s["m2"] + n * (mean - v["mu"]) ** 2) / (2 * s2)
            - n * mean
        )
        return pm.Potential("log_likelihood", pt.sum(ll))


class StudentT(_RawDataModel):
    """Observations ``y`` from a Student t with ``nu`` degrees of freedom, location ``mu`` and
    scale ``sigma`` (PyMC's StudentT; scipy's ``stats.t(nu, loc=mu, scale=sigma)``).

    Not conjugate: every parameter may be a prior or a fixed number. A robust alternative to
    :class:`~bayesgd.Normal` (small ``nu`` gives heavy tails).

    Parameters
    ----------
    y : array_like
        Observations (finite reals).
    nu : scipy.stats frozen distribution or float
        Prior on (or value of) the degrees of freedom, ``> 0``.
    mu : scipy.stats frozen distribution or float
        Prior on (or value of) the location.
    sigma : scipy.stats frozen distribution or float
        Prior on (or value of) the scale, ``> 0``.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.StudentT(y=[0.1, -0.4, 3.0], nu=4.0, mu=stats.norm(0, 10), sigma=1.0)
    >>> round(float(m.log_likelihood(mu=0.0)), 4)
    -5.9934
    """

    likelihood = "studentt"
    domains = {"nu": POSITIVE, "mu": REAL, "sigma": POSITIVE}

    def __init__(self, *, y: Any, nu: Any, mu: Any, sigma: Any):
        self._init_family({"y": y}, {"nu": nu, "mu": mu, "sigma": sigma})

    def _validate(self, data):
        return {"y": check_real("y", data["y"])}

    def _ll(self, v):
        y, p, axis = self._obs(v)
        nu, s = p["nu"], p["sigma"]
        z = (y - p["mu"]) / s
        with np.errstate(divide="ignore"):
            ll = (
                gammaln((nu + 1) / 2)
                - gammaln(nu / 2)
                - 0.5 * np.log(nu * np.pi)
                - np.log(s)
                - (nu + 1) / 2 * np.log1p(z * z / nu)
            )
        return ll.sum(axis=axis)

    def _grad_ll(self, v):
        y, p, axis = self._obs(v)
        nu, s = p["nu"], p["sigma"]
        d = y - p["mu"]
        r = d * d / (nu * s * s)
        u = 1.0 + r
        g_nu = 0.5 * (digamma((nu + 1) / 2) - digamma(nu / 2) - 1.0 / nu - np.log1p(r)) + (
            nu + 1
        ) * r / (2 * nu * u)
        return {
            "nu": g_nu.sum(axis=axis),
            "mu": ((nu + 1) * d / (nu * s * s + d * d)).sum(axis=axis),
            "sigma": (-1.0 / s + (nu + 1) * r / (s * u)).sum(axis=axis),
        }

    def _pymc_likelihood(self, params: Mapping[str, Any]) -> Any:
        """``pm.StudentT("y", nu, mu, sigma, observed=y)``."""
        import pymc as pm

        v = _with_fixed(self, params)
        return pm.StudentT("y", nu=v["nu"], mu=v["mu"], sigma=v["sigma"], observed=self.stats["y"])


class Weibull(_RawDataModel):
    """Positive observations ``y`` with shape ``alpha`` and *scale* ``beta`` (PyMC's Weibull).

    The density is ``(alpha / beta) (y / beta)**(alpha-1) exp(-(y / beta)**alpha)``, scipy's
    ``stats.weibull_min(alpha, scale=beta)``. Not conjugate: either parameter may be a prior or
    a fixed number. With ``alpha`` fixed the statistics are sufficient (``n``,
    ``sum y**alpha``, ``sum log y``) and the data are not needed again; with a free ``alpha``
    they are the observations.

    Parameters
    ----------
    y : array_like
        Observed values, all ``> 0``.
    alpha : scipy.stats frozen distribution or float
        Prior on (or value of) the shape.
    beta : scipy.stats frozen distribution or float
        Prior on (or value of) the scale.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Weibull(y=[0.8, 1.7, 1.1], alpha=stats.gamma(2), beta=stats.gamma(2))
    >>> m.names
    ('alpha', 'beta')
    >>> round(float(m.log_likelihood(alpha=1.0, beta=1.0)), 4)  # exponential: -sum(y)
    -3.6
    >>> sorted(bg.Weibull(y=[0.8, 1.7], alpha=2.0, beta=stats.gamma(2)).stats)
    ['log_total', 'n', 'power_total']
    """

    likelihood = "weibull"
    domains = {"alpha": POSITIVE, "beta": POSITIVE}

    def __init__(self, *, y: Any, alpha: Any, beta: Any):
        self._init_family({"y": y}, {"alpha": alpha, "beta": beta})

    def _validate(self, data):
        return _positive_data(data)

    @property
    def _raw(self) -> bool:
        return "alpha" not in self.fixed

    def _stats(self, arrays):
        if self._raw:
            return super()._stats(arrays)
        y = arrays["y"]
        return {
            "n": np.full(self.group_shape, float(y.shape[0])),
            "power_total": self._sum(y ** self.fixed["alpha"]),
            "log_total": self._sum(np.log(y)),
        }

    def _merge(self, a, b):
        return super()._merge(a, b) if self._raw else ElementwiseModel._merge(self, a, b)

    def _ll(self, v):
        if not self._raw:
            a, b, s = v["alpha"], v["beta"], self.stats
            with np.errstate(divide="ignore", over="ignore"):
                return (
                    s["n"] * (np.log(a) - a * np.log(b))
                    + (a - 1) * s["log_total"]
                    - s["power_total"] * b ** (-a)
                )
        y, p, axis = self._obs(v)
        a, b = p["alpha"], p["beta"]
        with np.errstate(divide="ignore", over="ignore"):
            log_ratio = np.log(y) - np.log(b)
            ll = np.log(a) - np.log(b) + (a - 1) * log_ratio - np.exp(a * log_ratio)
        return ll.sum(axis=axis)

    def _grad_ll(self, v):
        if not self._raw:
            a, b, s = v["alpha"], v["beta"], self.stats
            return {"beta": a * (s["power_total"] * b ** (-a) - s["n"]) / b}
        y, p, axis = self._obs(v)
        a, b = p["alpha"], p["beta"]
        with np.errstate(over="ignore"):
            log_ratio = np.log(y) - np.log(b)
            w = np.exp(a * log_ratio)  # (y / beta) ** alpha
        return {
            "alpha": (1.0 / a + log_ratio * (1.0 - w)).sum(axis=axis),
            "beta": (a * (w - 1.0) / b).sum(axis=axis),
        }

    @property
    def bytes_per_evaluation(self) -> int:
        if self._raw:
            return super().bytes_per_evaluation
        return ElementwiseModel.bytes_per_evaluation.fget(self)

    def _pymc_likelihood(self, params: Mapping[str, Any]) -> Any:
        """``pm.Weibull("y", alpha, beta, observed=y)``; a ``pm.Potential`` from the sufficient
        statistics (known ``alpha``) when the data were not kept."""
        import pymc as pm
        import pytensor.tensor as pt

        v = _with_fixed(self, params)
        y = self.stats["y"] if self._raw else self.data["y"] if self.data is not None else None
        if y is not None:
            return pm.Weibull("y", alpha=v["alpha"], beta=v["beta"], observed=y)
        a, b, s = v["alpha"], v["beta"], self.stats
        ll = (
            s["n"] * (pt.log(a) - a * pt.log(b))
            + (a - 1) * s["log_total"]
            - s["power_total"] * b ** (-a)
        )
        return pm.Potential("log_likelihood", pt.sum(ll))
