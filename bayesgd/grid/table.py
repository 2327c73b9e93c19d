"""The tabulated grid: the log density on a tensor grid and its quadrature, with no policy.

:class:`_Table` evaluates the model's log density at the cell centres of a box (the cells cut
by a simplex face at their centroids, integrated over sub-cells), finds power-law support
edges, normalises with the end-corrected weights and keeps the axis marginals and moments.
Everything a grid posterior answers is read from it; it never warns.
"""

from __future__ import annotations

import numpy as np

from .box import _marginal_masses, _raise_zero
from .evaluation import _Evaluator
from .quadrature import (
    _box_below_plane,
    _centres,
    _power_law_exponent,
    _power_law_weights,
    _weights,
)

__all__: list[str] = []


class _Table:
    """The log density ``L`` on the grid of ``n`` cells per axis over ``[lo, hi]``, and its
    quadrature: cell probabilities ``prob`` (summing to 1), log normaliser ``log_z``, axis
    masses ``axis_q``, means and variances; the power-law edges found (``edge_power``), and
    the cells cut by a simplex face (``cut_idx``, their centroid offsets ``cut_off``).
    """

    def __init__(self, ev: _Evaluator, lo: np.ndarray, hi: np.ndarray, n: np.ndarray):
        self.ev = ev
        self.layout = layout = ev.layout
        self.lo = np.asarray(lo, dtype=float)
        self.hi = np.asarray(hi, dtype=float)
        self.n = np.asarray(n, dtype=np.int64)
        ndim = layout.ndim
        self.h = (self.hi - self.lo) / self.n
        self.nodes = [_centres(self.lo[j], self.hi[j], int(self.n[j])) for j in range(ndim)]
        self.w = [_weights(int(self.n[j]), float(self.h[j])) for j in range(ndim)]
        self._implied_var: dict[str, float] = {}
        L = ev.tensor(self.nodes)
        frac = self._simplex_cells(L)
        if not np.isfinite(L).any():
            _raise_zero(layout, self.lo, self.hi)
        top = float(L.max())
        prob = np.exp(L - top)
        self.edge_power = self._detect_power_edges(prob)
        for j, w in enumerate(self.w):
            prob *= w.reshape((-1,) + (1,) * (ndim - 1 - j))
        if frac is not None:
            prob *= frac
        if self.run_end:  # end corrections of the runs of cells inside a simplex
            prob *= 1.0 + self._run_end_corrections()
        total = float(prob.sum())
        self.log_z = top + float(np.log(total))
        prob /= total
        self.prob = prob  # cell probabilities (quadrature weight x density), sum to 1
        self.L = L
        self.axis_q = [_marginal_masses(prob, j) for j in range(ndim)]
        moments = [self._axis_moments(j) for j in range(ndim)]
        self.axis_mean = np.array([m[0] for m in moments])
        self.axis_var = np.array([m[1] for m in moments])
        self._face_error_estimate()

    def _run_end_corrections(self) -> np.ndarray:
        extra = np.zeros(())
        for j, (low, high) in self.run_end.items():
            if (j, 0) not in self.edge_power:
                extra = extra + low
            if (j, 1) not in self.edge_power:
                extra = extra + high
        return extra

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self.n)

    def edges(self, j: int) -> np.ndarray:
        """Cell edges along axis ``j``."""
        return self.lo[j] + self.h[j] * np.arange(self.n[j] + 1)

    def cell_point(self, flat: int) -> np.ndarray:
        """Where cell ``flat`` was evaluated: its centre, or its centroid inside the simplex."""
        idx = np.unravel_index(flat, self.shape)
        x = np.array([self.nodes[j][idx[j]] for j in range(self.layout.ndim)])
        if self.cut_idx.size:
            k = int(np.searchsorted(self.cut_idx, flat))
            if k < self.cut_idx.size and self.cut_idx[k] == flat:
                x = x + self.cut_off[k]
        return x

    def implied_variance(self, param: str) -> float:
        """Var(1 - sum) = Var(sum) of a probability vector's last component: from the joint."""
        if param not in self._implied_var:
            axes = self.layout.param_axes[param]
            s = self.cell_sums(axes)
            mean = float(np.sum(self.axis_mean[axes]))
            self._implied_var[param] = float(np.sum(self.prob * (s - mean) ** 2))
        return self._implied_var[param]

    def _face_error_estimate(self) -> None:
        """Estimated quadrature error of the cells cut by a simplex face.

        The cut cells are integrated over half-width sub-cells; the one-point values (density
        at the cell's centroid) differ from those by about three times the cut cells'
        remaining error (both are second order there). The midpoint rule next to the face
        errs by about as much again, so the whole difference is the estimate: ``face_error``
        maps ``"log_evidence"`` and each simplex element (the implied last component
        included) to it, for the log evidence and for the posterior mean in posterior sds.
        """
        self.face_error: dict[str, float] = {}
        if not self.cut_idx.size or self.cut_L1 is None:
            return
        p2 = self.prob.ravel()[self.cut_idx]
        L2 = self.L.ravel()[self.cut_idx]
        with np.errstate(invalid="ignore", over="ignore"):
            ratio = np.where(np.isfinite(L2), np.exp(self.cut_L1 - L2), 1.0)
        diff = p2 * (1.0 - np.where(np.isfinite(ratio), ratio, 1.0))
        self.face_error["log_evidence"] = abs(float(diff.sum()))
        idx = np.unravel_index(self.cut_idx, self.shape)
        lay = self.layout
        for name in sorted(lay.simplex):
            axes = lay.param_axes[name]
            if len(axes) < 2:
                continue
            shifts = []
            for j in axes:
                x = self.nodes[j][idx[j]] + self.cut_off[:, j]
                shifts.append(float(np.sum(diff * (x - self.axis_mean[j]))))
                sd = float(np.sqrt(self.axis_var[j]))
                self.face_error[lay.axis_names[j]] = abs(shifts[-1]) / sd if sd > 0 else 0.0
            last = f"{name}[{len(axes)}]"
            sd_last = float(np.sqrt(max(self.implied_variance(name), 0.0)))
            err_last = abs(float(np.sum(shifts)))
            self.face_error[last] = err_last / sd_last if sd_last > 0 else 0.0

    def _simplex_cells(self, L: np.ndarray) -> np.ndarray | None:
        """Cells cut by a simplex face (``sum(p[:-1]) = 1``): exact inside volume and centroid.

        A cell straddling the face counts with the fraction of its volume inside the simplex,
        its density taken at the centroid of that part (re-evaluated; ``L`` is updated in
        place). Returns the fractions (None without probability vectors of 3+ components).
        Offsets of the centroids from the centres are kept for the moments and the mode.
        """
        ndim = self.layout.ndim
        self.cut_idx = np.zeros(0, dtype=np.int64)
        self.cut_L1: np.ndarray | None = None
        self.cut_off = np.zeros((0, ndim))
        self.run_end: dict[int, np.ndarray] = {}
        frac = None
        offsets: dict[int, np.ndarray] = {}
        for name in sorted(self.layout.simplex):
            axes = self.layout.param_axes[name]
            if len(axes) < 2:
                continue  # K = 2: the face p[0] = 1 is the box's edge
            h = self.h[axes]
            t = 1.0 - (self._sum_over(axes) - 0.5 * float(np.sum(h)))  # slack at lower corner
            f = np.where(t <= 0, 0.0, 1.0)
            cut = np.flatnonzero(((t > 0) & (t < float(np.sum(h)))).ravel())
            if cut.size:
                vol, mom = _box_below_plane(t.ravel()[cut], h)
                f.ravel()[cut] = np.clip(vol / float(np.prod(h)), 0.0, 1.0)
                off = np.zeros((cut.size, ndim))
                off[:, axes] = mom / np.maximum(vol, 1e-300)[:, None] - 0.5 * h
                for c, o in zip(cut.tolist(), off, strict=True):
                    offsets[c] = offsets.get(c, 0.0) + o
            frac = f if frac is None else frac * f
            # The cells wholly inside form, along each axis, a run from the low end of the
            # box up to the face (or the box's high end). The midpoint rule over a run misses
            # ``h^2/24 (f'(end) - f'(start))``; its end corrections go on the run's first and
            # last three cells. They are added over the axes, not multiplied: along the
            # staircase face the cells ending a run on two axes are the same, and a product
            # would leave an O(h) error there. They replace the box-end corrections.
            full = t >= float(np.sum(h))
            corr = np.array([1.0 / 12.0, -1.0 / 8.0, 1.0 / 24.0])
            for j in axes:
                n = int(self.n[j])
                self.w[j][:] = self.h[j]
                run = full.sum(axis=j, keepdims=True)
                shape = [1] * ndim
                shape[j] = -1
                i = np.arange(n).reshape(shape)
                k = run - 1 - i  # cells from the run's end
                ok = run >= 3
                low = np.where(ok & (i < 3), corr[np.clip(i, 0, 2)], 0.0)
                high = np.where(ok & (k >= 0) & (k < 3), corr[np.clip(k, 0, 2)], 0.0)
                self.run_end[j] = (low, high)
        if offsets:
            self.cut_idx = np.array(sorted(offsets), dtype=np.int64)
            self.cut_off = np.array([offsets[c] for c in self.cut_idx.tolist()])
            idx = np.unravel_index(self.cut_idx, self.shape)
            centres = np.stack([x[i] for x, i in zip(self.nodes, idx, strict=True)], axis=1)
            L.ravel()[self.cut_idx] = self.ev.points(centres + self.cut_off)
            self.cut_L1 = L.ravel()[self.cut_idx].copy()
            cut_axes = [self.layout.param_axes[n] for n in self.layout.simplex]
            cut_axes = [a for a in cut_axes if len(a) >= 2]
            if len(cut_axes) == 1:
                self._refine_cut_cells(L, centres, cut_axes[0])
        return frac

    def _refine_cut_cells(self, L: np.ndarray, centres: np.ndarray, axes: list[int]) -> None:
        """Integrate each cut cell over its ``2^d`` half-width sub-cells (``d`` simplex axes).

        Each inside part of a sub-cell counts with its exact volume and its density at its
        centroid; the cell's ``L`` becomes the log of its mean density and its point the
        centroid of its mass. ``cut_L1`` keeps the one-point value (density at the cell's
        centroid): the two differ by about three times the remaining error (second order),
        which :meth:`_face_error_estimate` reports.
        """
        h = self.h[axes]
        hs = 0.5 * h
        d = len(axes)
        corner = centres[:, axes] - 0.5 * h  # (m, d)
        t = 1.0 - corner.sum(axis=1)  # slack at the lower corner
        offs = np.array(np.meshgrid(*([[0.0, 1.0]] * d), indexing="ij")).reshape(d, -1).T
        ts = t[:, None] - (offs * hs).sum(axis=1)[None, :]  # (m, 2^d)
        vol = np.zeros(ts.shape)
        mom = np.zeros((*ts.shape, d))
        full = ts >= float(np.sum(hs))
        vol[full] = float(np.prod(hs))
        mom[full] = 0.5 * hs * float(np.prod(hs))
        part = (ts > 0) & ~full
        if part.any():
            vol[part], mom[part] = _box_below_plane(ts[part], hs)
        inside = vol > 0
        pts = np.repeat(centres[:, None, :], offs.shape[0], axis=1)
        pts[..., axes] = corner[:, None, :] + offs[None, :, :] * hs
        pts[..., axes] += mom / np.maximum(vol, 1e-300)[..., None]
        Ls = np.full(ts.shape, -np.inf)
        Ls[inside] = self.ev.points(pts[inside])
        with np.errstate(divide="ignore"):
            lw = Ls + np.log(vol)
        top = lw.max(axis=1)
        ok = np.isfinite(top)
        w = np.exp(lw[ok] - top[ok, None])
        total = w.sum(axis=1)
        cell_vol = vol[ok].sum(axis=1)
        flat = self.cut_idx[ok]
        L.ravel()[flat] = top[ok] + np.log(total) - np.log(cell_vol)
        mass_centre = np.einsum("ms,msk->mk", w, pts[ok]) / total[:, None]
        self.cut_off[ok] = mass_centre - centres[ok]

    def _detect_power_edges(self, prob: np.ndarray) -> dict[tuple[int, int], float]:
        """Find support edges where the marginal density is a power law (``p^-1/2``, ...).

        There the midpoint rule converges slowly (like ``h^(1+β)``); the cells near such an
        edge get exact power-law weights instead of the smooth end correction.
        """
        lay, ndim = self.layout, self.layout.ndim
        found: dict[tuple[int, int], float] = {}
        self.edge_slope: dict[tuple[int, int], np.ndarray] = {}
        for j in range(ndim):
            n = int(self.n[j])
            if n < 12:
                continue
            sides = []
            if self.lo[j] == lay.support_low[j]:
                sides.append((0, np.arange(5)))
            if self.hi[j] == lay.support_high[j]:
                sides.append((1, np.arange(n - 1, n - 6, -1)))
            for side, idx in sides:
                sub = np.take(prob, idx, axis=j)
                for k in range(ndim):
                    if k != j:
                        shape = [1] * ndim
                        shape[k] = -1
                        sub = sub * self.w[k].reshape(shape)
                axes = tuple(k for k in range(ndim) if k != j)
                dens = sub.sum(axis=axes) if axes else sub
                beta = _power_law_exponent(np.asarray(dens, dtype=float))
                if beta is None:
                    continue
                found[(j, side)] = beta
                half = n // 2
                # slope of the smooth factor g = density / x^β, per cell, from the marginal
                full = prob
                for k in range(ndim):
                    if k != j:
                        shape = [1] * ndim
                        shape[k] = -1
                        full = full * self.w[k].reshape(shape)
                marg = full.sum(axis=axes) if axes else full
                marg = marg if side == 0 else marg[::-1]
                with np.errstate(divide="ignore", invalid="ignore"):
                    smooth = np.log(marg) - beta * np.log(np.arange(n) + 0.5)
                    slope = np.gradient(smooth)
                slope = np.where(np.isfinite(slope), slope, 0.0)[:half]
                self.edge_slope[(j, side)] = slope
                pw = _power_law_weights(float(self.h[j]), beta, slope)
                if side == 0:
                    self.w[j][:half] = pw
                else:
                    self.w[j][n - half :] = pw[::-1]
        return found

    def _axis_moments(self, j: int) -> tuple[float, float]:
        """Mean and variance of axis ``j`` by the grid's quadrature.

        Next to a power-law edge ``e`` (``u = |x - e|``), ``x f`` and ``(x - m)^2 f`` are
        expanded in powers of ``u`` and each ``u^k f`` gets the exact power-law weights of
        exponent ``β + k``: the plain weights would be wrong there at order ``h^(1+β)``.
        """
        q, x, w = self.axis_q[j], self.nodes[j], self.w[j]
        n, h = int(self.n[j]), float(self.h[j])
        half = n // 2
        plain = np.ones(n, dtype=bool)
        pieces = []  # (edge, sign, sum d W0, sum d u W1, sum d u^2 W2)
        for side, edge, sign in ((0, self.lo[j], 1.0), (1, self.hi[j], -1.0)):
            beta = self.edge_power.get((j, side))
            if beta is None:
                continue
            idx = np.arange(half) if side == 0 else np.arange(n - 1, n - 1 - half, -1)
            slope = self.edge_slope[(j, side)]
            u = (np.arange(half) + 0.5) * h
            d = q[idx] / w[idx]
            sums = [float(np.sum(q[idx]))]
            for k in (1, 2):
                sums.append(float(np.sum(d * u**k * _power_law_weights(h, beta + k, slope))))
            pieces.append((float(edge), sign, *sums))
            plain[idx] = False
        # cells cut by a simplex face sit at their centroid, not their centre
        if self.cut_idx.size and np.any(self.cut_off[:, j]):
            p_cut = self.prob.ravel()[self.cut_idx]
            x_cut = x[np.unravel_index(self.cut_idx, self.shape)[j]]
            o_cut = self.cut_off[:, j]
        else:
            p_cut = x_cut = o_cut = np.zeros(0)
        mean = float(np.sum(q[plain] * x[plain])) + float(np.sum(p_cut * o_cut))
        mean += sum(e * s0 + sign * s1 for e, sign, s0, s1, _ in pieces)
        var = float(np.sum(q[plain] * (x[plain] - mean) ** 2))
        var += float(np.sum(p_cut * (2.0 * o_cut * (x_cut - mean) + o_cut**2)))
        for e, sign, s0, s1, s2 in pieces:
            c = e - mean
            var += c * c * s0 + 2.0 * sign * c * s1 + s2
        return mean, max(var, 0.0)

    def cell_sums(self, axes: list[int]) -> np.ndarray:
        """Sum of the ``axes`` coordinates where each cell was evaluated (centroids if cut)."""
        total = np.array(self._sum_over(axes))
        if self.cut_idx.size:
            total.ravel()[self.cut_idx] += self.cut_off[:, axes].sum(axis=1)
        return total

    def _sum_over(self, axes: list[int]) -> np.ndarray:
        ndim = self.layout.ndim
        total = np.zeros(())
        for j in axes:
            total = total + self.nodes[j].reshape((-1,) + (1,) * (ndim - 1 - j))
        return np.broadcast_to(total, self.shape)
