"""Linear regression: the Gaussian likelihood through its quadratic-form statistics.

``rss(b) = rss + (b - b0)' X'X (b - b0)`` with the least-squares ``b0``: the statistics
``(n, X'X, b0, rss)`` summarise the data, merge exactly across batches, and give the
likelihood and its gradient without touching the rows again.

Examples
--------
>>> import numpy as np
>>> s = _quadratic_stats(np.array([[1.0], [1.0]]), np.array([1.0, 3.0]))
>>> round(float(s["coef_ols"][0]), 6), round(float(s["rss"]), 6)
(2.0, 2.0)
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._validation import owned
from ._design import _LOG_2PI, _check_design, _Regression
from .base import KEEP_DATA_LIMIT, POSITIVE

__all__ = ["LinearRegression"]


def _quadratic_stats(Xa: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Least-squares form of the Gaussian likelihood: ``rss(b) = rss + (b-b0)' A (b-b0)``."""
    b0, *_ = np.linalg.lstsq(Xa, y, rcond=None)
    resid = y - Xa @ b0
    stats = {
        "n": np.asarray(float(y.shape[0])),
        "xtx": Xa.T @ Xa,
        "coef_ols": b0,
        "rss": np.asarray(float(resid @ resid)),
    }
    return {k: owned(v) for k, v in stats.items()}


def _merge_quadratic(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    A = a["xtx"] + b["xtx"]
    rhs = a["xtx"] @ a["coef_ols"] + b["xtx"] @ b["coef_ols"]
    b0 = np.linalg.lstsq(A, rhs, rcond=None)[0]
    da, db = a["coef_ols"] - b0, b["coef_ols"] - b0
    rss = a["rss"] + b["rss"] + da @ a["xtx"] @ da + db @ b["xtx"] @ db
    stats = {"n": a["n"] + b["n"], "xtx": A, "coef_ols": b0, "rss": np.asarray(float(rss))}
    return {k: owned(v) for k, v in stats.items()}


class LinearRegression(_Regression):
    """``y ~ Normal(intercept + X @ coef, sigma)``, the noise given by ``sigma`` or ``sigma2``.

    The joint conjugate prior over ``(coef, sigma2)`` is
    :class:`bayesgd.priors.NormalInverseGamma` passed as ``prior=``; with it, put an intercept
    column in ``X`` (``intercept`` must then be None or a fixed number).

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
    y : array_like, shape (n,)
    coef : scipy.stats frozen distribution or array_like, optional
    intercept : scipy.stats frozen distribution, float or None
    sigma, sigma2 : scipy.stats frozen distribution or float, optional
    prior : NormalInverseGamma, optional
        Joint prior over ``coef`` and ``sigma2``.

    Examples
    --------
    >>> import numpy as np
    >>> import bayesgd as bg
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> prior = bg.priors.NormalInverseGamma(mean=[0, 0], cov=100.0, a=2, b=2)
    >>> m = bg.LinearRegression(X=X, y=[1.0, 3.1, 4.9, 7.2], prior=prior)
    >>> m.names
    ('coef', 'sigma2')
    """

    likelihood = "linear"
    conjugate_role = "linear"
    task = "regression"
    extra_domains = {"sigma": POSITIVE, "sigma2": POSITIVE}

    def __init__(
        self,
        *,
        X: Any,
        y: Any,
        coef: Any = None,
        intercept: Any = None,
        sigma: Any = None,
        sigma2: Any = None,
        prior: Any = None,
    ):
        if prior is not None:
            if coef is not None or sigma is not None or sigma2 is not None:
                raise TypeError("give either a joint prior= or coef and sigma/sigma2, not both")
            if intercept is not None and (
                isinstance(intercept, bool) or not isinstance(intercept, numbers.Real)
            ):
                raise TypeError(
                    "with a joint prior= the intercept must be None or a fixed number; put a "
                    "column of ones in X to give it a prior"
                )
            params: dict[Any, Any] = {("coef", "sigma2"): prior, "intercept": intercept}
            self.scale_name = "sigma2"
        else:
            if coef is None:
                raise TypeError("LinearRegression needs coef (a prior or values), or prior=")
            if (sigma is None) == (sigma2 is None):
                raise TypeError("LinearRegression needs exactly one of sigma and sigma2")
            self.scale_name = "sigma" if sigma is not None else "sigma2"
            params = {
                "coef": coef,
                "intercept": intercept,
                self.scale_name: sigma if sigma is not None else sigma2,
            }
        self._setup_regression(X, y, params)
        self.stats = _quadratic_stats(self._design(self.data["X"]), self._response(self.data["y"]))

    @property
    def has_intercept_column(self) -> bool:
        """Whether the intercept is a free parameter (its column is first in ``stats``)."""
        return "intercept" in self.parameters

    def _design(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(len(X)), X]) if self.has_intercept_column else X

    def _response(self, y: np.ndarray) -> np.ndarray:
        return y - float(self.fixed["intercept"]) if "intercept" in self.fixed else y

    def _beta(self, v):
        coef = v["coef"]
        if self.has_intercept_column:
            lead = np.broadcast_shapes(coef.shape[:-1], np.shape(v["intercept"]))
            icpt = np.broadcast_to(v["intercept"], lead)
            coef = np.concatenate(
                [icpt[..., None], np.broadcast_to(coef, (*icpt.shape, coef.shape[-1]))], axis=-1
            )
        return coef

    def _variance(self, v):
        return v["sigma"] ** 2 if "sigma" in v else v["sigma2"]

    def _loglik(self, values, batch):
        v = self._all(values)
        d = self._beta(v) - self.stats["coef_ols"]
        quad = np.einsum("...i,ij,...j->...", d, self.stats["xtx"], d)
        s2 = self._variance(v)
        n = self.stats["n"]
        with np.errstate(divide="ignore"):
            return -0.5 * n * (_LOG_2PI + np.log(s2)) - (self.stats["rss"] + quad) / (2 * s2)

    def _grad_loglik(self, values, batch):
        v = self._all(values)
        d = self._beta(v) - self.stats["coef_ols"]
        s2 = np.asarray(self._variance(v))
        ad = d @ self.stats["xtx"]
        g_beta = -ad / s2[..., None]
        quad = np.sum(d * ad, axis=-1)
        n = self.stats["n"]
        g_s2 = -0.5 * n / s2 + (self.stats["rss"] + quad) / (2 * s2 * s2)
        grads = {}
        if self.has_intercept_column:
            grads["intercept"] = g_beta[..., 0]
            g_beta = g_beta[..., 1:]
        grads["coef"] = g_beta
        if "sigma" in v:
            grads["sigma"] = g_s2 * 2 * v["sigma"]
        else:
            grads["sigma2"] = g_s2
        return {
            n_: np.broadcast_to(grads[n_], (*batch, *p.shape)) for n_, p in self.parameters.items()
        }

    def _hess_loglik(self, values):
        """Exact Hessian over ``(beta, s2)`` (``beta`` = [intercept, coef]), then chained to
        ``sigma`` when the scale is the sd and cut to the free parameters in their order."""
        v = self._all(values)
        A, n = self.stats["xtx"], float(self.stats["n"])
        d = self._beta(v) - self.stats["coef_ols"]
        s2 = float(self._variance(v))
        ad = A @ d
        total = float(self.stats["rss"]) + float(d @ ad)
        k = d.size
        full = np.zeros((k + 1, k + 1))
        full[:k, :k] = -A / s2
        full[:k, k] = full[k, :k] = ad / s2**2
        full[k, k] = 0.5 * n / s2**2 - total / s2**3
        if "sigma" in v:  # s2 = sigma^2: chain rule, with the gradient term of d2 s2 / d sigma2
            sigma = float(v["sigma"])
            g_s2 = -0.5 * n / s2 + total / (2 * s2 * s2)
            full[:k, k] = full[k, :k] = full[:k, k] * 2 * sigma
            full[k, k] = full[k, k] * 4 * s2 + 2 * g_s2
        first = 1 if self.has_intercept_column else 0
        index = {"intercept": [0], "coef": list(range(first, k)), self.scale_name: [k]}
        rows = [i for name in self.parameters for i in index[name]]
        return full[np.ix_(rows, rows)]

    @property
    def bytes_per_evaluation(self) -> int:
        return 8 * 4 * (self.n_features + 1) ** 2

    def updated(self, **data: Any) -> LinearRegression:
        """A new model with more rows ``X``, ``y``; equals fitting all rows at once."""
        if set(data) != {"X", "y"}:
            raise TypeError(f"update() needs exactly X and y, got {sorted(data)}")
        X, y = _check_design(
            data["X"], data["y"], y_check=self._check_y, n_features=self.n_features
        )
        new = self.copy()
        new.stats = _merge_quadratic(
            self.stats, _quadratic_stats(self._design(X), self._response(y))
        )
        if (
            self.data is not None
            and (self.n_obs + len(y)) * (self.n_features + 1) <= KEEP_DATA_LIMIT
        ):
            new.data = {
                "X": owned(np.vstack([self.data["X"], X])),
                "y": owned(np.concatenate([self.data["y"], y])),
            }
        else:
            new.data = None
        return new

    @property
    def n_obs(self) -> int:
        return int(self.stats["n"])

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``y ~ Normal(eta, sigma)``, or its statistics' form."""
        import pytensor.tensor as pt

        from .. import _pymc_likelihoods as lik

        if self.data is not None:
            eta = lik.linear_predictor(params, self.data)
            return lik.observed(
                self, "Normal", "y", self.data["y"], mu=eta, sigma=lik.scale_of(params)
            )
        s = lik.float_stats(self)
        coef = params["coef"]
        if "intercept" in self.parameters:
            coef = pt.concatenate([pt.atleast_1d(params["intercept"]), coef])
        diff = coef - s["coef_ols"]
        quad = pt.dot(diff, pt.dot(s["xtx"], diff))
        s2 = lik.variance_of(params)
        return lik.potential(
            self, -0.5 * s["n"] * (_LOG_2PI + pt.log(s2)) - (s["rss"] + quad) / (2 * s2)
        )
