"""Marginals of group parameters as mixtures of exact conditionals over weighted points.

Given weighted hyperparameter points ``(h_i, w_i)``, the marginal of group ``j``'s parameter is
``sum_i w_i p(theta_j | h_i, y)``: its mean and sd come from the components' moments, its
quantiles from a safeguarded Newton iteration on the mixture CDF, its HDI from the mixture
density tabulated between far quantiles. Work is chunked over groups so memory stays linear.

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> mix = Mixture(lambda sl, rows: stats.norm(np.array([[0.0], [2.0]]), 1.0),
...               np.array([0.5, 0.5]), 1)
>>> float(mix.mean()[0])
1.0
>>> round(float(mix.quantile(np.array([0.5]))[0, 0]), 10)
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..numerics.intervals import hdi_of_grid

__all__ = ["Mixture"]

CHUNK_ELEMENTS = 500_000


class Mixture:
    """A mixture over ``M`` points of batched conditionals with ``G`` groups.

    Parameters
    ----------
    conditional : callable
        ``conditional(groups_slice, rows) -> frozen scipy distribution of shape (m, g)`` for
        the groups in the slice and the points ``rows`` (an index array, or None for all).
    weights : ndarray, shape (M,)
        Normalised weights.
    n_groups : int
    coarse : (rows, weights), optional
        A coarser rule over a subset of the points (e.g. blocks of a grid, each block's weight
        on its heaviest point): quantiles are solved on it first, then polished by Newton
        steps on the full mixture, and HDIs are tabulated on it (each evaluation costs
        ``M x G``, so this is what keeps them fast).
    """

    def __init__(
        self,
        conditional: Callable[..., Any],
        weights: np.ndarray,
        n_groups: int,
        coarse: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        self.conditional = conditional
        self.w = weights[:, None]
        self.n_groups = n_groups
        self.step = max(1, CHUNK_ELEMENTS // len(weights))
        self.coarse = coarse

    def _chunks(self):
        for start in range(0, self.n_groups, self.step):
            yield slice(start, min(start + self.step, self.n_groups))

    def mean(self) -> np.ndarray:
        parts = [(self.w * self.conditional(s, None).mean()).sum(0) for s in self._chunks()]
        return np.concatenate(parts)

    def sd(self) -> np.ndarray:
        out = []
        for s in self._chunks():
            d = self.conditional(s, None)
            m, v = d.mean(), d.var()
            mean = (self.w * m).sum(0)
            out.append(np.sqrt(np.maximum((self.w * (v + m**2)).sum(0) - mean**2, 0.0)))
        return np.concatenate(out)

    def quantile(self, q: np.ndarray) -> np.ndarray:
        """Quantiles, shape ``q.shape + (G,)``."""
        q = np.asarray(q, dtype=float)
        out = np.concatenate([self._quantile_chunk(s, q.reshape(-1)) for s in self._chunks()], -1)
        return out.reshape((*q.shape, self.n_groups))

    def _quantile_chunk(self, s: slice, q: np.ndarray) -> np.ndarray:
        d = self.conditional(s, None)
        res = []
        for level in q:
            start = None
            if self.coarse is not None:
                rows, cw = self.coarse
                start = _mixture_ppf(self.conditional(s, rows), cw[:, None], level)
            res.append(_mixture_ppf(d, self.w, level, start=start))
        return np.stack(res) if res else np.empty((0, s.stop - s.start))

    def hdi(self, prob: float, points: int = 129) -> tuple[np.ndarray, np.ndarray]:
        """Shortest interval of mass ``prob`` per group from the tabulated mixture density.

        The density is tabulated on ``points`` between the mixture's quantiles ``t`` and
        ``1 - t`` (``t = (1 - prob) / 50``); that table holds mass ``1 - 2 t``, so its HDI of
        mass ``prob / (1 - 2 t)`` is the HDI of mass ``prob``.
        """
        tail = (1 - prob) / 50
        inner = min(prob / (1 - 2 * tail), 1 - 1e-9)
        frac = np.linspace(0, 1, points)[:, None]
        rows, w = self.coarse if self.coarse is not None else (None, self.w[:, 0])
        step = max(1, CHUNK_ELEMENTS // (len(w) * points))
        low, high = [], []
        for start in range(0, self.n_groups, step):
            s = slice(start, min(start + step, self.n_groups))
            d = self.conditional(s, rows)
            lo = _mixture_ppf(d, w[:, None], tail)
            x = lo + frac * (_mixture_ppf(d, w[:, None], 1 - tail) - lo)
            dens = np.einsum("m,xmg->xg", w, _pdf_table(d, x))
            for j in range(x.shape[1]):
                lj, hj = hdi_of_grid(x[:, j], dens[:, j], inner)
                low.append(lj)
                high.append(hj)
        return np.asarray(low), np.asarray(high)

    def sample_index(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.choice(len(self.w), size=shape, p=self.w[:, 0])


def _pdf_table(d: Any, x: np.ndarray) -> np.ndarray:
    """``d.pdf`` of the (M, g) batch at x of shape (X, g): (X, M, g)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.nan_to_num(d.pdf(x[:, None, :]))


def _mixture_ppf(
    d: Any, w: np.ndarray, level: float, *, start: np.ndarray | None = None, iters: int = 100
) -> np.ndarray:
    """Per-group ``x`` with mixture CDF ``level``: Newton steps kept inside a shrinking bracket.

    The bracket is the components' ``mean -/+ 40 sd`` clipped to the support; the start is the
    normal with the mixture's mean and sd (no component ``ppf``: scipy's are slow).
    """
    from scipy.special import ndtri

    m, sd = d.mean(), d.std()
    low, high = d.support()
    lo = np.maximum(np.min(m - 40 * sd, axis=0), np.min(low, axis=0))
    hi = np.minimum(np.max(m + 40 * sd, axis=0), np.max(high, axis=0))
    mean = (w * m).sum(0)
    spread = np.sqrt(np.maximum((w * (sd**2 + m**2)).sum(0) - mean**2, 0.0))
    x = np.clip(mean + spread * ndtri(level) if start is None else start, lo, hi)
    x = np.where((x > lo) & (x < hi), x, 0.5 * (lo + hi))
    for _ in range(iters):
        with np.errstate(divide="ignore", invalid="ignore"):
            cdf = (w * d.cdf(x)).sum(0) - level
            pdf = (w * d.pdf(x)).sum(0)
        lo = np.where(cdf < 0, x, lo)
        hi = np.where(cdf > 0, x, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - cdf / pdf
        inside = (newton >= lo) & (newton <= hi) & np.isfinite(newton)
        new = np.where(inside, newton, 0.5 * (lo + hi))
        if np.all((np.abs(new - x) <= 1e-13 * (1 + np.abs(x))) | (np.abs(cdf) <= 1e-15)):
            return np.where(np.abs(cdf) <= 1e-15, x, new)
        x = new
    return x
