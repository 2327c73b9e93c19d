"""Continuous likelihoods: Exponential and Normal.

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Normal(y=[1.0, 2.0, 3.0], mu=stats.norm(0, 10), sigma=1.0)
>>> float(m.stats["mean"]), float(m.stats["m2"])
(2.0, 2.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._elementwise import ElementwiseModel, _is_lazy, check_real
from .base import POSITIVE, REAL

__all__ = ["Exponential", "Normal"]

_LOG_2PI = np.log(2.0 * np.pi)


class Exponential(ElementwiseModel):
    """Waiting times ``y >= 0`` with rate ``lam`` (PyMC's spelling; scipy's ``scale = 1/lam``).

    Parameters
    ----------
    y : array_like
        Observed non-negative values.
    lam : scipy.stats frozen distribution or float
        Prior on the rate, e.g. ``stats.gamma(2, scale=1)``.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> float(bg.Exponential(y=[0.5, 1.5], lam=stats.gamma(1)).stats["total"])
    2.0
    """

    likelihood = "exponential"
    conjugate_role = "gamma-exponential"
    observed = ("y",)
    domains = {"lam": POSITIVE}

    def __init__(self, *, y: Any, lam: Any):
        self._init_family({"y": y}, {"lam": lam})

    def _validate(self, data):
        return {"y": check_real("y", data["y"], low=0.0)}

    def _stats(self, arrays):
        total = self._sum(arrays["y"])
        return {"n": np.full_like(total, float(arrays["y"].shape[0])), "total": total}

    def _ll(self, v):
        lam = v["lam"]
        with np.errstate(divide="ignore"):
            return self.stats["n"] * np.log(lam) - lam * self.stats["total"]

    def _grad_ll(self, v):
        return {"lam": self.stats["n"] / v["lam"] - self.stats["total"]}

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``y ~ Exponential(lam)``, or its statistics' form."""
        import pytensor.tensor as pt

        from .. import _pymc_likelihoods as lik

        if self.data is not None:
            return lik.observed(self, "Exponential", "y", self.data["y"], lam=params["lam"])
        s = lik.float_stats(self)
        return lik.potential(self, s["n"] * pt.log(params["lam"]) - params["lam"] * s["total"])


class Normal(ElementwiseModel):
    """Normal observations ``y`` with mean ``mu`` and scale ``sigma`` (or variance ``sigma2``).

    Give exactly one of ``sigma`` and ``sigma2`` (each a prior or a fixed number), or a joint
    ``prior=`` over ``(mu, sigma2)`` such as ``stats.normal_inverse_gamma(mu=0, lmbda=1, a=1,
    b=1)``.

    Parameters
    ----------
    y : array_like
        Observations.
    mu : scipy.stats frozen distribution or float, optional
        Prior on (or value of) the mean.
    sigma, sigma2 : scipy.stats frozen distribution or float, optional
        Prior on (or value of) the standard deviation, or of the variance.
    prior : scipy.stats.normal_inverse_gamma frozen distribution, optional
        Joint prior; the parameters are then ``mu`` and ``sigma2``.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> bg.Normal(y=[0.1, 0.5], mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5)).names
    ('mu', 'sigma')
    >>> bg.Normal(y=[0.1, 0.5], prior=stats.normal_inverse_gamma(0, 1, 2, 2)).names
    ('mu', 'sigma2')
    """

    likelihood = "normal"
    conjugate_role = "normal"
    observed = ("y",)
    domains = {"mu": REAL, "sigma": POSITIVE, "sigma2": POSITIVE}

    def __init__(
        self,
        *,
        y: Any,
        mu: Any = None,
        sigma: Any = None,
        sigma2: Any = None,
        prior: Any = None,
    ):
        if prior is not None:
            if mu is not None or sigma is not None or sigma2 is not None:
                raise TypeError("give either a joint prior= or mu and sigma/sigma2, not both")
            params: dict[Any, Any] = {("mu", "sigma2"): prior}
            self.scale_name = "sigma2"
        else:
            if mu is None:
                raise TypeError("Normal needs mu (a prior or a number), or a joint prior=")
            if (sigma is None) == (sigma2 is None):
                raise TypeError(
                    "Normal needs exactly one of sigma and sigma2 (a prior or a number)"
                )
            self.scale_name = "sigma" if sigma is not None else "sigma2"
            params = {"mu": mu, self.scale_name: sigma if sigma is not None else sigma2}
        self._init_family({"y": y}, params)

    def _validate(self, data):
        return {"y": check_real("y", data["y"])}

    def _stats(self, arrays):
        y = arrays["y"]
        n = float(y.shape[0])
        if n == 0:
            zero = np.zeros(self.group_shape)
            return {"n": zero, "mean": zero, "m2": zero}
        if _is_lazy(y):  # dask: per-chunk mean and M2, combined by dask's own reduction
            return {
                "n": np.full(self.group_shape, n),
                "mean": y.mean(axis=0),
                "m2": y.var(axis=0) * n,
            }
        with np.errstate(over="ignore"):
            mean = self._sum(y) / n
        if not np.all(np.isfinite(mean)):  # the sum overflowed: average values scaled to [-1, 1]
            big = np.max(np.abs(y), axis=0)
            scale = np.where(big > 0, big, 1.0)
            mean = scale * (self._sum(y / scale) / n)
        with np.errstate(over="ignore"):  # a spread past 1e154 has m2 = inf, honestly
            m2 = self._sum((y - mean) ** 2)
        return {"n": np.full_like(mean, n), "mean": mean, "m2": m2}

    def _merge(self, a, b):
        """Chan et al.'s parallel update of (n, mean, M2): stable and exact."""
        n = a["n"] + b["n"]
        safe = np.where(n > 0, n, 1.0)
        with np.errstate(over="ignore", invalid="ignore"):
            delta = b["mean"] - a["mean"]
            mean = a["mean"] + delta * b["n"] / safe
        if not np.all(np.isfinite(mean)):  # the difference overflowed: weighted average instead
            mean = np.where(
                np.isfinite(mean), mean, a["mean"] * (a["n"] / safe) + b["mean"] * (b["n"] / safe)
            )
        m2 = a["m2"] + b["m2"] + delta**2 * a["n"] * b["n"] / safe
        return {"n": n, "mean": mean, "m2": m2}

    def _variance(self, v):
        return v["sigma"] ** 2 if "sigma" in v else v["sigma2"]

    @staticmethod
    def _log_variance(v):
        """``log sigma^2``, from ``sigma`` without squaring it (1e200 and 1e-200 stay finite)."""
        with np.errstate(divide="ignore"):
            return 2.0 * np.log(v["sigma"]) if "sigma" in v else np.log(v["sigma2"])

    def _ll(self, v):
        # Residuals are divided by sigma before squaring, never by sigma^2: the log density at
        # sigma = 1e200 or 1e-200 is finite though sigma^2 is not.
        log_s2 = self._log_variance(v)
        n, mean, m2 = self.stats["n"], self.stats["mean"], self.stats["m2"]
        with np.errstate(over="ignore", under="ignore"):
            inv_s = np.exp(-0.5 * log_s2)
            z = (mean - v["mu"]) * inv_s
            return -0.5 * n * (_LOG_2PI + log_s2) - 0.5 * (m2 * inv_s * inv_s + n * z * z)

    def _grad_ll(self, v):
        log_s2 = self._log_variance(v)
        n, mean, m2 = self.stats["n"], self.stats["mean"], self.stats["m2"]
        with np.errstate(over="ignore", under="ignore"):
            inv_s = np.exp(-0.5 * log_s2)
            z = (mean - v["mu"]) * inv_s
            # d ll / d log(sigma^2) = (-n + m2 / s2 + n z^2) / 2
            g_log_s2 = 0.5 * (-n + m2 * inv_s * inv_s + n * z * z)
            grads = {"mu": n * z * inv_s}
            if "sigma" in v:
                grads["sigma"] = 2.0 * g_log_s2 / v["sigma"]
            else:
                grads["sigma2"] = g_log_s2 / v["sigma2"]
        return grads

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``y ~ Normal(mu, sigma)``, or its statistics' form."""
        import pytensor.tensor as pt

        from .. import _pymc_likelihoods as lik

        if self.data is not None:
            sigma = lik.scale_of(params)
            return lik.observed(self, "Normal", "y", self.data["y"], mu=params["mu"], sigma=sigma)
        s = lik.float_stats(self)
        s2, n = lik.variance_of(params), s["n"]
        return lik.potential(
            self,
            -0.5 * n * (_LOG_2PI + pt.log(s2))
            - (s["m2"] + n * (s["mean"] - params["mu"]) ** 2) / (2 * s2),
        )
