"""The unconstrained space of a model: one flat vector for all free parameters.

Gradient descent needs a flat real vector with no constraints. :class:`UnconstrainedSpace`
packs every free parameter of a model into one vector ``u``: each parameter goes through its
:class:`~bayesgd.transforms.Transform` (log for a positive parameter, logit for one in (0, 1),
scaled logit for an interval, stick-breaking for a probability vector, whose ``K`` entries take
``K - 1`` coordinates), in the model's parameter order.

The objective is the negative unnormalised log posterior at ``theta(u)``::

    L(u) = -(log p(theta(u)) + log p(D | theta(u)))                  jacobian=False
    L(u) = -(log p(theta(u)) + log p(D | theta(u))) - log|det J(u)|  jacobian=True

The first is minimised at the mode of the posterior density of ``theta`` (the model's own
parametrisation), the second at the mode of the density of ``u``. Gradients are exact: the
model's analytic gradient with respect to ``theta`` is pulled back through ``transform.vjp``
and the gradient of ``log|det J|`` is analytic too. Every evaluation is vectorised over leading
axes of ``u``.

The same class offers the objective in the *constrained* coordinates ``c`` (``theta``
itself, except that a probability vector of ``K`` entries is represented by its first ``K - 1``
entries, the last being one minus their sum), which :func:`bayesgd.laplace` uses for a Gaussian
on ``theta`` (``space="constrained"``).

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> import bayesgd as bg
>>> space = UnconstrainedSpace(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
>>> space.dim
1
>>> u = space.to_unconstrained({"p": 0.75})
>>> round(float(u[0]), 6)                 # logit(0.75)
1.098612
>>> loss, grad = space.loss_and_grad(u)
>>> float(grad[0])           # dL/du = -(k + a - 1)(1 - p) + (n - k + b - 1) p = -2 + 3
1.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._space_hessian import SpaceHessians
from .models.base import Model
from .transforms import Identity, Interval, LowerBound, StickBreaking, Transform, UpperBound

__all__ = ["UnconstrainedSpace"]


@dataclass(frozen=True)
class _Block:
    """Where one parameter lives in ``u`` (``start:stop``) and in ``c`` (``cstart:cstop``)."""

    name: str
    shape: tuple[int, ...]
    ushape: tuple[int, ...]
    start: int
    stop: int
    cstart: int
    cstop: int
    transform: Transform
    simplex: bool


class UnconstrainedSpace(SpaceHessians):
    """All free parameters of a model as one flat unconstrained vector.

    Parameters
    ----------
    model : Model
        Any bayesgd model.

    Attributes
    ----------
    model : Model
    dim : int
        Length of ``u``.
    constrained_dim : int
        Length of the constrained coordinates ``c`` (``model.size`` minus one per probability
        vector).
    names : list of str
        Element names of ``u``: ``"u[p]"``, ``"u[coef[0]]"``, ... (a probability vector ``p``
        of ``K`` entries has ``u[p[0]]`` ... ``u[p[K-2]]``).
    theta_names : list of str
        Element names of ``theta``, ``"p"``, ``"coef[0]"``, ... (every entry of a probability
        vector).
    constrained_names : list of str
        Element names of ``c`` (``theta_names`` without the last entry of each probability
        vector).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Categorical(y=[0, 1, 1, 2], p=stats.dirichlet([1.0, 1.0, 1.0]))
    >>> space = UnconstrainedSpace(m)
    >>> space.dim, space.names
    (2, ['u[p[0]]', 'u[p[1]]'])
    >>> np.round(space.to_constrained(np.zeros(2))["p"], 6)   # u = 0 is the centre
    array([0.333333, 0.333333, 0.333333])
    """

    def __init__(self, model: Model):
        if not isinstance(model, Model):
            raise TypeError(f"model must be a bayesgd Model, got {type(model).__name__}")
        self.model = model
        blocks = []
        start = cstart = 0
        names: list[str] = []
        cnames: list[str] = []
        for name, param in model.parameters.items():
            ushape = tuple(param.unconstrained_shape)
            usize = int(np.prod(ushape, dtype=int))
            simplex = isinstance(param.transform, StickBreaking)
            csize = param.size - 1 if simplex else param.size
            blocks.append(
                _Block(
                    name,
                    tuple(param.shape),
                    ushape,
                    start,
                    start + usize,
                    cstart,
                    cstart + csize,
                    param.transform,
                    simplex,
                )
            )
            names += [f"u[{e}]" for e in _element_names(name, ushape)]
            elements = param.element_names()
            cnames += elements[:-1] if simplex else elements
            start += usize
            cstart += csize
        self._blocks: tuple[_Block, ...] = tuple(blocks)
        self.dim = start
        self.constrained_dim = cstart
        self.names = names
        self.constrained_names = cnames
        self.theta_names = [e for p in model.parameters.values() for e in p.element_names()]
        self._down, self._up = self._bounded_directions()

    # ------------------------------------------------------------------ packing
    def _batch(self, u: Any, size: int, what: str) -> tuple[np.ndarray, tuple[int, ...]]:
        arr = np.asarray(u, dtype=float)
        if arr.ndim < 1 or arr.shape[-1] != size:
            raise ValueError(
                f"{what} must have a last axis of length {size} (one entry per coordinate), "
                f"got shape {arr.shape}"
            )
        return arr, arr.shape[:-1]

    def to_constrained(self, u: Any) -> dict[str, np.ndarray]:
        """Map ``u`` of shape ``(..., dim)`` to parameter values ``{name: (..., *shape)}``.

        Coordinates at ``-inf``/``+inf`` map onto the corresponding edge of the support.
        """
        u, batch = self._batch(u, self.dim, "u")
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            return self._forward(u, batch)

    def _forward(self, u: np.ndarray, batch: tuple[int, ...]) -> dict[str, np.ndarray]:
        out = {}
        for b in self._blocks:
            ub = u[..., b.start : b.stop].reshape((*batch, *b.ushape))
            out[b.name] = np.broadcast_to(b.transform.forward(ub), (*batch, *b.shape))
        return out

    def to_unconstrained(self, params: Mapping[str, Any]) -> np.ndarray:
        """Map parameter values ``{name: (..., *shape)}`` to ``u`` of shape ``(..., dim)``.

        Raises
        ------
        ValueError
            If a value lies outside the open support of its parameter (its ``u`` would not be
            finite).
        """
        values, batch = self.model._theta(params)
        out = np.empty((*batch, self.dim))
        for b in self._blocks:
            x = np.broadcast_to(values[b.name], (*batch, *b.shape))
            with np.errstate(divide="ignore", invalid="ignore"):
                ub = b.transform.inverse(x)
            if not np.all(np.isfinite(ub)):
                raise ValueError(
                    f"params[{b.name!r}] must lie strictly inside the support of {b.name} "
                    f"({_support_text(b)}), got {np.asarray(params[b.name]).tolist()}"
                )
            out[..., b.start : b.stop] = ub.reshape((*batch, b.stop - b.start))
        return out

    def flatten(self, params: Mapping[str, Any]) -> np.ndarray:
        """Constrained coordinates ``c``, shape ``(..., constrained_dim)``, of parameter values."""
        values, batch = self.model._theta(params)
        out = np.empty((*batch, self.constrained_dim))
        for b in self._blocks:
            x = np.broadcast_to(values[b.name], (*batch, *b.shape)).reshape((*batch, -1))
            out[..., b.cstart : b.cstop] = x[..., : b.cstop - b.cstart]
        return out

    def unflatten(self, c: Any) -> dict[str, np.ndarray]:
        """Parameter values from constrained coordinates ``c`` of shape ``(..., constrained_dim)``.

        The last entry of a probability vector is one minus the sum of the others.
        """
        c, batch = self._batch(c, self.constrained_dim, "c")
        out = {}
        for b in self._blocks:
            x = c[..., b.cstart : b.cstop]
            if b.simplex:
                x = np.concatenate([x, 1.0 - x.sum(axis=-1, keepdims=True)], axis=-1)
            out[b.name] = x.reshape((*batch, *b.shape))
        return out

    def theta_vector(self, params: Mapping[str, Any]) -> np.ndarray:
        """All parameter values flattened, ``(..., model.size)``, in ``theta_names`` order."""
        values, batch = self.model._theta(params)
        parts = [
            np.broadcast_to(values[b.name], (*batch, *b.shape)).reshape((*batch, -1))
            for b in self._blocks
        ]
        return np.concatenate(parts, axis=-1)

    def affine_from_constrained(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, b)`` with ``theta_vector = A @ c + b`` (identity but for probability vectors)."""
        n = self.model.size
        A = np.zeros((n, self.constrained_dim))
        off = np.zeros(n)
        row = 0
        for b in self._blocks:
            k = b.cstop - b.cstart
            A[row : row + k, b.cstart : b.cstop] = np.eye(k)
            row += k
            if b.simplex:
                A[row, b.cstart : b.cstop] = -1.0
                off[row] = 1.0
                row += 1
        return A, off

    # --------------------------------------------------------------- model calls
    def _log_density(self, values: dict[str, np.ndarray], batch: tuple[int, ...]) -> np.ndarray:
        """log prior + log likelihood; ``-inf`` outside the support (NaN passes through).

        The likelihood is evaluated only where the prior density is positive; an infinite
        prior density (a Beta(0.5, .) prior at 0) gives ``+inf``.
        """
        lp = np.asarray(self.model._log_prior(values, batch), dtype=float)
        with np.errstate(invalid="ignore"):
            inside = lp > -np.inf  # False for -inf and NaN
        if inside.all():
            return lp + self._loglik(values, batch)
        if not batch:
            return lp + 0.0
        out = lp.copy()
        if inside.any():
            sub = {
                n: np.broadcast_to(v, (*batch, *self.model.parameters[n].shape))[inside]
                for n, v in values.items()
            }
            out[inside] = lp[inside] + self._loglik(sub, (int(inside.sum()),))
        return out

    def _loglik(self, values: dict[str, np.ndarray], batch: tuple[int, ...]) -> np.ndarray:
        ll = np.asarray(self.model._loglik(values, batch), dtype=float)
        if ll.shape != batch:
            try:
                ll = np.broadcast_to(ll, batch)
            except ValueError:
                raise ValueError(
                    f"log_likelihood returned shape {ll.shape}, expected one value per batch "
                    f"index, shape {batch}"
                ) from None
        return ll

    def _grad_log_density(self, values, batch):
        """``(log density, {name: d log density / d theta})``: the likelihood and its gradient
        from the model's fused hook (one pass over a GLM's rows or a network's layers)."""
        model = self.model
        gp = model._grad_log_prior(values, batch)
        lp = np.asarray(model._log_prior(values, batch), dtype=float)
        ll, gl = model._loglik_and_grad(values, batch)
        ll = np.broadcast_to(np.asarray(ll, dtype=float), batch)
        return lp + ll, {n: gp[n] + gl[n] for n in model.parameters}

    # ------------------------------------------------------------ unconstrained
    def loss(self, u: Any, *, jacobian: bool = False) -> np.ndarray:
        """``L(u)``, one value per leading index of ``u`` (no gradient: cheaper).

        ``+inf`` where the density is zero; ``u`` may hold ``+-inf`` (the edges of the support).
        """
        u, batch = self._batch(u, self.dim, "u")
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            values = self._forward(u, batch)
            out = -self._log_density(values, batch)
            if jacobian:
                out = out - self._log_det_jacobian(u, batch)
        return out

    def _log_det_jacobian(self, u: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
        total = np.zeros(batch)
        for b in self._blocks:
            ub = u[..., b.start : b.stop].reshape((*batch, *b.ushape))
            ld = np.asarray(b.transform.log_det_jacobian(ub), dtype=float)
            extra = ld.ndim - len(batch)
            if extra:
                ld = ld.sum(axis=tuple(range(len(batch), ld.ndim)))
            total = total + ld
        return total

    def log_det_jacobian(self, u: Any) -> np.ndarray:
        """``log|det d theta / d u|`` summed over all parameters, one value per leading index."""
        u, batch = self._batch(u, self.dim, "u")
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            return self._log_det_jacobian(u, batch)

    def grad_log_det_jacobian(self, u: Any) -> np.ndarray:
        """Gradient of :meth:`log_det_jacobian` with respect to ``u``, shape ``(..., dim)``."""
        u, batch = self._batch(u, self.dim, "u")
        out = np.empty((*batch, self.dim))
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            for b in self._blocks:
                ub = u[..., b.start : b.stop].reshape((*batch, *b.ushape))
                g = np.broadcast_to(b.transform.grad_log_det_jacobian(ub), (*batch, *b.ushape))
                out[..., b.start : b.stop] = g.reshape((*batch, b.stop - b.start))
        return out

    def loss_and_grad(self, u: Any, *, jacobian: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``L(u)`` and ``dL/du``, vectorised over leading axes of ``u``.

        Parameters
        ----------
        u : array_like, shape (..., dim)
        jacobian : bool, default False
            Subtract ``log|det J(u)|`` (the objective of the mode of the density of ``u``).

        Returns
        -------
        loss : ndarray, shape (...)
        grad : ndarray, shape (..., dim)
        """
        u, batch = self._batch(u, self.dim, "u")
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            return self._loss_and_grad(u, batch, jacobian)

    def _loss_and_grad(self, u, batch, jacobian):
        values = self._forward(u, batch)
        logp, gtheta = self._grad_log_density(values, batch)
        loss = -logp
        grad = self._pullback(u, batch, gtheta, jacobian)
        if jacobian:
            loss = loss - self._log_det_jacobian(u, batch)
        return loss, grad

    def _pullback(self, u, batch, gtheta, jacobian):
        """``dL/du`` from ``d log density / d theta`` (and ``log|det J|`` when ``jacobian``)."""
        grad = np.empty((*batch, self.dim))
        for b in self._blocks:
            ub = u[..., b.start : b.stop].reshape((*batch, *b.ushape))
            gu = b.transform.vjp(ub, gtheta[b.name])
            if jacobian:
                gu = gu + b.transform.grad_log_det_jacobian(ub)
            grad[..., b.start : b.stop] = np.reshape(
                -np.broadcast_to(gu, (*batch, *b.ushape)), (*batch, b.stop - b.start)
            )
        return grad

    def _prior_grad_plus(self, values, batch, g_ll):
        """``d log prior / d theta`` plus a fixed likelihood gradient ``g_ll``."""
        gp = self.model._grad_log_prior(values, batch)
        return {n: gp[n] + g_ll[n] for n in self.model.parameters}

    def theta_jacobian(self, u: Any) -> np.ndarray:
        """``d theta / d u`` at one point: shape ``(model.size, dim)``, rows in ``theta_names``
        order (one vector-Jacobian product per element of ``theta``)."""
        u, batch = self._batch(u, self.dim, "u")
        if batch:
            raise ValueError(f"u must be a single point of shape ({self.dim},), got {u.shape}")
        out = np.zeros((self.model.size, self.dim))
        row = 0
        for b in self._blocks:
            size = int(np.prod(b.shape, dtype=int))
            ub = np.broadcast_to(u[b.start : b.stop].reshape(b.ushape), (size, *b.ushape))
            cotangents = np.eye(size).reshape((size, *b.shape))
            with np.errstate(over="ignore", under="ignore"):
                rows = b.transform.vjp(ub, cotangents)
            rows = np.broadcast_to(rows, (size, *b.ushape)).reshape(size, -1)
            out[row : row + size, b.start : b.stop] = rows
            row += size
        return out

    def objective(
        self, *, jacobian: bool = False
    ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        """``fun(u) -> (float L, grad)`` for a single point: what the optimizers call.

        Examples
        --------
        >>> import bayesgd as bg
        >>> from scipy import stats
        >>> fun = UnconstrainedSpace(bg.Bernoulli(y=[1, 0], p=stats.beta(1, 1))).objective()
        >>> value, grad = fun(np.zeros(1))
        >>> round(value, 6), abs(float(grad[0]))   # 2 log 2 at p = 1/2, where dL/du = 0
        (1.386294, 0.0)
        """
        compute = self._loss_and_grad
        errstate = np.errstate

        def fun(u: np.ndarray) -> tuple[float, np.ndarray]:
            with errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
                loss, grad = compute(u, (), jacobian)
            return float(loss), grad

        return fun

    # ------------------------------------------------------------- constrained
    def theta_loss_and_grad(self, c: Any) -> tuple[np.ndarray, np.ndarray]:
        """``L(theta) = -(log prior + log likelihood)`` and ``dL/dc`` in constrained coordinates.

        For a probability vector the derivative with respect to ``c_j`` moves ``p_j`` and the
        last entry ``p_K = 1 - sum(c)`` in opposite directions: ``dL/dp_j - dL/dp_K``.
        """
        c, batch = self._batch(c, self.constrained_dim, "c")
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            values = self.unflatten(c)
            logp, gtheta = self._grad_log_density(values, batch)
            return -logp, self._theta_pullback(gtheta, batch)

    def _theta_pullback(self, gtheta, batch):
        grad = np.empty((*batch, self.constrained_dim))
        for b in self._blocks:
            g = np.broadcast_to(gtheta[b.name], (*batch, *b.shape)).reshape((*batch, -1))
            if b.simplex:
                g = g[..., :-1] - g[..., -1:]
            grad[..., b.cstart : b.cstop] = -g
        return grad

    # ----------------------------------------------------------------- edges
    def _bounded_directions(self) -> tuple[np.ndarray, np.ndarray]:
        """Per coordinate of ``u``: whether ``u_j -> -inf`` / ``+inf`` reaches an edge."""
        down = np.zeros(self.dim, dtype=bool)
        up = np.zeros(self.dim, dtype=bool)
        for b in self._blocks:
            t = b.transform
            sl = slice(b.start, b.stop)
            if isinstance(t, Interval | StickBreaking):
                down[sl] = up[sl] = True
            elif isinstance(t, LowerBound | UpperBound):
                down[sl] = True
            elif not isinstance(t, Identity):  # an unknown transform: assume nothing
                continue
        return down, up

    @property
    def has_edges(self) -> bool:
        """Whether some coordinate of ``u`` can run off to an edge of the support."""
        return bool(self._down.any() or self._up.any())

    def edge_directions(self) -> tuple[np.ndarray, np.ndarray]:
        """Boolean arrays ``(down, up)``: ``u_j -> -inf`` (``+inf``) reaches an edge."""
        return self._down.copy(), self._up.copy()

    def snap_to_edges(self, params: Mapping[str, Any], u: Any) -> dict[str, np.ndarray]:
        """Put elementwise parameters whose ``u`` is infinite exactly onto their bound.

        ``params`` are ``to_constrained(u)``; ``u`` may carry leading axes. (Probability
        vectors need no snapping: their stick-breaking map gives exact zeros.)
        """
        u = np.asarray(u, dtype=float)
        batch = u.shape[:-1]
        out = dict(params)
        for b in self._blocks:
            ub = u[..., b.start : b.stop].reshape((*batch, *b.ushape))
            if b.simplex or not np.any(np.isinf(ub)):
                continue
            low, high = self.model.parameters[b.name].support
            x = np.broadcast_to(params[b.name], (*batch, *b.shape))
            t = b.transform
            if isinstance(t, UpperBound):
                x = np.where(np.isneginf(ub), high, x)
            elif isinstance(t, Interval):
                x = np.where(np.isneginf(ub), low, np.where(np.isposinf(ub), high, x))
            elif isinstance(t, LowerBound):
                x = np.where(np.isneginf(ub), low, x)
            out[b.name] = x
        return out

    def theta_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Flat ``(low, high)`` of every entry of ``theta`` (``theta_names`` order)."""
        lows, highs = [], []
        for b in self._blocks:
            low, high = self.model.parameters[b.name].support
            lows.append(np.broadcast_to(low, b.shape).reshape(-1))
            highs.append(np.broadcast_to(high, b.shape).reshape(-1))
        return np.concatenate(lows).astype(float), np.concatenate(highs).astype(float)

    def __repr__(self) -> str:
        parts = [f"{b.name}: {type(b.transform).__name__}" for b in self._blocks]
        return f"UnconstrainedSpace(dim={self.dim}; {', '.join(parts)})"


# ------------------------------------------------------------------------------ helpers


def _element_names(name: str, shape: tuple[int, ...]) -> list[str]:
    if not shape:
        return [name]
    return [f"{name}[{', '.join(map(str, idx))}]" for idx in np.ndindex(*shape)]


def _support_text(b: _Block) -> str:
    t = b.transform
    if isinstance(t, StickBreaking):
        return "the open probability simplex"
    if isinstance(t, Interval):
        return f"({np.min(t.low):g}, {np.max(t.high):g})"
    if isinstance(t, LowerBound):
        return f"({np.min(t.low):g}, inf)"
    if isinstance(t, UpperBound):
        return f"(-inf, {np.max(t.high):g})"
    return "the real line"
