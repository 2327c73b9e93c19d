"""The Gaussian at the mode as a posterior: exact summaries, draws, marginal densities."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy.special import log_expit, ndtr, ndtri

from .. import optim
from ..map import MAPResult
from ..models.base import Model
from ..posterior import Posterior
from ..space import UnconstrainedSpace
from ..transforms import Identity, LowerBound, StickBreaking, UpperBound
from ._checks import _SPACES, SUPPORT_MASS_LIMIT, SupportWarning

__all__ = ["LaplacePosterior"]

#: Gauss–Hermite nodes and weights (probabilists'), normalised to a standard Normal.
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(121)
_GH_WEIGHTS = _GH_WEIGHTS / math.sqrt(2.0 * math.pi)
#: Draws used to summarise probability vectors in unconstrained space (fixed seed).
_SIMPLEX_DRAWS = 200_000
_SIMPLEX_SEED = 20240601
#: Draws of the earlier sticks averaged over in a probability vector's marginal density.
_SIMPLEX_PDF_DRAWS = 20_000


class LaplacePosterior(Posterior):
    """A Gaussian at the mode, in unconstrained or constrained space (see :func:`laplace`).

    Attributes
    ----------
    space : str
        ``"unconstrained"`` or ``"constrained"``.
    mean_vector : numpy.ndarray
        Centre of the Gaussian: the mode in ``u`` (unconstrained) or in the constrained
        coordinates ``c`` (``theta`` flattened, the last entry of each probability vector
        dropped).
    cov : numpy.ndarray
        Its covariance, the inverse Hessian, in the same coordinates.
    hessian : numpy.ndarray
        The Hessian of the loss at the mode.
    coordinate_names : list of str
        Names of the coordinates of ``mean_vector``.
    map_result : MAPResult
        The mode it is centred on (``map_params`` gives its parameters).
    log_evidence : float
        Laplace's estimate of ``log p(D)``.

    Notes
    -----
    ``mode()`` is the mode of the approximating distribution of ``theta``. In the constrained
    space that is the centre, the MAP. In the unconstrained space it is the mode of the
    pushed-forward density ``N(u(theta); m, H^-1) |du/dtheta|`` (found by L-BFGS), which is
    neither ``theta(m)`` (the Jacobian-adjusted mode, also the median of each elementwise
    marginal) nor, in general, the MAP; for a lognormal it is ``exp(m - s^2)``.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> post = bg.laplace(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)), space="constrained")
    >>> round(post.mean()["p"], 4), round(post.sd()["p"], 4)
    (0.6667, 0.1361)
    >>> post.sample(3, rng=0)["p"].shape
    (3,)
    """

    method = "laplace"

    def __init__(
        self,
        model: Model,
        *,
        space: str,
        mean_vector: np.ndarray,
        cov: np.ndarray,
        hessian: np.ndarray,
        log_evidence: float,
        map_result: MAPResult,
        _space: UnconstrainedSpace | None = None,
    ):
        super().__init__(model)
        if space not in _SPACES:
            raise ValueError(f"space must be 'unconstrained' or 'constrained', got {space!r}")
        self.space = space
        self._sp = _space if _space is not None else UnconstrainedSpace(model)
        # read-only copies: answers never alias state a caller could write to
        self.mean_vector = _frozen(mean_vector)
        self.cov = _frozen(cov)
        self.hessian = _frozen(hessian)
        self._log_evidence = float(log_evidence)
        self.map_result = map_result
        self._chol = np.linalg.cholesky(self.cov)
        self.coordinate_names = (
            self._sp.names if space == "unconstrained" else self._sp.constrained_names
        )
        self._simplex_cache: dict[str, np.ndarray] = {}
        self._mode_cache: dict[str, np.ndarray] | None = None
        if space == "constrained":
            A, b = self._sp.affine_from_constrained()
            self._theta_mean = A @ self.mean_vector + b
            self._theta_cov = A @ self.cov @ A.T
            self._theta_A, self._theta_b = A, b
            self._offsets = {}
            start = 0
            for name, param in model.parameters.items():
                self._offsets[name] = slice(start, start + param.size)
                start += param.size
            self.mass_outside = self._mass_outside()
            self._warn_support()

    def _mass_outside(self) -> dict[str, np.ndarray]:
        """Exact Normal mass of each element outside its support (constrained space)."""
        low, high = self._sp.theta_bounds()
        sd = np.sqrt(np.diag(self._theta_cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            below = np.where(np.isfinite(low), ndtr((low - self._theta_mean) / sd), 0.0)
            above = np.where(np.isfinite(high), ndtr((self._theta_mean - high) / sd), 0.0)
        mass = below + above
        return {name: mass[sl].reshape(self._shape(name)) for name, sl in self._offsets.items()}

    def _warn_support(self) -> None:
        names = self._sp.theta_names
        flat = np.concatenate([np.ravel(v) for v in self.mass_outside.values()])
        bad = np.flatnonzero(flat > SUPPORT_MASS_LIMIT)
        if bad.size == 0:
            return
        low, high = self._sp.theta_bounds()
        parts = [
            f"{names[i]}: {100 * flat[i]:.3g}% outside [{low[i]:g}, {high[i]:g}]" for i in bad[:10]
        ]
        more = f" (and {bad.size - 10} more)" if bad.size > 10 else ""
        warnings.warn(
            "the constrained Laplace approximation leaves the support: the Gaussian on theta "
            f"puts more than {100 * SUPPORT_MASS_LIMIT:g}% of its mass outside the parameter's "
            f"support ({'; '.join(parts)}{more}), so its quantiles, HDIs and draws include "
            "impossible values. Its answers are those of that Gaussian; for one that stays "
            "inside the support use laplace(model, space='unconstrained'). The per-element "
            "masses are in .mass_outside.",
            SupportWarning,
            stacklevel=4,
        )

    @property
    def log_evidence(self) -> float:
        """Laplace's estimate ``-L(x*) + d/2 log 2 pi - 1/2 log det H`` of ``log p(D)``."""
        return self._log_evidence

    @property
    def map_params(self) -> dict[str, Any]:
        """The mode the Gaussian is centred on, in the model's parametrisation."""
        return self.map_result.params

    # ----------------------------------------------------------------------- helpers
    def _block(self, name: str):
        for b in self._sp._blocks:
            if b.name == name:
                return b
        raise KeyError(name)

    def _shape(self, name: str) -> tuple[int, ...]:
        return self.model.parameters[name].shape

    def _u_moments(self, b) -> tuple[np.ndarray, np.ndarray]:
        m = self.mean_vector[b.start : b.stop]
        s = np.sqrt(np.diag(self.cov)[b.start : b.stop])
        return m, s

    def _forward(self, b, u: np.ndarray) -> np.ndarray:
        """Elementwise transform of ``u`` of shape ``(..., k)`` (k = block size)."""
        lead = u.shape[:-1]
        with np.errstate(over="ignore", under="ignore"):
            x = b.transform.forward(u.reshape((*lead, *b.shape)))
        return np.broadcast_to(x, (*lead, *b.shape)).reshape((*lead, -1))

    def _q(self, b, levels: np.ndarray) -> np.ndarray:
        """Quantiles at ``levels`` (shape (..., 1) or (..., k)) of each element: (..., k)."""
        m, s = self._u_moments(b)
        if isinstance(b.transform, UpperBound):  # decreasing
            levels = 1.0 - levels
        with np.errstate(divide="ignore", invalid="ignore"):
            u = m + s * ndtri(levels)
        return self._forward(b, u)

    def _simplex_draws(self, name: str) -> np.ndarray:
        if name not in self._simplex_cache:
            draws = self.sample(_SIMPLEX_DRAWS, rng=_SIMPLEX_SEED)
            for n, v in draws.items():
                if isinstance(self.model.parameters[n].transform, StickBreaking):
                    self._simplex_cache[n] = v
        return self._simplex_cache[name]

    # ------------------------------------------------------------------------- hooks
    def _mean(self, name):
        if self.space == "constrained":
            return self._theta_mean[self._offsets[name]].reshape(self._shape(name)).copy()
        b = self._block(name)
        if b.simplex:
            return self._simplex_draws(name).mean(axis=0)
        m, s = self._u_moments(b)
        t = b.transform
        if isinstance(t, Identity):
            out = m.copy()
        elif isinstance(t, LowerBound | UpperBound):
            sign = 1.0 if isinstance(t, LowerBound) else -1.0
            bound = np.broadcast_to(t.low if isinstance(t, LowerBound) else t.high, b.shape)
            out = bound.reshape(-1) + sign * np.exp(m + 0.5 * s * s)
        else:
            out = _GH_WEIGHTS @ self._forward(b, m + s * _GH_NODES[:, None])
        return out.reshape(self._shape(name))

    def _sd(self, name):
        if self.space == "constrained":
            var = np.diag(self._theta_cov)[self._offsets[name]]
            return np.sqrt(var).reshape(self._shape(name))
        b = self._block(name)
        if b.simplex:
            return self._simplex_draws(name).std(axis=0, ddof=1)
        m, s = self._u_moments(b)
        t = b.transform
        if isinstance(t, Identity):
            out = s
        elif isinstance(t, LowerBound | UpperBound):
            out = np.sqrt(np.expm1(s * s)) * np.exp(m + 0.5 * s * s)
        else:
            x = self._forward(b, m + s * _GH_NODES[:, None])
            mean = _GH_WEIGHTS @ x
            out = np.sqrt(_GH_WEIGHTS @ (x - mean) ** 2)
        return out.reshape(self._shape(name))

    def _quantile(self, name, q):
        shape = self._shape(name)
        if self.space == "constrained":
            sl = self._offsets[name]
            mean = self._theta_mean[sl]
            sd = np.sqrt(np.diag(self._theta_cov)[sl])
            with np.errstate(divide="ignore", invalid="ignore"):
                out = mean + sd * ndtri(np.asarray(q)[..., None])
            return out.reshape((*np.shape(q), *shape))
        b = self._block(name)
        if b.simplex:  # from draws; q = 0 and 1 are the support's ends, not the extreme draws
            q = np.asarray(q, dtype=float)
            out = np.quantile(self._simplex_draws(name), q, axis=0)
            out[q == 0.0] = 0.0
            out[q == 1.0] = 1.0
            return out
        out = self._q(b, np.asarray(q, dtype=float)[..., None])
        return out.reshape((*np.shape(q), *shape))

    def _hdi(self, name, prob):
        shape = self._shape(name)
        if self.space == "constrained":
            z = ndtri(0.5 + 0.5 * prob)
            sl = self._offsets[name]
            mean = self._theta_mean[sl]
            sd = np.sqrt(np.diag(self._theta_cov)[sl])
            return (mean - z * sd).reshape(shape), (mean + z * sd).reshape(shape)
        b = self._block(name)
        if b.simplex:
            from ..numerics.intervals import hdi_of_samples

            return hdi_of_samples(self._simplex_draws(name), prob, axis=0)
        if isinstance(b.transform, Identity):
            m, s = self._u_moments(b)
            z = ndtri(0.5 + 0.5 * prob)
            return (m - z * s).reshape(shape), (m + z * s).reshape(shape)
        low, high = self._shortest(b, prob)
        return low.reshape(shape), high.reshape(shape)

    def _shortest(self, b, prob: float) -> tuple[np.ndarray, np.ndarray]:
        """Shortest interval of mass ``prob`` of each element: golden-section search over the
        lower tail mass ``a`` in ``[0, 1 - prob]`` (vectorised over the elements)."""
        k = b.stop - b.start
        lo = np.zeros(k)
        hi = np.full(k, 1.0 - prob)
        ratio = (math.sqrt(5.0) - 1.0) / 2.0

        def width(a):
            x = self._q(b, np.stack([a, a + prob]))
            return np.abs(x[1] - x[0])

        c = hi - ratio * (hi - lo)
        d = lo + ratio * (hi - lo)
        wc, wd = width(c), width(d)
        for _ in range(90):  # 0.618^90 ~ 1e-19 of the bracket
            left = wc <= wd
            hi = np.where(left, d, hi)
            lo = np.where(left, lo, c)
            c_try = hi - ratio * (hi - lo)
            d_try = lo + ratio * (hi - lo)
            c, d, wc, wd = (
                np.where(left, c_try, d),
                np.where(left, c, d_try),
                np.where(left, width(c_try), wd),
                np.where(left, wc, width(d_try)),
            )
        a = 0.5 * (lo + hi)
        x = self._q(b, np.stack([a, a + prob]))
        return np.minimum(x[0], x[1]), np.maximum(x[0], x[1])

    def _mode(self):
        if self.space == "constrained":
            return {
                name: self._theta_mean[self._offsets[name]].reshape(self._shape(name)).copy()
                for name in self.names
            }
        if self._mode_cache is None:
            self._mode_cache = self._pushforward_mode()
        return {name: value.copy() for name, value in self._mode_cache.items()}

    def _pushforward_mode(self) -> dict[str, np.ndarray]:
        """Mode of the approximating density of theta: ``N(u; m, H^-1) / |det J(u)|``.

        It minimises ``(u - m)' H (u - m) / 2 + log|det J(u)|`` over ``u`` (L-BFGS), from the
        mean and from 1.5 sd either side of it along each transformed coordinate (up to 20): a wide
        Gaussian on the logit scale pushes forward to a density with two modes near the edges,
        and the mean itself is then a stationary point at the lowest density between them.
        """
        sp, m, H = self._sp, self.mean_vector, self.hessian

        def fun(u):
            d = u - m
            hd = H @ d
            value = 0.5 * float(d @ hd) + float(sp.log_det_jacobian(u))
            return value, hd + sp.grad_log_det_jacobian(u)

        def descend(u):
            opt = optim.lbfgs()
            state = opt.init(u)
            value, grad = fun(u)
            for _ in range(1000):
                scale = 1.0 + float(np.max(np.abs(H @ (u - m))))
                if float(np.max(np.abs(grad))) <= 1e-12 * scale:
                    break
                step, state = opt.update(grad, state, u, value=value, fun=fun)
                if getattr(state, "stalled", False):
                    break
                u = u + step
                value, grad = fun(u)
            return u, value

        sd = np.sqrt(np.diag(self.cov))
        # only a curved transform (not the identity) can make the push-forward bimodal
        curved = [
            i
            for b in sp._blocks
            if not isinstance(b.transform, Identity)
            for i in range(b.start, b.stop)
        ]
        starts = [m.copy()]
        for i in curved[:20]:
            for sign in (-1.0, 1.0):
                start = m.copy()
                start[i] += sign * 1.5 * sd[i]
                starts.append(start)
        best_u, best_value = m, math.inf
        for start in starts:
            u, value = descend(start)
            if np.all(np.isfinite(u)) and value < best_value:
                best_u, best_value = u, value
        params = sp.to_constrained(best_u)
        return {name: np.asarray(params[name], dtype=float) for name in self.names}

    # ------------------------------------------------------------------ densities
    def marginal_pdf(self, element: str, x: Any) -> np.ndarray:
        """Density of one element's marginal at ``x``: exact, for plots.

        In the constrained space the Gaussian's marginal, a Normal. In the unconstrained space
        the push-forward of the Gaussian on ``u`` through the transform, with its Jacobian:
        ``N(u(x); m, s) |du/dx|`` for an elementwise transform (0 outside the support). An
        entry of a probability vector depends on several coordinates of ``u``: its density is
        the average, over 20,000 fixed-seed draws of the sticks before it, of its exact
        conditional density (logit-normal given them), so it integrates to 1 exactly.

        Parameters
        ----------
        element : str
            A scalar parameter's name (``"mu"``) or an element label (``"coef[1]"``,
            ``"W1[0, 1]"``), as in ``summary()``.
        x : array_like
            Points at which to evaluate it.

        Returns
        -------
        numpy.ndarray
            The density, shaped like ``x``.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.laplace(bg.Poisson(k=[3, 5, 4], mu=stats.gamma(2, scale=1.0)))
        >>> post.marginal_pdf("mu", [2.0, 3.5]).round(4)       # a lognormal in mu
        array([0.0833, 0.4265])
        """
        name, index = self._element(element)
        x = np.asarray(x, dtype=float)
        if self.space == "constrained":
            i = self._offsets[name].start + index
            sd = math.sqrt(float(self._theta_cov[i, i]))
            return _normal_pdf(x, float(self._theta_mean[i]), sd)
        b = self._block(name)
        if b.simplex:
            return self._simplex_pdf(b, index, x)
        m, s = self._u_moments(b)
        size = b.stop - b.start
        full = np.broadcast_to(x[..., None], (*x.shape, size)).reshape((*x.shape, *b.shape))
        with np.errstate(all="ignore"):
            u = np.broadcast_to(b.transform.inverse(full), full.shape)
            ldj = np.broadcast_to(b.transform.log_det_jacobian(u), full.shape)
            u = u.reshape((*x.shape, size))[..., index]
            ldj = ldj.reshape((*x.shape, size))[..., index]
            pdf = _normal_pdf(u, float(m[index]), float(s[index])) * np.exp(-ldj)
        return np.where(np.isfinite(u) & np.isfinite(pdf), pdf, 0.0)

    def _element(self, element: str) -> tuple[str, int]:
        """``(parameter name, flat index)`` of an element label or a scalar's name."""
        if not isinstance(element, str):
            raise TypeError(f"element must be a str, got {type(element).__name__}")
        labels = {}
        for name, param in self.model.parameters.items():
            for i, label in enumerate(param.element_names()):
                labels[label] = (name, i)
        if element not in labels:
            raise ValueError(
                f"element must be a scalar parameter's name or an element label such as "
                f"{next(iter(labels))!r}; got {element!r} (labels: {', '.join(list(labels)[:12])}"
                + (", ...)" if len(labels) > 12 else ")")
            )
        return labels[element]

    def _simplex_pdf(self, b, index: int, x: np.ndarray) -> np.ndarray:
        """Rao-Blackwellised density of one entry of a stick-broken probability vector.

        Entry ``k < K`` is ``r z_k`` and the last is ``r (1 - z_{K-1})``, with ``r`` the stick
        left by the draws before; given those draws, ``z`` is logit-normal with the Gaussian's
        conditional mean and variance. Averaged over draws of the earlier coordinates.
        """
        K = b.shape[-1]
        row, k = divmod(index, K)
        j = min(k, K - 2)  # the stick whose split gives this entry
        lo = b.start + row * (K - 1)
        m = self.mean_vector[lo : lo + K - 1]
        S = self.cov[lo : lo + K - 1, lo : lo + K - 1]
        offset = np.log(np.arange(K - 1, 0, -1, dtype=float))
        if j == 0:
            mean, var, log_r = np.full(1, m[0]), float(S[0, 0]), np.zeros(1)
        else:
            coef = np.linalg.solve(S[:j, :j], S[:j, j])
            var = float(S[j, j] - S[j, :j] @ coef)
            rng = np.random.default_rng(_SIMPLEX_SEED)
            before = rng.multivariate_normal(m[:j], S[:j, :j], size=_SIMPLEX_PDF_DRAWS)
            mean = m[j] + (before - m[:j]) @ coef
            log_r = np.sum(log_expit(-(before - offset[:j])), axis=1)
        sd = math.sqrt(max(var, 0.0))
        out = np.zeros(x.size)
        flat = x.reshape(-1)
        step = max(1, (1 << 22) // mean.size)
        for start in range(0, flat.size, step):
            w = flat[start : start + step, None] * np.exp(-log_r)  # the share of the stick
            z = w if k < K - 1 else 1.0 - w
            with np.errstate(all="ignore"):
                v = np.log(z) - np.log1p(-z) + offset[j]
                dens = _normal_pdf(v, mean, sd) / (z * (1.0 - z)) * np.exp(-log_r)
            dens = np.where((w > 0) & (w < 1) & np.isfinite(dens), dens, 0.0)
            out[start : start + step] = dens.mean(axis=1)
        return out.reshape(x.shape)

    def _sample(self, shape, rng):
        return self._draws_with_log_density(shape, rng)[0]

    def _draws_with_log_density(self, shape, rng):
        """Draws of ``theta`` and the log density of this Gaussian's ``theta`` at them.

        In unconstrained space the density of ``theta`` is that of ``u`` less
        ``log|det d theta / du|``; in constrained space it is the Gaussian's own.
        """
        d = self.mean_vector.size
        z = rng.standard_normal((*shape, d))
        x = self.mean_vector + z @ self._chol.T
        log_q = (
            -0.5 * np.sum(z * z, axis=-1)
            - np.sum(np.log(np.diag(self._chol)))
            - 0.5 * d * math.log(2.0 * math.pi)
        )
        if self.space == "unconstrained":
            with np.errstate(all="ignore"):
                return self._sp.to_constrained(x), log_q - self._sp.log_det_jacobian(x)
        return self._sp.unflatten(x), log_q

    def __repr__(self) -> str:
        head = (
            f"<LaplacePosterior ({self.space} space) of {self.model!r}; "
            f"log evidence {self.log_evidence:.6g}>"
        )
        return f"{head}\n{self.summary().to_string()}"


def _normal_pdf(x: Any, mean: Any, sd: float) -> np.ndarray:
    z = (np.asarray(x, dtype=float) - mean) / sd
    return np.exp(-0.5 * z * z) / (sd * math.sqrt(2.0 * math.pi))


def _frozen(x: Any) -> np.ndarray:
    out = np.array(x, dtype=float)
    out.flags.writeable = False
    return out
