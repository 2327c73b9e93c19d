"""Joint and vector priors: each class is its family's record.

``scipy.stats.dirichlet``, ``scipy.stats.multivariate_normal``,
``scipy.stats.normal_inverse_gamma`` and bayesgd's :class:`NormalInverseGamma` (coefficients
and noise variance of a linear regression). Each class answers every hook of
:class:`~bayesgd.families.prior.Prior` itself.

Examples
--------
>>> prior = normal_inverse_gamma(mean=[0.0, 0.0], cov=10.0, a=2.0, b=1.0)
>>> prior.mean()[1]
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats
from scipy.special import gammaln, xlogy

from ..transforms import Identity, LowerBound, StickBreaking
from .prior import Prior, sum_event

__all__ = [
    "DirichletPrior",
    "MvNIGPrior",
    "MvNormalPrior",
    "NIGPrior",
    "NormalInverseGamma",
    "normal_inverse_gamma",
]

_LOG_2PI = np.log(2.0 * np.pi)


class DirichletPrior(Prior):
    """``scipy.stats.dirichlet(alpha)``: a probability vector on the simplex."""

    family = "dirichlet"

    def __init__(self, name: str, dist: Any):
        super().__init__((name,), dist)
        self.alpha = np.asarray(dist.alpha, dtype=float)
        if (
            self.alpha.ndim != 1
            or self.alpha.size < 2
            or not np.all(np.isfinite(self.alpha))
            or np.any(self.alpha <= 0)
        ):
            raise ValueError(
                f"prior for {name!r}: dirichlet alpha must be a vector of >= 2 positive numbers"
            )
        self.shapes = {name: self.alpha.shape}
        self.transforms = {name: StickBreaking(self.alpha.size)}
        self._log_norm = np.sum(gammaln(self.alpha)) - gammaln(np.sum(self.alpha))

    def logpdf(self, values):
        x = np.asarray(values[self.names[0]], dtype=float)
        inside = np.all(x >= 0, axis=-1) & (np.abs(x.sum(axis=-1) - 1.0) < 1e-9)
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = np.sum(xlogy(self.alpha - 1, x), axis=-1) - self._log_norm
        return np.where(inside, lp, -np.inf)

    def grad_logpdf(self, values):
        x = np.asarray(values[self.names[0]], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {self.names[0]: (self.alpha - 1) / x}

    def rvs(self, size, rng):
        return {self.names[0]: rng.dirichlet(self.alpha, size=size)}

    def support(self, name):
        shape = self.alpha.shape
        return np.zeros(shape), np.ones(shape)

    def grid_box(self, name, q):
        return self._on_shape(name, 0.0, 1.0)

    def central_point(self):
        return {self.names[0]: self.alpha / self.alpha.sum()}

    def as_conjugate(self, kind):
        return (self.alpha,) if kind == "dirichlet" else ""

    def _pymc_variables(self, shapes):
        import pymc as pm

        name = self.names[0]
        return {name: pm.Dirichlet(name, a=self.alpha)}


class _GaussianForm:
    """Shared pieces of priors with a Gaussian ``(x - m)' P (x - m)`` term."""

    def _set_gaussian(self, mean: np.ndarray, cov: np.ndarray, what: str) -> None:
        if not np.all(np.isfinite(mean)):
            raise ValueError(f"{what}: mean must be finite, got {mean.tolist()}")
        cov = np.asarray(cov, dtype=float)
        if cov.ndim == 0 or (cov.ndim == 1 and cov.shape == mean.shape):
            cov = np.diag(np.broadcast_to(cov, mean.shape))
        if cov.shape != (mean.size, mean.size):
            raise ValueError(f"{what}: cov must be ({mean.size}, {mean.size}), got {cov.shape}")
        if not np.all(np.isfinite(cov)) or not np.allclose(cov, cov.T, rtol=1e-10, atol=0.0):
            raise ValueError(f"{what}: cov must be finite and symmetric positive definite")
        try:
            chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError as exc:
            raise ValueError(f"{what}: cov must be symmetric positive definite") from exc
        self.mean_ = mean
        self.cov = cov
        self.precision = np.linalg.inv(cov)
        self.chol = chol
        self.log_det_cov = 2.0 * np.sum(np.log(np.diag(chol)))

    def _quad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = x - self.mean_
        pd = d @ self.precision
        return np.sum(d * pd, axis=-1), pd


class MvNormalPrior(_GaussianForm, Prior):
    """``scipy.stats.multivariate_normal(mean, cov)``: a real vector."""

    family = "multivariate_normal"

    def __init__(self, name: str, dist: Any):
        super().__init__((name,), dist)
        mean = np.atleast_1d(np.asarray(dist.mean, dtype=float))
        self._set_gaussian(mean, dist.cov, f"prior for {name!r}")
        self.shapes = {name: mean.shape}
        self.transforms = {name: Identity()}
        self._const = -0.5 * (mean.size * _LOG_2PI + self.log_det_cov)

    def logpdf(self, values):
        q, _ = self._quad(np.asarray(values[self.names[0]], dtype=float))
        return self._const - 0.5 * q

    def grad_logpdf(self, values):
        _, pd = self._quad(np.asarray(values[self.names[0]], dtype=float))
        return {self.names[0]: -pd}

    def rvs(self, size, rng):
        z = rng.standard_normal((*size, self.mean_.size))
        return {self.names[0]: self.mean_ + z @ self.chol.T}

    def support(self, name):
        shape = self.mean_.shape
        return np.full(shape, -np.inf), np.full(shape, np.inf)

    def grid_box(self, name, q):
        dist = stats.norm(self.mean_, np.sqrt(np.diag(self.cov)))
        return self._on_shape(name, dist.ppf(q), dist.isf(q))

    def central_point(self):
        return {self.names[0]: self.mean_.copy()}

    def as_conjugate(self, kind):
        return (self.mean_, self.precision) if kind == "mvnormal" else ""

    def _pymc_variables(self, shapes):
        import pymc as pm

        name = self.names[0]
        return {name: pm.MvNormal(name, mu=self.mean_, chol=self.chol)}


def _invgamma_terms(s2, a, b):
    return xlogy(a, b) - gammaln(a) - (a + 1) * np.log(s2) - b / s2


def _nig_box(prior: Prior, name: str, m, scale2, a, b, q):
    """Marginal quantiles of a normal-inverse-gamma: Student t for the mean, invgamma for s2."""
    if name == prior.names[0]:
        dist = stats.t(2 * a, loc=m, scale=np.sqrt(b * scale2 / a))
    else:
        dist = stats.invgamma(a, scale=b)
    return prior._on_shape(name, dist.ppf(q), dist.isf(q))


class NIGPrior(Prior):
    """``scipy.stats.normal_inverse_gamma(mu, lmbda, a, b)`` over ``(mean, variance)``.

    ``x | s2 ~ N(mu, s2 / lmbda)`` and ``s2 ~ InvGamma(a, scale=b)``.
    """

    family = "normal_inverse_gamma"

    def __init__(self, names: tuple[str, str], dist: Any):
        super().__init__(names, dist)
        mu, lmbda, a, b = (np.asarray(v, dtype=float) for v in dist._shapes)
        given = {"mu": mu, "lmbda": lmbda, "a": a, "b": b}
        bad = [k for k, v in given.items() if not np.all(np.isfinite(v))]
        bad += [k for k in ("lmbda", "a", "b") if k not in bad and np.any(given[k] <= 0)]
        if bad:
            raise ValueError(
                f"normal_inverse_gamma prior for {names}: invalid parameter(s) {', '.join(bad)}; "
                "it needs finite mu and positive finite lmbda, a, b"
            )
        self.mu, self.lmbda, self.a, self.b = mu, lmbda, a, b
        shape = np.broadcast_shapes(mu.shape, lmbda.shape, a.shape, b.shape)
        self.shapes = {names[0]: shape, names[1]: shape}
        self.transforms = {names[0]: Identity(), names[1]: LowerBound(np.zeros(shape))}
        self._ndim = len(shape)

    def _xs(self, values):
        return (np.asarray(values[n], dtype=float) for n in self.names)

    def logpdf(self, values):
        x, s2 = self._xs(values)
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = (
                -0.5 * (_LOG_2PI + np.log(s2) - np.log(self.lmbda))
                - self.lmbda * (x - self.mu) ** 2 / (2 * s2)
                + _invgamma_terms(s2, self.a, self.b)
            )
        return sum_event(np.where(s2 > 0, lp, -np.inf), self._ndim)

    def grad_logpdf(self, values):
        x, s2 = self._xs(values)
        d = x - self.mu
        gx = -self.lmbda * d / s2
        gs2 = (
            -0.5 / s2 + self.lmbda * d * d / (2 * s2 * s2) - (self.a + 1) / s2 + self.b / (s2 * s2)
        )
        return {self.names[0]: gx, self.names[1]: gs2}

    def rvs(self, size, rng):
        shape = (*size, *self.shapes[self.names[0]])
        s2 = self.b / rng.gamma(np.broadcast_to(self.a, shape))
        x = self.mu + np.sqrt(s2 / self.lmbda) * rng.standard_normal(shape)
        return {self.names[0]: x, self.names[1]: s2}

    def support(self, name):
        shape = self.shapes[name]
        low = -np.inf if name == self.names[0] else 0.0
        return np.full(shape, low), np.full(shape, np.inf)

    def grid_box(self, name, q):
        return _nig_box(self, name, self.mu, 1.0 / self.lmbda, self.a, self.b, q)

    def central_point(self):
        return {
            self.names[0]: np.asarray(self.mu, dtype=float),
            self.names[1]: np.asarray(stats.invgamma(self.a, scale=self.b).median()),
        }

    def _pymc_variables(self, shapes):
        import pymc as pm
        import pytensor.tensor as pt

        x_name, s2_name = self.names
        shape = shapes[x_name]
        s2 = pm.InverseGamma(s2_name, alpha=self.a, beta=self.b, shape=shape)
        x = pm.Normal(x_name, mu=self.mu, sigma=pt.sqrt(s2 / self.lmbda), shape=shape)
        return {x_name: x, s2_name: s2}


class NormalInverseGamma(_GaussianForm):
    """Joint prior for regression coefficients and noise variance (scipy-like).

    ``coef | sigma2 ~ MvNormal(mean, sigma2 * cov)`` and ``sigma2 ~ InvGamma(a, scale=b)``:
    the conjugate prior of :class:`bayesgd.LinearRegression`.

    Parameters
    ----------
    mean : array_like, shape (d,)
        Prior mean of the coefficients.
    cov : array_like, shape (d, d), (d,) or scalar
        Covariance of the coefficients in units of ``sigma2`` (a vector or scalar gives a
        diagonal matrix).
    a, b : float
        Shape and scale of the inverse-gamma prior on ``sigma2``.

    Examples
    --------
    >>> prior = normal_inverse_gamma(mean=[0.0, 0.0], cov=10.0, a=2.0, b=1.0)
    >>> prior.mean()[1]
    1.0
    """

    def __init__(self, mean: Any, cov: Any = 1.0, a: float = 1.0, b: float = 1.0):
        mean = np.atleast_1d(np.asarray(mean, dtype=float))
        if mean.ndim != 1 or not np.all(np.isfinite(mean)):
            raise ValueError("mean must be a finite vector")
        self._set_gaussian(mean, cov, "normal_inverse_gamma")
        if not (np.isfinite(a) and a > 0 and np.isfinite(b) and b > 0):
            raise ValueError(f"a and b must be positive and finite, got a={a}, b={b}")
        self.a = float(a)
        self.b = float(b)
        self.dim = mean.size

    def logpdf(self, x: Any, s2: Any) -> np.ndarray:
        """Joint log density of coefficients ``x`` (..., d) and variance ``s2`` (...)."""
        x = np.asarray(x, dtype=float)
        s2 = np.asarray(s2, dtype=float)
        q, _ = self._quad(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = (
                -0.5 * (self.dim * (_LOG_2PI + np.log(s2)) + self.log_det_cov)
                - q / (2 * s2)
                + _invgamma_terms(s2, self.a, self.b)
            )
        return np.where(s2 > 0, lp, -np.inf)

    def pdf(self, x: Any, s2: Any) -> np.ndarray:
        """Joint density."""
        return np.exp(self.logpdf(x, s2))

    def grad_logpdf(self, x: Any, s2: Any) -> tuple[np.ndarray, np.ndarray]:
        """Gradient of :meth:`logpdf` with respect to ``x`` and ``s2``."""
        x = np.asarray(x, dtype=float)
        s2 = np.asarray(s2, dtype=float)
        q, pd = self._quad(x)
        gx = -pd / s2[..., None]
        gs2 = -self.dim / (2 * s2) + q / (2 * s2 * s2) - (self.a + 1) / s2 + self.b / (s2 * s2)
        return gx, gs2

    def rvs(self, size: Any = None, random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Draws ``(coef, sigma2)`` of shapes ``size + (d,)`` and ``size``."""
        rng = np.random.default_rng(random_state)
        size = () if size is None else ((size,) if np.ndim(size) == 0 else tuple(size))
        s2 = self.b / rng.gamma(self.a, size=size)
        z = rng.standard_normal((*size, self.dim)) @ self.chol.T
        return self.mean_ + np.sqrt(s2)[..., None] * z, s2

    def mean(self) -> tuple[np.ndarray, float]:
        """``(E[coef], E[sigma2])``; ``E[sigma2]`` is infinite for ``a <= 1``."""
        return self.mean_.copy(), (self.b / (self.a - 1) if self.a > 1 else np.inf)

    def __repr__(self) -> str:
        return f"normal_inverse_gamma(mean={self.mean_}, a={self.a}, b={self.b})"


#: Lower-case alias in the spelling of ``scipy.stats.normal_inverse_gamma``.
normal_inverse_gamma = NormalInverseGamma


class MvNIGPrior(Prior):
    """Wraps :class:`NormalInverseGamma` as a prior over ``(coef, sigma2)``."""

    family = "bayesgd.normal_inverse_gamma"

    def __init__(self, names: tuple[str, str], dist: NormalInverseGamma):
        super().__init__(names, dist)
        self.shapes = {names[0]: (dist.dim,), names[1]: ()}
        self.transforms = {names[0]: Identity(), names[1]: LowerBound(0.0)}

    def logpdf(self, values):
        return self.dist.logpdf(values[self.names[0]], values[self.names[1]])

    def grad_logpdf(self, values):
        gx, gs2 = self.dist.grad_logpdf(values[self.names[0]], values[self.names[1]])
        return {self.names[0]: gx, self.names[1]: gs2}

    def rvs(self, size, rng):
        x, s2 = self.dist.rvs(size=size, random_state=rng)
        return {self.names[0]: x, self.names[1]: s2}

    def support(self, name):
        shape = self.shapes[name]
        low = -np.inf if name == self.names[0] else 0.0
        return np.full(shape, low), np.full(shape, np.inf)

    def grid_box(self, name, q):
        d = self.dist
        return _nig_box(self, name, d.mean_, np.diag(d.cov), d.a, d.b, q)

    def central_point(self):
        nig = self.dist
        return {
            self.names[0]: nig.mean_.copy(),
            self.names[1]: np.asarray(stats.invgamma(nig.a, scale=nig.b).median()),
        }

    def _pymc_variables(self, shapes):
        import pymc as pm
        import pytensor.tensor as pt

        x_name, s2_name = self.names
        nig = self.dist
        s2 = pm.InverseGamma(s2_name, alpha=nig.a, beta=nig.b)
        x = pm.MvNormal(x_name, mu=nig.mean_, chol=pt.sqrt(s2) * nig.chol)
        return {x_name: x, s2_name: s2}
