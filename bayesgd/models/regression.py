"""Regression likelihoods: linear (Normal noise), logistic and Poisson (log link).

All three take a design matrix ``X`` of shape ``(n, d)``, a coefficient vector ``coef`` of
shape ``(d,)`` and an optional ``intercept``. A scalar prior such as ``stats.norm(0, 2.5)`` is
shared by every coefficient; a batched or multivariate-normal prior gives each its own.

Every argument that takes rows of features (the constructors, ``update``, ``predict``,
``predictive(X=...)``) reads ``X`` the same way: 2-D, one row per observation and ``d``
columns; a 1-D ``X`` is a column of values of the single feature of a one-feature model, and
is refused when there are more features (give one row as ``[[x1, ..., xd]]``).

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> import bayesgd as bg
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> m = bg.LogisticRegression(X=X, y=[0, 0, 1, 1], coef=stats.norm(0, 2.5),
...                           intercept=stats.norm(0, 5))
>>> m.names
('coef', 'intercept')
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, gammaln

from .._validation import owned
from ._design import (
    _FUSED_CELLS,
    _check_design,
    _check_offset,
    _Regression,
)
from ._elementwise import check_counts
from .linear import LinearRegression

__all__ = ["LinearRegression", "LogisticRegression", "PoissonRegression"]


class _GLM(_Regression):
    """Generalised linear models without sufficient statistics: data are chunked."""

    def _point_ll(self, y, eta):
        raise NotImplementedError

    def _dll_deta(self, y, eta):
        raise NotImplementedError

    def _loglik(self, values, batch):
        v = self._all(values)
        coef, intercept = self._coef_intercept(v)
        total = np.zeros(np.broadcast_shapes(batch, coef.shape[:-1], intercept.shape))
        for lo, hi in self._chunks(batch):
            eta = self._eta(coef, intercept, lo, hi)
            total = total + self._point_ll(self.data["y"][lo:hi], eta).sum(axis=-1)
        return total

    def _grad_loglik(self, values, batch):
        v = self._all(values)
        coef, intercept = self._coef_intercept(v)
        g_coef = np.zeros((*batch, self.n_features))
        g_int = np.zeros(batch)
        for lo, hi in self._chunks(batch):
            r = self._dll_deta(self.data["y"][lo:hi], self._eta(coef, intercept, lo, hi))
            g_coef = g_coef + r @ self.data["X"][lo:hi]
            g_int = g_int + r.sum(axis=-1)
        grads = {"coef": g_coef, "intercept": g_int}
        return {n: grads[n] for n in self.parameters}

    def _d2ll_deta2(self, y, eta):
        raise NotImplementedError

    def _chunk_ll_and_residual(self, y, eta, lo, hi):
        """Log likelihood of rows ``lo:hi`` (summed) and ``d ll / d eta`` from one ``eta``
        (which it may overwrite)."""
        return self._point_ll(y, eta).sum(axis=-1), self._dll_deta(y, eta)

    def _loglik_constant(self) -> float:
        return 0.0

    def _data_cache(self, key: str, compute) -> Any:
        """A value derived from ``y``, recomputed when ``y`` is replaced (``update``)."""
        cache = self.__dict__.setdefault("_derived", {})
        y = self.data["y"]
        hit = cache.get(key)
        if hit is None or hit[0] is not y:
            hit = cache[key] = (y, compute(y))
        return hit[1]

    def _loglik_and_grad(self, values, batch):
        """Log likelihood and its gradient from one linear predictor per chunk of rows.

        Chunks small enough to stay in cache are read once for the linear predictor and
        again, from cache, for the gradient ``r @ X``: about twice as fast as whole-array
        passes.
        """
        v = self._all(values)
        coef, intercept = self._coef_intercept(v)
        X, y = self.data["X"], self.data["y"]
        offset = self.data.get("offset")
        n, d = X.shape
        lead = np.broadcast_shapes(coef.shape[:-1], np.shape(intercept))
        width = max(1, int(np.prod(lead, dtype=int)))
        rows = max(64, min(_FUSED_CELLS // max(1, d), _FUSED_CELLS // width))
        ll = np.zeros(lead)
        g_coef = np.zeros((*lead, d))
        g_int = np.zeros(lead)
        icpt = np.asarray(intercept, dtype=float)[..., None]
        for lo in range(0, n, rows):
            hi = min(n, lo + rows)
            Xc = X[lo:hi]
            eta = Xc @ coef if coef.ndim == 1 else coef @ Xc.T
            eta = eta + icpt
            if offset is not None:
                eta += offset[lo:hi]
            part, r = self._chunk_ll_and_residual(y[lo:hi], eta, lo, hi)
            ll = ll + part
            g_coef = g_coef + r @ Xc
            g_int = g_int + r.sum(axis=-1)
        ll = np.broadcast_to(ll - self._loglik_constant(), batch)
        grads = {
            "coef": np.broadcast_to(g_coef, (*batch, d)),
            "intercept": np.broadcast_to(g_int, batch),
        }
        return ll, {name: grads[name] for name in self.parameters}

    def _hess_loglik(self, values):
        """``Xa' diag(d2 ll / d eta2) Xa`` over the free columns (``coef``, then intercept)."""
        v = self._all(values)
        coef, intercept = self._coef_intercept(v)
        free_coef, free_icpt = "coef" in self.parameters, "intercept" in self.parameters
        k = self.n_features * free_coef + free_icpt
        hess = np.zeros((k, k))
        for lo, hi in self._chunks(()):
            eta = self._eta(coef, intercept, lo, hi)
            w = self._d2ll_deta2(self.data["y"][lo:hi], eta)
            cols = [self.data["X"][lo:hi]] if free_coef else []
            if free_icpt:
                cols.append(np.ones((hi - lo, 1)))
            Xa = np.hstack(cols)
            hess += (Xa * w[:, None]).T @ Xa
        return hess

    @property
    def bytes_per_evaluation(self) -> int:
        return 8 * 4 * self.n_obs

    def updated(self, **data: Any) -> _GLM:
        """A new model with more rows ``X``, ``y`` (and ``offset``) appended."""
        expected = set(self.data)
        if set(data) != expected:
            raise TypeError(
                f"update() needs exactly the data {sorted(expected)}, got {sorted(data)}"
            )
        X, y = _check_design(
            data["X"], data["y"], y_check=self._check_y, n_features=self.n_features
        )
        new = self.copy()
        new.data = {
            "X": owned(np.vstack([self.data["X"], X])),
            "y": owned(np.concatenate([self.data["y"], y])),
        }
        if "offset" in data:
            off = _check_offset(data["offset"], y.shape[0])
            new.data["offset"] = owned(np.concatenate([self.data["offset"], off]))
        return new


class LogisticRegression(_GLM):
    """Binary outcomes ``y`` with ``P(y=1) = expit(intercept + X @ coef)``.

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
        Features.
    y : array_like of 0/1, shape (n,)
        Outcomes.
    coef : scipy.stats frozen distribution or array_like
        Prior on the coefficients (a scalar prior is shared by all), or fixed values.
    intercept : scipy.stats frozen distribution, float or None
        Prior on the intercept, a fixed value, or None for no intercept.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.LogisticRegression(X=np.eye(2), y=[1, 0], coef=stats.norm(0, 1), intercept=None)
    >>> float(m.log_likelihood(coef=np.zeros(2)))  # 2 * log(1/2)
    -1.3862943611198906
    """

    likelihood = "logistic"
    task = "classification"

    def _inverse_link(self, eta):
        return expit(eta)

    def __init__(self, *, X: Any, y: Any, coef: Any, intercept: Any = None):
        self._setup_regression(X, y, {"coef": coef, "intercept": intercept})

    @staticmethod
    def _check_y(name, y):
        return check_counts(name, y, high=1)

    def _point_ll(self, y, eta):
        return y * eta - np.logaddexp(0.0, eta)

    def _dll_deta(self, y, eta):
        return y - expit(eta)

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``y ~ Bernoulli(logit_p=eta)``."""
        if self.data is None:
            return NotImplemented
        from .. import _pymc_likelihoods as lik

        eta = lik.linear_predictor(params, self.data)
        return lik.observed(self, "Bernoulli", "y", self.data["y"], logit_p=eta)

    def _d2ll_deta2(self, y, eta):
        return -expit(eta) * expit(-eta)

    def _chunk_ll_and_residual(self, y, eta, lo, hi):
        # one exponential for both terms: with q = 1 + exp(-eta), P(y = 1) = 1 / q and
        # log(1 + exp(eta)) = eta + log q
        failures = self._data_cache("failures", lambda y: 1.0 - y)[lo:hi]
        neg = np.negative(eta, out=eta)  # a fresh array: reuse it for -eta
        q = np.exp(neg)
        q += 1.0
        lq = np.log(q).sum(axis=-1)
        if not np.all(np.isfinite(lq)):  # exp(-eta) overflowed: log q = -eta there
            lq = np.where(np.isinf(np.log(q)), neg, np.log(q)).sum(axis=-1)
        ll = neg @ failures - lq
        return ll, np.subtract(y, np.reciprocal(q, out=q), out=q)


class PoissonRegression(_GLM):
    """Counts ``y`` with mean ``exp(intercept + X @ coef + offset)`` (log link).

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
    y : array_like of int, shape (n,)
    coef : scipy.stats frozen distribution or array_like
    intercept : scipy.stats frozen distribution, float or None
    offset : array_like, optional
        Added to the linear predictor, e.g. ``np.log(exposure)``: a scalar or one value per
        row. A model fitted with an offset predicts new rows only with theirs:
        ``m.predict(X_new, params, offset=np.log(exposure_new))``; without one the offset of
        new rows defaults to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.PoissonRegression(X=np.ones((3, 1)), y=[1, 2, 0], coef=stats.norm(0, 1),
    ...                          offset=np.log([1.0, 2.0, 0.5]))
    >>> m.names
    ('coef',)
    >>> m.predict([[1.0]], {"coef": np.array([0.0])}, offset=np.log(3.0)).round(6)
    array([3.])
    """

    likelihood = "poisson_regression"
    task = "counts"

    def _inverse_link(self, eta):
        return np.exp(eta)

    def __init__(self, *, X: Any, y: Any, coef: Any, intercept: Any = None, offset: Any = None):
        self._setup_regression(X, y, {"coef": coef, "intercept": intercept}, offset=offset)

    @property
    def has_offset(self) -> bool:
        """Whether the model was fitted with an ``offset`` (new rows then need their own)."""
        return "offset" in self.data

    def _new_offset(self, offset: Any, n_rows: int) -> np.ndarray | None:
        if offset is None:
            if self.has_offset:
                raise TypeError(
                    "offset= is required: this PoissonRegression was fitted with an offset, so "
                    "new rows need theirs (e.g. offset=np.log(exposure); offset=0 for unit "
                    "exposure); leaving it out would scale every prediction by exp(-offset)"
                )
            return None
        return _check_offset(offset, n_rows, rows="X_new")

    @staticmethod
    def _check_y(name, y):
        return check_counts(name, y)

    def _point_ll(self, y, eta):
        return y * eta - np.exp(eta) - gammaln(y + 1)

    def _dll_deta(self, y, eta):
        return y - np.exp(eta)

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``y ~ Poisson(exp(eta))``."""
        if self.data is None:
            return NotImplemented
        import pytensor.tensor as pt

        from .. import _pymc_likelihoods as lik

        eta = lik.linear_predictor(params, self.data)
        return lik.observed(self, "Poisson", "y", self.data["y"], mu=pt.exp(eta))

    def _d2ll_deta2(self, y, eta):
        return -np.exp(eta)

    def _chunk_ll_and_residual(self, y, eta, lo, hi):
        mean = np.exp(eta)
        return eta @ y - mean.sum(axis=-1), y - mean

    def _loglik_constant(self) -> float:
        return float(self._data_cache("log_factorials", lambda y: gammaln(y + 1.0).sum()))
