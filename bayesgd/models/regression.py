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

import numbers
from typing import Any

import numpy as np
from scipy.special import expit, gammaln

from .._validation import owned
from ._elementwise import check_counts, check_real, check_rows
from .base import KEEP_DATA_LIMIT, POSITIVE, REAL, Model

__all__ = ["LinearRegression", "LogisticRegression", "PoissonRegression"]

_LOG_2PI = np.log(2.0 * np.pi)
#: Elements of ``batch x n`` evaluated at once; bounds memory of the linear predictor.
_CHUNK_ELEMENTS = 1 << 21
#: Cells (rows x batch, rows x features) per chunk of the fused likelihood and gradient:
#: small enough for the cache, so the gradient ``r @ X`` reads the rows from it.
_FUSED_CELLS = 1 << 17


def _check_offset(offset: Any, n_rows: int, *, rows: str = "X") -> np.ndarray:
    """A finite offset per row: a scalar, or one value per row of ``rows`` (``n_rows``)."""
    off = np.asarray(check_real("offset", offset), dtype=float)
    if off.ndim > 1 or (off.ndim == 1 and off.shape[0] not in (1, n_rows)):
        raise ValueError(
            f"offset must be a scalar or have one value per row of {rows} ({n_rows}), got "
            f"shape {off.shape}"
        )
    return np.broadcast_to(off, (n_rows,)).copy()


def _check_design(
    X: Any, y: Any, *, y_check, n_features: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    X = check_rows(X, n_features, "X")
    y = np.asarray(y_check("y", y), dtype=float)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must be a vector with one value per row of X ({X.shape[0]}), got shape {y.shape}"
        )
    return X, y


class _Regression(Model):
    """Shared pieces: design matrix, coefficient and intercept priors, update."""

    def _setup_regression(self, X, y, params: dict[Any, Any], *, offset: Any = None) -> None:
        X_given, y_given = X, y
        X, y = _check_design(X, y, y_check=self._check_y)
        self.n_features = X.shape[1]
        self._setup_priors(
            params,
            domains={"coef": REAL, "intercept": REAL, **self.extra_domains},
            shapes={"coef": (self.n_features,)},
        )
        if "coef" in self.parameters and self.parameters["coef"].shape != (self.n_features,):
            raise ValueError(
                f"coef has shape {self.parameters['coef'].shape} from its prior, but X has "
                f"{self.n_features} columns"
            )
        if "coef" in self.fixed:
            coef = np.broadcast_to(self.fixed["coef"], (self.n_features,))
            self.fixed["coef"] = owned(coef.copy())
        self.data = {"X": owned(X, X_given), "y": owned(y, y_given)}
        if offset is not None:
            self.data["offset"] = owned(_check_offset(offset, y.shape[0]), offset)

    extra_domains: dict[str, Any] = {}

    @staticmethod
    def _check_y(name, y):
        return check_real(name, y)

    @property
    def n_obs(self) -> int:
        return int(self.data["y"].shape[0])

    def _coef_intercept(self, v: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        coef = v["coef"]
        intercept = v.get("intercept", np.zeros(()))
        return coef, np.asarray(intercept, dtype=float)

    def _eta(self, coef, intercept, lo, hi) -> np.ndarray:
        eta = coef @ self.data["X"][lo:hi].T + intercept[..., None]
        if "offset" in self.data:
            eta = eta + self.data["offset"][lo:hi]
        return eta

    def _chunks(self, batch: tuple[int, ...]):
        n = self.n_obs
        step = max(1, _CHUNK_ELEMENTS // max(1, int(np.prod(batch, dtype=int))))
        for lo in range(0, n, step):
            yield lo, min(n, lo + step)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}; n={self.n_obs}, d={self.n_features})"

    # prediction hooks (see bayesgd.predictive) ---------------------------------------------
    @property
    def can_predict(self) -> bool:
        return True

    def _check_X(self, X: Any, name: str = "X_new") -> np.ndarray:
        """New inputs: ``(m, d)``, or 1-D for a one-feature model (see ``check_rows``)."""
        return check_rows(X, self.n_features, name)

    def _inverse_link(self, eta: np.ndarray) -> np.ndarray:
        return eta

    def _predictive_mean(
        self,
        X: np.ndarray,
        values: Any,
        batch: tuple[int, ...],
        *,
        offset: np.ndarray | None = None,
    ) -> np.ndarray:
        """``E[y | x, θ]`` for rows ``X`` (m, d) at each batch index: shape ``batch + (m,)``.

        ``offset`` (shape ``(m,)``) is added to the linear predictor of each row.
        """
        v = self._all(values)
        coef = np.broadcast_to(v["coef"], (*batch, self.n_features))
        intercept = np.asarray(v.get("intercept", 0.0), dtype=float)
        eta = coef @ X.T + intercept[..., None]
        if offset is not None:
            eta = eta + offset
        return self._inverse_link(eta)

    def predict(self, X_new: Any, params: Any = None, **kwargs: Any) -> Any:
        """Predictions at new inputs from parameter values (or a MAPResult) or a posterior.

        ``E[y | x]``: a probability (logistic), a mean count ``exp(intercept + x @ coef +
        offset)`` (Poisson; give ``offset=`` for the new rows when the model was fitted with
        one) or a mean (linear). ``X_new`` has shape ``(m, d)``; a 1-D ``X_new`` is ``m``
        values of the single feature of a one-feature model. See
        :func:`bayesgd.predictive.predict` for the options.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.LogisticRegression(X=[[0.0], [1.0]], y=[0, 1], coef=stats.norm(0, 1))
        >>> m.predict([[0.0], [2.0]], {"coef": np.array([1.0])}).round(3)
        array([0.5  , 0.881])
        """
        from ..predictive import predict

        return predict(self, X_new, params, **kwargs)


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
