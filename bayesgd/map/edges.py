"""Edges of the support, probes of the loss, kinks and unbounded densities."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DivergenceError

if TYPE_CHECKING:
    pass
from ._constants import (
    _EDGE_U,
    _FAR_U,
    _PROBE_SEED,
    _RAY,
    _RAY_FAR,
    _SLOPE,
)
from .result import _params_text, _scalarise

__all__ = []


class _EdgeProbes:
    """Edge and probe logic of a run: which coordinates run off to an edge of the support
    (held there while the rest is optimised), stationary starts, kinks and unbounded
    densities. Mixed into :class:`~bayesgd.map.run._Run`, whose ``space``, ``jacobian``,
    ``tol``, ``edge``, ``edge_from`` and ``n_evals`` it uses."""

    def _report_u(self, u: np.ndarray) -> np.ndarray:
        if not self.edge.any():
            return u
        out = u.copy()
        held = self.edge != 0
        out[held] = self.edge[held] * np.inf
        return out

    def _theta_text(self, u: np.ndarray) -> str:
        params = self.space.to_constrained(self._report_u(u))
        params = self.space.snap_to_edges(params, self._report_u(u))
        return _params_text(params)

    def _edge_scale(self, value: float) -> float:
        return 1e-12 * max(1.0, abs(value))

    def _probe(
        self, u: np.ndarray, value: float, grad: np.ndarray, coords: np.ndarray
    ) -> dict[int, int]:
        """Coordinates (among ``coords``) along which the loss decreases all the way to an edge.

        Returns ``{j: -1 or +1}``, the direction of the edge in ``u``.
        """
        space = self.space
        down, up = space._down, space._up
        d = -np.sign(grad)
        far = (grad == 0) & (np.abs(u) > 20.0)
        d[far] = np.sign(u[far])
        cand = coords & (((d < 0) & down) | ((d > 0) & up))
        js = np.flatnonzero(cand)
        if js.size == 0:
            return {}
        rows = np.arange(js.size)
        pts = np.repeat(u[None], js.size, axis=0)
        pts[rows, js] = d[js] * np.inf
        at_edge = space.loss(pts, jacobian=self.jacobian)
        self.n_evals += js.size
        with np.errstate(invalid="ignore"):
            ok = ~np.isnan(at_edge) & (at_edge <= value + self._edge_scale(value))
        js, at_edge = js[ok], at_edge[ok]
        if js.size == 0:
            return {}
        k = _RAY.size
        pts = np.repeat(u[None], js.size * k, axis=0)
        idx = np.arange(js.size * k)
        pts[idx, np.repeat(js, k)] += np.repeat(d[js], k) * np.tile(_RAY, js.size)
        ray = space.loss(pts, jacobian=self.jacobian).reshape(js.size, k)
        self.n_evals += js.size * k
        seq = np.column_stack([np.full(js.size, value), ray, at_edge])
        with np.errstate(invalid="ignore"):
            rise = np.diff(seq, axis=1)
            slack = 1e-12 * np.maximum(1.0, np.abs(seq[:, :-1]))
            monotone = np.all((rise <= slack) | np.isneginf(seq[:, 1:]), axis=1)
            monotone &= ~np.any(np.isnan(seq), axis=1)
        return {int(j): int(d[j]) for j in js[monotone]}

    def _hold(self, u: np.ndarray, found: dict[int, int]) -> None:
        for j, sign in found.items():
            self.edge_from[j] = u[j]
            self.edge[j] = sign
            u[j] = sign * _EDGE_U

    def _directions(self, x: np.ndarray, g: np.ndarray | None) -> np.ndarray:
        """Unit probe directions in the optimised coordinates: each axis (up to 200 of them),
        the diagonal, two fixed pseudo-random directions and ``-g`` when given; both signs."""
        d = x.size
        rows = [np.eye(d)] if d <= 200 else []
        rand = np.random.default_rng(_PROBE_SEED).standard_normal((2, d))
        rows.append(np.vstack([np.ones((1, d)), rand]))
        if g is not None and np.any(g != 0):
            rows.append(-g[None, :])
        dirs = np.vstack(rows)
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        return np.vstack([dirs, -dirs])

    def _probe_losses(self, f_sub, x: np.ndarray, pts: np.ndarray) -> np.ndarray:
        if x.size == self.space.dim:
            self.n_evals += len(pts)
            with np.errstate(all="ignore"):
                return np.asarray(self.space.loss(pts, jacobian=self.jacobian), dtype=float)
        return np.array([f_sub(p)[0] for p in pts])  # held coordinates: a few directions

    def _descend_from_stationary(self, f_sub, x: np.ndarray, value: float) -> np.ndarray | None:
        """At a point of zero gradient: a nearby point of lower loss (a maximum or a saddle),
        or None when every probe along the axes, the diagonal and random directions rises."""
        dirs = self._directions(x, None)
        scale = max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
        margin = 1e-10 * max(1.0, abs(value))
        for h in (1e-4, 1e-2, 1e-1):
            pts = x + h * scale * dirs
            losses = self._probe_losses(f_sub, x, pts)
            losses = np.where(np.isnan(losses), np.inf, losses)
            k = int(np.argmin(losses))
            if losses[k] < value - margin:
                return pts[k]
        return None

    def _at_kink(self, f_sub, x: np.ndarray, value: float, g: np.ndarray) -> bool:
        """Whether ``x`` is a minimum at a kink (a point where the loss is not differentiable
        and the subgradient contains 0, as at the peak of a Laplace prior): the gradient is
        not small, yet the loss rises along every probe direction, ``-g`` included, on both
        sides, by about ``|g|`` per unit length."""
        gnorm = math.sqrt(float(g @ g))
        if x.size == 0 or not gnorm > math.sqrt(self.tol) * max(1.0, abs(value)):
            return False
        scale = max(1.0, float(np.max(np.abs(x))))
        # cheap first: at a smooth point that is not a minimum the loss falls along -g
        ghat = g / gnorm
        for h in (1e-8, 1e-6):
            if not f_sub(x - h * scale * ghat)[0] >= value:
                return False
        dirs = self._directions(x, g)
        for h in (1e-8, 1e-6):
            step = h * scale
            losses = self._probe_losses(f_sub, x, x + step * dirs)
            if not np.all(losses >= value):  # NaN fails too
                return False
            # along -g: both one-sided slopes positive, their sum of the order of |g|
            n = len(dirs) // 2
            rise = (losses[n - 1] - value) + (losses[-1] - value)
            if rise < 0.25 * gnorm * step:
                return False
        return True

    def _check_unbounded(self, u, value, checked, free, it) -> None:
        """Raise DivergenceError when the loss decreases without bound as a coordinate of ``u``
        runs to an edge (the posterior density is unbounded there: no mode exists).

        Since the last check (``checked = (u_prev, value_prev, it_prev)``) coordinate ``j``
        moved toward an edge, is beyond ``|u_j| >= _FAR_U`` and the loss fell; it counts as
        unbounded when putting ``u_j`` back raises the loss by at least ``_SLOPE`` per unit
        and moving it ``_RAY_FAR`` further keeps lowering the loss by at least ``_SLOPE`` per
        unit. (Toward an edge where the loss has a finite limit, the loss changes by about
        ``exp(-|u_j|)`` per unit there, far below ``_SLOPE``.)
        """
        space = self.space
        u_prev, value_prev, it_prev = checked
        if not value < value_prev:
            return
        delta = u - u_prev
        d = np.sign(delta)
        cand = (
            free
            & (np.abs(u) >= _FAR_U)
            & (np.sign(u) == d)
            & (((d < 0) & space._down) | ((d > 0) & space._up))
        )
        for j in np.flatnonzero(cand):
            pts = np.repeat(u[None], 1 + _RAY_FAR.size, axis=0)
            pts[0, j] = u_prev[j]
            pts[1:, j] += d[j] * _RAY_FAR
            self.n_evals += len(pts)
            with np.errstate(all="ignore"):
                L = np.asarray(space.loss(pts, jacobian=self.jacobian), dtype=float)
            if not np.all(np.isfinite(L)):
                continue
            moved = abs(float(delta[j]))
            seq = np.concatenate([[value], L[1:]])
            if L[0] - value < _SLOPE * moved or not np.all(np.diff(seq) < 0):
                continue
            if seq[0] - seq[-1] < _SLOPE * _RAY_FAR[-1]:
                continue
            name = space.names[j][2:-1]
            edge_value = self._theta_text(pts[-1]).replace("{", "").replace("}", "")
            here = {n: _scalarise(v) for n, v in space.to_constrained(u).items()}
            slope = (seq[0] - seq[-1]) / _RAY_FAR[-1]
            raise DivergenceError(
                f"the posterior density is unbounded as {name} approaches the edge of its "
                f"support (u[{name}] -> {'-' if d[j] < 0 else '+'}inf): the loss "
                f"-log p(theta | D) fell from {value_prev:.6g} (iteration {it_prev}) to "
                f"{value:.6g} (iteration {it}) while u[{name}] went from {u_prev[j]:.4g} to "
                f"{u[j]:.4g}, and keeps falling by about {slope:.3g} per unit of u[{name}] "
                f"(near {edge_value}). The density has no maximum, so no MAP exists: the "
                "loss decreases without bound. A typical cause is a scale parameter "
                "collapsing onto a single observation (a Normal with one data point, a "
                "mixture component on one point). The posterior itself may still be proper: "
                "use bg.sample_pymc or bg.grid, add data, or use a prior whose density "
                f"vanishes at the edge of {name} (e.g. a gamma or inverse-gamma prior for a "
                "scale).",
                iteration=int(it),
                last_params=here,
                suggested_lr=math.nan,
                reason="unbounded",
                parameter=name,
            )
