"""Marginals: one-dimensional marginal densities, their reconstruction, quantiles and HDIs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .table import _Table

__all__ = ["implied_marginal", "marginal_of"]


@dataclass
class _Marginal:
    """A 1-D marginal: cell edges, centres, cell masses (summing to 1), density at centres."""

    edges: np.ndarray
    centres: np.ndarray
    masses: np.ndarray
    density: np.ndarray
    power: tuple[float | None, float | None] = (None, None)
    _fine: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def fine(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A finer reconstruction ``(x, density, cdf)`` over the whole box, for quantiles/HDI.

        The log density is interpolated by a cubic spline through the cell centres (a
        shape-preserving PCHIP of the density itself where it vanishes somewhere), on a grid
        ``r`` times finer that reaches the box edges; the CDF is its cumulative Simpson
        integral (exact power-law cells next to a power-law edge), normalised.
        """
        if self._fine is None:
            from scipy.interpolate import CubicSpline, PchipInterpolator

            n = self.centres.size
            r = int(min(16, max(1, -(-8000 // n))))
            xf = np.linspace(self.edges[0], self.edges[-1], n * r + 1)
            d = self.density
            lo, hi = self.edges[0], self.edges[-1]
            b_lo, b_hi = self.power
            if n >= 4 and np.all(d > 0):
                # spline the smooth part: a power law at an edge is factored out first
                def factor(x: np.ndarray) -> np.ndarray:
                    out = np.zeros(x.shape)
                    with np.errstate(divide="ignore"):
                        if b_lo is not None:
                            out = out + b_lo * np.log(x - lo)
                        if b_hi is not None:
                            out = out + b_hi * np.log(hi - x)
                    return out

                inner = slice(
                    1 if b_lo is not None else 0, xf.size - 1 if b_hi is not None else xf.size
                )
                df = np.zeros(xf.shape)
                spline = CubicSpline(self.centres, np.log(d) - factor(self.centres))
                with np.errstate(over="ignore"):
                    df[inner] = np.exp(spline(xf[inner]) + factor(xf[inner]))
                # at a power-law edge, the value that gives the first fine cell its exact mass
                if b_lo is not None:
                    df[0] = max(0.0, df[1] * (2.0 / (b_lo + 1.0) - 1.0))
                if b_hi is not None:
                    df[-1] = max(0.0, df[-2] * (2.0 / (b_hi + 1.0) - 1.0))
            elif n >= 2:
                df = np.maximum(PchipInterpolator(self.centres, d)(xf), 0.0)
            else:
                df = np.full(xf.shape, d[0])
            df = np.where(df > 1e-200 * df.max(), df, 0.0)  # no denormal noise in the tails
            if xf.size >= 3:
                from scipy.integrate import cumulative_simpson

                cells = np.diff(cumulative_simpson(df, x=xf, initial=0.0))
            else:
                cells = 0.5 * (df[1:] + df[:-1]) * np.diff(xf)
            # next to a power-law edge: trapezoid cells with the exact power-law ratio
            for beta, side in ((b_lo, 0), (b_hi, 1)):
                if beta is not None:
                    near = _power_law_trapezoid(
                        0.5 * (df[1:] + df[:-1]) * np.diff(xf), df, np.diff(xf), beta, side
                    )
                    m = min(cells.size // 2, 64)
                    part = slice(0, m) if side == 0 else slice(cells.size - m, cells.size)
                    cells[part] = near[part]
            cf = np.maximum.accumulate(np.concatenate([[0.0], np.cumsum(cells)]))
            total = cf[-1]
            self._fine = (xf, df / total, cf / total)
        return self._fine


def _power_law_trapezoid(
    cells: np.ndarray, df: np.ndarray, dx: np.ndarray, beta: float, side: int
) -> np.ndarray:
    """Trapezoid cell masses corrected for ``u^β`` near a power-law edge (``side`` 0 or 1).

    Cell ``k`` from the edge gets the ratio of the exact integral of ``u^β`` over it to its
    trapezoid value; the edge cell itself is ``density(next node) * dx / (β + 1)``.
    """
    out = cells.copy()
    half = cells.size // 2
    k = np.arange(1, half, dtype=float)
    exact = ((k + 1) ** (beta + 1) - k ** (beta + 1)) / (beta + 1)
    ratio = exact / (0.5 * (k**beta + (k + 1) ** beta))
    # the edge cell: A u^β g(u) with g linear through the next node, A dx^β g(dx) = df[1]
    d1, d2, step = (df[1], df[2], dx[0]) if side == 0 else (df[-2], df[-3], dx[-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.log(d2 / d1) - beta * np.log(2.0)
    sigma = float(sigma) if np.isfinite(sigma) else 0.0
    edge = d1 * step * (1.0 / (beta + 1) + sigma * (1.0 / (beta + 2) - 1.0 / (beta + 1)))
    if side == 0:
        out[1:half] *= ratio
        out[0] = max(edge, 0.0)
    else:
        out[-half:-1] *= ratio[::-1]
        out[-1] = max(edge, 0.0)
    return out


def _shortest_interval(
    x: np.ndarray, dens: np.ndarray, cdf: np.ndarray, prob: float
) -> tuple[float, float]:
    """Shortest interval of mass ``prob`` from a tabulated CDF (a unimodal density's HDI).

    Minimises ``Q(a + prob) - Q(a)`` over the lower tail mass ``a`` (bounded Brent), and
    compares with the two extreme intervals, where a mode on an edge puts the optimum.
    """
    from scipy.optimize import minimize_scalar

    def ends(a: float) -> tuple[float, float]:
        q = _inverse_cdf(np.array([a, min(a + prob, 1.0)]), cdf, x, dens)
        return float(q[0]), float(q[1])

    res = minimize_scalar(
        lambda a: np.subtract(*ends(a)[::-1]),
        bounds=(0.0, 1.0 - prob),
        method="bounded",
        options={"xatol": 1e-12},
    )
    candidates = [ends(0.0), ends(float(res.x)), ends(1.0 - prob)]
    return min(candidates, key=lambda pair: pair[1] - pair[0])


def _inverse_cdf(q: np.ndarray, cdf: np.ndarray, x: np.ndarray, dens: np.ndarray) -> np.ndarray:
    """Invert a CDF tabulated at ``x`` with its density: cubic Hermite inside each cell.

    Starts from linear interpolation and polishes with Newton steps on the Hermite cubic
    through ``(cdf, dens)`` at the cell's ends (fourth order, where linear interpolation of
    the CDF is only second order).
    """
    i = np.clip(np.searchsorted(cdf, q, side="left"), 1, cdf.size - 1) - 1
    c0, c1 = cdf[i], cdf[i + 1]
    step = x[i + 1] - x[i]
    m0, m1 = dens[i] * step, dens[i + 1] * step
    span = c1 - c0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.where(span > 0, (q - c0) / span, 1.0), 0.0, 1.0)
        for _ in range(4):
            t2, t3 = t * t, t * t * t
            val = (
                (2 * t3 - 3 * t2 + 1) * c0
                + (t3 - 2 * t2 + t) * m0
                + (-2 * t3 + 3 * t2) * c1
                + (t3 - t2) * m1
            )
            der = (6 * t2 - 6 * t) * c0 + (3 * t2 - 4 * t + 1) * m0
            der = der + (-6 * t2 + 6 * t) * c1 + (3 * t2 - 2 * t) * m1
            ok = (der > 0) & (span > 0)
            t = np.where(ok, np.clip(t - (val - q) / np.where(ok, der, 1.0), 0.0, 1.0), t)
    return x[i] + t * step


def marginal_of(t: _Table, element: str) -> _Marginal:
    """The marginal of one element (an axis, or the implied last component of a simplex)."""
    el = t.layout.elements[element]
    if el.axis is None:
        return implied_marginal(t, el.param)
    j = el.axis
    q = t.axis_q[j]
    power = (t.edge_power.get((j, 0)), t.edge_power.get((j, 1)))
    return _Marginal(t.edges(j), t.nodes[j], q, q / t.w[j], power)


def implied_marginal(t: _Table, param: str) -> _Marginal:
    axes = t.layout.param_axes[param]
    if len(axes) == 1:  # K = 2: the reflection of the other component
        j = axes[0]
        edges = 1.0 - (t.lo[j] + t.h[j] * np.arange(t.n[j] + 1))[::-1]
        q = t.axis_q[j][::-1]
        power = (t.edge_power.get((j, 1)), t.edge_power.get((j, 0)))
        return _Marginal(edges, 1.0 - t.nodes[j][::-1], q, q / t.w[j][::-1], power)
    # spread each cell's mass over the values 1 - sum takes inside the cell (uniform in the
    # cell), by sub-cell midpoints; the distinct offsets of the sum are few
    d = len(axes)
    sub = int(max(1, min(8, (2**22 / t.prob.size) ** (1.0 / d))))
    parts = [((np.arange(sub) + 0.5) / sub - 0.5) * t.h[j] for j in axes]
    offsets = np.zeros(1)
    for part in parts:
        offsets = (offsets[:, None] + part[None, :]).ravel()
    offsets, counts = np.unique(np.round(offsets, 15), return_counts=True)
    v_lo = max(0.0, 1.0 - float(np.sum(t.hi[axes])))
    v_hi = min(1.0, 1.0 - float(np.sum(t.lo[axes])))
    nb = int(max(t.n[axes]))
    h = t.h[axes]
    if np.allclose(h, h[0], rtol=1e-12, atol=0.0):  # (cut cells, at the face, are off it)
        # equal spacings: every value of 1 - sum lies on a lattice of step h / sub; bins
        # of that width centred on it take each value whole (bins of another width
        # alias against the lattice: a sawtooth of +-20% in the density)
        step = float(h[0]) / sub
        origin = 1.0 - float(np.sum(t.lo[axes])) - 0.5 * d * float(h[0])  # a lattice value
        k_lo = int(np.floor((v_lo - origin) / step - 0.5))
        k_hi = int(np.ceil((v_hi - origin) / step + 0.5))
        edges = origin + step * (np.arange(k_lo, k_hi + 1) - 0.5)
        edges = edges[(edges > v_lo - step) & (edges < v_hi + step)]
        nb, v_lo, v_hi = edges.size - 1, float(edges[0]), float(edges[-1])
    centre_values = (1.0 - t.cell_sums(axes)).ravel()
    masses = np.zeros(nb)
    flat_prob = t.prob.ravel()
    for off, count in zip(offsets, counts, strict=True):  # a few dozen offsets at most
        masses += np.histogram(
            np.clip(centre_values - off, v_lo, v_hi),
            bins=nb,
            range=(v_lo, v_hi),
            weights=flat_prob * (count / counts.sum()),
        )[0]
    masses /= masses.sum()
    edges = np.linspace(v_lo, v_hi, nb + 1)
    width = edges[1] - edges[0]
    return _Marginal(edges, 0.5 * (edges[:-1] + edges[1:]), masses, masses / width)
