"""Conjugate linear regression: the normal-inverse-gamma prior on ``(coef, sigma2)``, and a
Gaussian prior on ``[intercept, coef]`` with the noise variance known."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import gammaln

from ..models.base import Model
from ..priors import MvNIGPrior, MvNormalPrior, UnivariatePrior
from ._common import _LOG_2PI, _check_kwargs, _invgamma_mean_sd, _t_mean_sd
from .base import ConjugatePosterior
from .roles import not_conjugate, register_role

__all__ = ["regression_nig_hyper"]


class _Precision:
    """Cholesky factor ``L L' = P`` of a precision matrix: solves, inverse, log-determinant.

    (Equilibrating ``P`` to a unit diagonal first was measured: no gain on Longley or on
    ``[1, t, t^2]``, whose accuracy is set by the rounding of ``X'X`` itself.)
    """

    def __init__(self, P: np.ndarray) -> None:
        self.chol = np.linalg.cholesky(P)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        from scipy.linalg import cho_solve

        return cho_solve((self.chol, True), rhs)

    def inverse(self) -> np.ndarray:
        inv = self.solve(np.eye(self.chol.shape[0]))
        return 0.5 * (inv + inv.T)

    @property
    def log_det(self) -> float:
        return float(2.0 * np.sum(np.log(np.diag(self.chol))))


def _centred_solve(fac: _Precision, P0: np.ndarray, m0: np.ndarray, b_ols: np.ndarray):
    """``P^-1 (P0 m0 + A b_ols)`` as ``b_ols + P^-1 P0 (m0 - b_ols)`` (``P = P0 + A``).

    The same vector, but only the prior's small correction goes through the solve, so an
    ill-conditioned design (Longley's, condition number 5e9) keeps the OLS digits.
    """
    return b_ols + fac.solve(P0 @ (m0 - b_ols))


def regression_nig_hyper(m0, P0, a0, b0, xtx, coef_ols, rss, n):
    """Posterior mean, precision factor, ``a`` and ``b`` of a normal-inverse-gamma regression.

    The prior is ``coef | s2 ~ N(m0, s2 P0^-1)``, ``s2 ~ InvGamma(a0, b0)``; the data enter
    through ``X'X``, the least-squares coefficients, the residual sum of squares and ``n``.
    """
    chol = _Precision(P0 + xtx)
    m = _centred_solve(chol, P0, m0, coef_ols)
    dm, db = m0 - m, coef_ols - m
    b = b0 + 0.5 * (float(rss) + dm @ P0 @ dm + db @ xtx @ db)
    return m, chol, a0 + 0.5 * n, b


def _normal_variance(model: Model) -> np.ndarray:
    if "sigma" in model.fixed:
        return np.asarray(model.fixed["sigma"], dtype=float) ** 2
    return np.asarray(model.fixed["sigma2"], dtype=float)


def _new_design(model: Model, new: Mapping[str, Any]) -> np.ndarray:
    """The new rows ``X=``, read as everywhere else (``bayesgd.models._elementwise.check_rows``).

    ``(m, d)``; 1-D only for a one-feature model, where it is ``m`` values of that feature.
    """
    from ..models._elementwise import check_rows

    if "X" not in new:
        raise TypeError("predictive() needs X=, the features of the new observation(s)")
    X = check_rows(new["X"], model.n_features, "X")
    if X.shape[0] == 0:
        raise ValueError(f"X must have at least one row, got shape {X.shape}")
    return X


def _fixed_intercept(model: Model) -> float:
    return float(model.fixed["intercept"]) if "intercept" in model.fixed else 0.0


def _multivariate_t(loc: np.ndarray, shape: np.ndarray, df: float) -> Any:
    """``stats.multivariate_t``; a shape matrix that fails scipy's PSD check in rounding only
    (it is an inverse of a positive-definite matrix) is accepted as it is."""
    try:
        return stats.multivariate_t(loc=loc, shape=shape, df=df)
    except np.linalg.LinAlgError:
        return stats.multivariate_t(loc=loc, shape=shape, df=df, allow_singular=True)


class _RegressionNIGPosterior(ConjugatePosterior):
    """``coef | s2 ~ N(m, s2 V)``, ``s2 ~ InvGamma(a, b)``, ``y ~ N(X coef, s2)``."""

    def __init__(self, model: Model, prior: MvNIGPrior):
        super().__init__(model)
        self.pair = "normal_inverse_gamma-linear"
        nig = prior.dist
        coef_name, s2_name = prior.names
        self._names = (coef_name, s2_name)
        st = model.stats
        n = float(st["n"])
        m, chol, a, b = regression_nig_hyper(
            nig.mean_, nig.precision, nig.a, nig.b, st["xtx"], st["coef_ols"], st["rss"], n
        )
        V = chol.inverse()
        self._nig, self._n, self._chol_P = nig, n, chol
        self._m, self._V, self._a, self._b = m, V, a, b
        self._chol_V = np.linalg.cholesky(V)

    @cached_property
    def _prior_hyper(self) -> dict[str, Any]:
        nig = self._nig
        return {"mean": nig.mean_.copy(), "cov": nig.cov.copy(), "a": nig.a, "b": nig.b}

    @cached_property
    def _hyper(self) -> dict[str, Any]:
        return {"mean": self._m, "cov": self._V, "a": self._a, "b": self._b}

    @cached_property
    def _shape_mat(self) -> np.ndarray:
        return (self._b / self._a) * self._V

    @cached_property
    def _t_scale(self) -> np.ndarray:
        return np.sqrt(np.diag(self._shape_mat))

    @cached_property
    def dist(self) -> dict[str, Any]:
        coef_name, s2_name = self._names
        return {
            coef_name: _multivariate_t(self._m, self._shape_mat, 2 * self._a),
            s2_name: self._marginals[s2_name],
        }

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        # univariate t per coefficient: no PSD check of the joint shape matrix (which an
        # ill-conditioned design, such as Longley's, fails in rounding)
        coef_name, s2_name = self._names
        return {
            coef_name: stats.t(2 * self._a, loc=self._m, scale=self._t_scale),
            s2_name: stats.invgamma(self._a, scale=self._b),
        }

    @cached_property
    def joint(self) -> Any:
        from ..priors import NormalInverseGamma

        return NormalInverseGamma(self._m, self._V, self._a, self._b)

    @cached_property
    def _mean_sd(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        coef_name, s2_name = self._names
        a, b, m = self._a, self._b, self._m
        return {
            coef_name: _t_mean_sd(np.full(m.size, 2 * a), m, self._t_scale),
            s2_name: _invgamma_mean_sd(np.asarray(a), np.asarray(b)),
        }

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {k: v[0] for k, v in self._mean_sd.items()}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {k: v[1] for k, v in self._mean_sd.items()}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        coef_name, s2_name = self._names
        a, b, m = self._a, self._b, self._m
        return {coef_name: m, s2_name: np.asarray(b / (a + 1 + 0.5 * m.size))}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        nig, a, b = self._nig, self._a, self._b
        log_det_V = -self._chol_P.log_det
        return np.asarray(
            -0.5 * self._n * _LOG_2PI
            + 0.5 * (log_det_V - nig.log_det_cov)
            + nig.a * np.log(nig.b)
            - a * np.log(b)
            + gammaln(a)
            - gammaln(nig.a)
        )

    def _sample(self, shape, rng):
        coef_name, s2_name = self._names
        s2 = self._b / rng.gamma(self._a, size=shape)
        z = rng.standard_normal((*shape, self._m.size)) @ self._chol_V.T
        return {coef_name: self._m + np.sqrt(s2)[..., None] * z, s2_name: s2}

    def predictive(self, **new: Any) -> Any:
        """``stats.multivariate_t`` of the responses at new rows ``X`` (shape ``(m, d)``).

        Location ``X m (+ fixed intercept)``, shape ``(b/a) (I + X V X')``, ``df = 2a``; the
        ``m`` responses are jointly distributed (they share ``coef`` and ``sigma2``). ``X`` is
        read as by the model and :meth:`predict`: one row is ``[[x1, ..., xd]]``; a 1-D
        ``X`` is ``m`` values of the feature of a one-feature model.

        Examples
        --------
        >>> import numpy as np
        >>> import bayesgd as bg
        >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
        >>> prior = bg.priors.NormalInverseGamma(mean=[0, 0], cov=100.0, a=2, b=2)
        >>> post = bg.conjugate(bg.LinearRegression(X=X, y=[1.0, 3.1, 4.9, 7.2], prior=prior))
        >>> post.predictive(X=[[1.0, 4.0]]).dim
        1
        """
        _check_kwargs(new, ("X",), "a LinearRegression posterior predictive")
        X = _new_design(self.model, new)
        shape = (self._b / self._a) * (np.eye(len(X)) + X @ self._V @ X.T)
        loc = X @ self._m + _fixed_intercept(self.model)
        return stats.multivariate_t(loc=loc, shape=shape, df=2 * self._a)


class _RegressionGaussianPosterior(ConjugatePosterior):
    """Gaussian prior on ``[intercept, coef]``, noise variance known: Gaussian posterior."""

    def __init__(self, model: Model, m0: np.ndarray, P0: np.ndarray, log_det_P0: float):
        super().__init__(model)
        self.pair = "normal-linear"
        st = model.stats
        s2 = float(_normal_variance(model))
        A, b_ols, n = st["xtx"], st["coef_ols"], float(st["n"])
        Al = A / s2
        chol = _Precision(P0 + Al)
        m = _centred_solve(chol, P0, m0, b_ols)
        cov = chol.inverse()
        self._s2, self._m, self._cov = s2, m, cov
        self._chol_cov = np.linalg.cholesky(cov)
        self._icpt = model.has_intercept_column
        self._m0, self._P0, self._log_det_P0 = m0, P0, log_det_P0
        self._chol_P, self._Al, self._b_ols, self._n = chol, Al, b_ols, n

    @cached_property
    def _prior_hyper(self) -> dict[str, Any]:
        return {"mean": self._m0.copy(), "cov": np.linalg.inv(self._P0)}

    @cached_property
    def _hyper(self) -> dict[str, Any]:
        return {"mean": self._m, "cov": self._cov}

    @cached_property
    def _sd_all(self) -> np.ndarray:
        return np.sqrt(np.diag(self._cov))

    @cached_property
    def dist(self) -> dict[str, Any]:
        m, cov, sd = self._m, self._cov, self._sd_all
        k = 1 if self._icpt else 0
        out = {"coef": stats.multivariate_normal(m[k:], cov[k:, k:])}
        if self._icpt:
            out["intercept"] = stats.norm(m[0], sd[0])
        return out

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        m, sd = self._m, self._sd_all
        k = 1 if self._icpt else 0
        out = {"coef": stats.norm(m[k:], sd[k:])}
        if self._icpt:
            out["intercept"] = self.dist["intercept"]
        return out

    def _split(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """``[intercept, *coef]`` values as ``{"coef": ..., "intercept": ...}``."""
        if self._icpt:
            return {"coef": values[1:], "intercept": values[0]}
        return {"coef": values}

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return self._split(self._m)

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return self._split(self._sd_all)

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        return self._split(self._m)

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        m, m0, P0, Al, s2, n = self._m, self._m0, self._P0, self._Al, self._s2, self._n
        dm, db = m0 - m, self._b_ols - m
        log_det_P = self._chol_P.log_det
        return np.asarray(
            -0.5 * n * (_LOG_2PI + np.log(s2))
            - float(self.model.stats["rss"]) / (2 * s2)
            - 0.5 * (dm @ P0 @ dm + db @ Al @ db)
            + 0.5 * (self._log_det_P0 - log_det_P)
        )

    def _sample(self, shape, rng):
        z = self._m + rng.standard_normal((*shape, self._m.size)) @ self._chol_cov.T
        out = {"coef": z[..., 1:] if self._icpt else z}
        if self._icpt:
            out["intercept"] = z[..., 0]
        return out

    def predictive(self, **new: Any) -> Any:
        """``stats.multivariate_normal`` of the responses at new rows ``X`` (shape ``(m, d)``).

        ``X`` is read as by the model and :meth:`predict`: a 1-D ``X`` is ``m`` values of the
        feature of a one-feature model, and is refused when there are more features.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.LinearRegression(X=np.eye(2), y=[1.0, 2.0], coef=stats.norm(0, 10), sigma=1.0)
        >>> bg.conjugate(m).predictive(X=[[1.0, 0.0]]).cov.shape
        (1, 1)
        """
        _check_kwargs(new, ("X",), "a LinearRegression posterior predictive")
        X = _new_design(self.model, new)
        Xa = np.column_stack([np.ones(len(X)), X]) if self._icpt else X
        cov = self._s2 * np.eye(len(X)) + Xa @ self._cov @ Xa.T
        return stats.multivariate_normal(Xa @ self._m + _fixed_intercept(self.model), cov)


def _gaussian_regression_prior(model: Model) -> tuple[np.ndarray, np.ndarray, float] | str:
    """Mean, precision and log-det precision of the Gaussian prior on [intercept, coef]."""
    sigma = _normal_variance(model)
    if np.size(sigma) != 1:
        return " (the fixed noise scale must be a single number)"
    blocks_m, blocks_p = [], []
    if "intercept" in model.parameters:
        prior = model.parameters["intercept"].prior
        if not (isinstance(prior, UnivariatePrior) and prior.family == "norm"):
            return " (the intercept's prior must be norm)"
        blocks_m.append(np.atleast_1d(prior.loc).astype(float))
        blocks_p.append(np.atleast_2d(1.0 / prior.scale**2))
    prior = model.parameters["coef"].prior
    d = model.parameters["coef"].shape[0]
    if isinstance(prior, MvNormalPrior):
        blocks_m.append(prior.mean_)
        blocks_p.append(prior.precision)
    elif isinstance(prior, UnivariatePrior) and prior.family == "norm":
        blocks_m.append(np.broadcast_to(prior.loc, (d,)).astype(float))
        blocks_p.append(np.diag(np.broadcast_to(1.0 / prior.scale**2, (d,))))
    else:
        return " (the coef prior must be norm or multivariate_normal)"
    from scipy.linalg import block_diag

    m0 = np.concatenate(blocks_m)
    P0 = block_diag(*blocks_p)
    _, log_det = np.linalg.slogdet(P0)
    return m0, P0, float(log_det)


def _build(model: Model) -> ConjugatePosterior:
    names, priors = set(model.parameters), model.priors
    if names == {"coef", "sigma2"} and len(priors) == 1 and isinstance(priors[0], MvNIGPrior):
        return _RegressionNIGPosterior(model, priors[0])
    if names in ({"coef"}, {"coef", "intercept"}):
        got = _gaussian_regression_prior(model)
        if isinstance(got, str):
            raise not_conjugate(model, got)
        return _RegressionGaussianPosterior(model, *got)
    raise not_conjugate(model)


register_role(
    "linear",
    _build,
    pairs=(
        "prior=bayesgd.priors.NormalInverseGamma(mean, cov, a, b) with LinearRegression "
        "(parameters coef, sigma2; intercept None or fixed)",
        "norm or multivariate_normal prior on coef (norm on intercept, or intercept "
        "fixed/None) with LinearRegression, sigma or sigma2 fixed",
    ),
)
