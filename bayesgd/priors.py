"""Priors: scipy.stats frozen distributions with log densities, gradients and supports.

Every prior a model accepts is a scipy.stats frozen distribution (or
:class:`NormalInverseGamma`, a scipy-like joint prior for regression coefficients and their
noise variance). This module is the one place that knows, for each accepted family, its log
density in plain NumPy (fast enough for the inner loop of an optimizer), the gradient of that
log density, its support and how to draw from it.

Examples
--------
>>> from scipy import stats
>>> prior = make_prior(("p",), stats.beta(2, 2))
>>> float(prior.logpdf({"p": 0.5}))  # log(1.5)
0.4054651081081644
>>> float(prior.grad_logpdf({"p": 0.25})["p"])  # 1/0.25 - 1/0.75
2.666666666666667
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import betaln, gammaln, log_ndtr, xlog1py, xlogy

from .transforms import Identity, LowerBound, StickBreaking, Transform, transform_for_support

__all__ = [
    "MULTIVARIATE_FAMILIES",
    "UNIVARIATE_FAMILIES",
    "NormalInverseGamma",
    "Prior",
    "make_prior",
    "normal_inverse_gamma",
]

_LOG_2PI = np.log(2.0 * np.pi)


@dataclass(frozen=True)
class _Family:
    """Standardised log density ``f(z, *shapes)`` and its derivative ``df/dz``."""

    logpdf: Callable[..., np.ndarray]
    dlogpdf: Callable[..., np.ndarray]


def _t_logpdf(z, df):
    return (
        gammaln((df + 1) / 2)
        - gammaln(df / 2)
        - 0.5 * np.log(df * np.pi)
        - (df + 1) / 2 * np.log1p(z * z / df)
    )


def _logistic_logpdf(z):
    az = np.abs(z)
    return -az - 2.0 * np.log1p(np.exp(-az))


def _truncnorm_logpdf(z, a, b):
    # log(Phi(b) - Phi(a)) computed on the side of the smaller tail
    upper = a > 0
    lo = np.where(upper, -b, a)
    hi = np.where(upper, -a, b)
    log_mass = log_ndtr(hi) + np.log1p(-np.exp(log_ndtr(lo) - log_ndtr(hi)))
    return -0.5 * z * z - 0.5 * _LOG_2PI - log_mass


_FAMILIES: dict[str, _Family] = {
    "norm": _Family(lambda z: -0.5 * z * z - 0.5 * _LOG_2PI, lambda z: -z),
    "beta": _Family(
        lambda z, a, b: xlogy(a - 1, z) + xlog1py(b - 1, -z) - betaln(a, b),
        lambda z, a, b: (a - 1) / z - (b - 1) / (1 - z),
    ),
    "gamma": _Family(
        lambda z, a: xlogy(a - 1, z) - z - gammaln(a),
        lambda z, a: (a - 1) / z - 1.0,
    ),
    "invgamma": _Family(
        lambda z, a: -(a + 1) * np.log(z) - 1.0 / z - gammaln(a),
        lambda z, a: -(a + 1) / z + 1.0 / (z * z),
    ),
    "halfnorm": _Family(lambda z: -0.5 * z * z + 0.5 * np.log(2.0 / np.pi), lambda z: -z),
    "halfcauchy": _Family(
        lambda z: np.log(2.0 / np.pi) - np.log1p(z * z), lambda z: -2.0 * z / (1.0 + z * z)
    ),
    "lognorm": _Family(
        lambda z, s: -np.log(z * s) - 0.5 * _LOG_2PI - np.log(z) ** 2 / (2 * s * s),
        lambda z, s: -(1.0 + np.log(z) / (s * s)) / z,
    ),
    "expon": _Family(lambda z: -z, lambda z: -np.ones(np.shape(z))),
    "uniform": _Family(lambda z: np.zeros(np.shape(z)), lambda z: np.zeros(np.shape(z))),
    "t": _Family(_t_logpdf, lambda z, df: -(df + 1) * z / (df + z * z)),
    "cauchy": _Family(
        lambda z: -np.log(np.pi) - np.log1p(z * z), lambda z: -2.0 * z / (1.0 + z * z)
    ),
    "laplace": _Family(lambda z: -np.log(2.0) - np.abs(z), lambda z: -np.sign(z)),
    "logistic": _Family(_logistic_logpdf, lambda z: -np.tanh(z / 2.0)),
    "loguniform": _Family(
        lambda z, a, b: -np.log(z) - np.log(np.log(b / a)), lambda z, a, b: -1.0 / z
    ),
    "truncnorm": _Family(_truncnorm_logpdf, lambda z, a, b: -z),
    "gumbel_r": _Family(lambda z: -z - np.exp(-z), lambda z: -1.0 + np.exp(-z)),
    "weibull_min": _Family(
        lambda z, c: np.log(c) + xlogy(c - 1, z) - z**c,
        lambda z, c: (c - 1) / z - c * z ** (c - 1),
    ),
    "chi2": _Family(
        lambda z, df: xlogy(df / 2 - 1, z) - z / 2 - df / 2 * np.log(2.0) - gammaln(df / 2),
        lambda z, df: (df / 2 - 1) / z - 0.5,
    ),
}
_FAMILIES["reciprocal"] = _FAMILIES["loguniform"]

#: Names of the scipy.stats univariate continuous families accepted as priors.
UNIVARIATE_FAMILIES: tuple[str, ...] = tuple(sorted(_FAMILIES))
#: Names of the joint or vector priors accepted.
MULTIVARIATE_FAMILIES: tuple[str, ...] = (
    "dirichlet",
    "multivariate_normal",
    "normal_inverse_gamma",
    "bayesgd.normal_inverse_gamma",
)


class Prior:
    """A prior over one or more named parameters of a model.

    Attributes
    ----------
    names : tuple of str
        The parameters this prior covers (two for a joint prior).
    dist : object
        The frozen distribution the user passed.
    family : str
        Its family name (``"beta"``, ``"dirichlet"``, ...).
    shapes : dict
        Parameter name -> shape of that parameter.
    transforms : dict
        Parameter name -> :class:`~bayesgd.transforms.Transform` onto its support.
    """

    names: tuple[str, ...]
    family: str

    def __init__(self, names: tuple[str, ...], dist: Any):
        self.names = names
        self.dist = dist
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.transforms: dict[str, Transform] = {}

    def logpdf(self, values: Mapping[str, Any]) -> np.ndarray:
        """Log density summed over each parameter's own axes; leading axes are kept."""
        raise NotImplementedError

    def grad_logpdf(self, values: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Gradient of :meth:`logpdf` with respect to each parameter."""
        raise NotImplementedError

    def rvs(self, size: tuple[int, ...], rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Draws of shape ``size + shape`` per parameter."""
        raise NotImplementedError

    def support(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Elementwise ``(low, high)`` of one parameter (the simplex gives ``(0, 1)``)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"Prior({', '.join(self.names)} ~ {self.family})"


def _sum_event(values: np.ndarray, ndim: int) -> np.ndarray:
    return values.sum(axis=tuple(range(values.ndim - ndim, values.ndim))) if ndim else values


def _broadcast_or_none(*shapes: tuple[int, ...]) -> tuple[int, ...] | None:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


class UnivariatePrior(Prior):
    """A scipy.stats univariate continuous frozen distribution, possibly batched."""

    def __init__(self, name: str, dist: Any, shape: tuple[int, ...] | None = None):
        super().__init__((name,), dist)
        self.family = dist.dist.name
        shape_args, loc, scale = dist.dist._parse_args(*dist.args, **dist.kwds)
        self._shape_args = tuple(np.asarray(a, dtype=float) for a in shape_args)
        self.loc = np.asarray(loc, dtype=float)
        self.scale = np.asarray(scale, dtype=float)
        batch = np.broadcast_shapes(
            self.loc.shape, self.scale.shape, *(a.shape for a in self._shape_args)
        )
        arg_names = [s.strip() for s in (dist.dist.shapes or "").split(",") if s.strip()]
        values = (*self._shape_args, self.loc, self.scale)
        given = dict(zip((*arg_names, "loc", "scale"), values, strict=True))
        # truncnorm's a and b may be infinite; every other parameter must be finite
        finite_needed = [k for k in given if not (self.family == "truncnorm" and k in ("a", "b"))]
        bad = [k for k in finite_needed if not np.all(np.isfinite(given[k]))]
        if np.any(self.scale <= 0) and "scale" not in bad:
            bad.append("scale")
        with np.errstate(invalid="ignore"):
            if not np.all(dist.dist._argcheck(*self._shape_args)):
                bad += [k for k in arg_names if k not in bad]
        if bad:
            text = ", ".join(
                f"{k}={np.asarray(v).tolist() if np.size(v) <= 8 else np.asarray(v)}"
                for k, v in given.items()
            )
            raise ValueError(
                f"prior for {name!r}: invalid parameter(s) {', '.join(bad)} of "
                f"scipy.stats.{self.family}({text}); shape parameters must lie in scipy's valid "
                "range, loc must be finite and scale positive and finite"
            )
        if shape is None:
            shape = batch
        elif _broadcast_or_none(batch, tuple(shape)) != tuple(shape):
            raise ValueError(
                f"prior for {name!r} has batch shape {batch}, which does not broadcast to the "
                f"parameter's shape {tuple(shape)}"
            )
        self.shape = tuple(shape)
        self.shapes = {name: self.shape}
        low, high = dist.support()
        self._low = np.broadcast_to(np.asarray(low, dtype=float), self.shape)
        self._high = np.broadcast_to(np.asarray(high, dtype=float), self.shape)
        self.transforms = {name: transform_for_support(self._low, self._high)}
        self._impl = _FAMILIES[self.family]
        self._log_scale = np.log(self.scale)

    def logpdf(self, values):
        x = np.asarray(values[self.names[0]], dtype=float)
        z = (x - self.loc) / self.scale
        inside = (x >= self._low) & (x <= self._high)
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = self._impl.logpdf(np.where(inside, z, 0.5), *self._shape_args) - self._log_scale
        lp = np.where(inside, lp, -np.inf)
        return _sum_event(lp, len(self.shape))

    def grad_logpdf(self, values):
        x = np.asarray(values[self.names[0]], dtype=float)
        z = (x - self.loc) / self.scale
        with np.errstate(divide="ignore", invalid="ignore"):
            g = self._impl.dlogpdf(z, *self._shape_args) / self.scale
        return {self.names[0]: np.broadcast_to(g, np.broadcast_shapes(x.shape, self.shape))}

    def rvs(self, size, rng):
        draws = self.dist.rvs(size=(*size, *self.shape), random_state=rng)
        return {self.names[0]: np.asarray(draws, dtype=float)}

    def support(self, name):
        return self._low, self._high


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


def _invgamma_terms(s2, a, b):
    return xlogy(a, b) - gammaln(a) - (a + 1) * np.log(s2) - b / s2


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
        return _sum_event(np.where(s2 > 0, lp, -np.inf), self._ndim)

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


def _describe(dist: Any) -> str:
    return f"{type(dist).__name__} {dist!r}"[:120]


def make_prior(
    names: tuple[str, ...], dist: Any, *, shape: tuple[int, ...] | None = None
) -> Prior:
    """Wrap a frozen distribution as a :class:`Prior` over ``names``.

    Parameters
    ----------
    names : tuple of str
        One name, or two for a joint prior (normal-inverse-gamma).
    dist : frozen distribution
        A scipy.stats frozen distribution of an accepted family, or a
        :class:`NormalInverseGamma`.
    shape : tuple of int, optional
        The parameter's shape when it is larger than the prior's batch shape (one scalar prior
        shared by every regression coefficient).

    Raises
    ------
    TypeError
        For objects that are not an accepted distribution.
    ValueError
        For invalid distribution parameters or shapes.
    """
    label = names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"
    if isinstance(dist, NormalInverseGamma):
        _expect_names(names, 2, label, "normal_inverse_gamma")
        return MvNIGPrior(names, dist)  # type: ignore[arg-type]
    if isinstance(dist, stats._multivariate.normal_inverse_gamma_frozen):
        _expect_names(names, 2, label, "normal_inverse_gamma")
        return NIGPrior(names, dist)  # type: ignore[arg-type]
    if isinstance(dist, stats._multivariate.dirichlet_frozen):
        _expect_names(names, 1, label, "dirichlet")
        return DirichletPrior(names[0], dist)
    if isinstance(dist, stats._multivariate.multivariate_normal_frozen):
        _expect_names(names, 1, label, "multivariate_normal")
        return MvNormalPrior(names[0], dist)
    if isinstance(getattr(dist, "dist", None), stats.rv_discrete):
        raise TypeError(
            f"prior for {label}: discrete priors are not supported, got {_describe(dist)}"
        )
    if hasattr(dist, "dist") and isinstance(dist.dist, stats.rv_continuous):
        if dist.dist.name not in _FAMILIES:
            raise TypeError(
                f"prior for {label}: scipy.stats.{dist.dist.name} is not an accepted prior "
                "family; "
                f"accepted: {', '.join(UNIVARIATE_FAMILIES + MULTIVARIATE_FAMILIES)}"
            )
        _expect_names(names, 1, label, dist.dist.name)
        return UnivariatePrior(names[0], dist, shape)
    raise TypeError(
        f"prior for {label} must be a scipy.stats frozen distribution (e.g. stats.beta(2, 2)) or "
        f"a number to fix the parameter, got {_describe(dist)}"
    )


def _expect_names(names: tuple[str, ...], count: int, label: str, family: str) -> None:
    if len(names) != count:
        kind = "a joint prior over two parameters" if count == 2 else "a prior for one parameter"
        raise ValueError(f"{family} is {kind}; it was given for {label}")
